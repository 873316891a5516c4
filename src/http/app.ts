import { randomUUID } from 'node:crypto';
import express, { type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { AuthSchema } from '../auth/config.ts';
import { clientLimits, failedAuthLimit, frontDoor } from '../auth/front-door.ts';
import { authenticate, authRoutes, requireNamespaceRead, type AuthGate } from '../auth/middleware.ts';
import type { ClusterRouting } from './routes/cluster.ts';
import type { Config } from '../config/schema.ts';
import type { Health } from '../observability/health.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Catalog } from '../store/catalog.ts';
import type { PodEntry } from '../store/types.ts';
import { errorHandler, notFoundApi } from './errors.ts';
import type { PodRecordFields } from './pod-view.ts';
import { fileRoutes } from './routes/files.ts';
import { followRoutes } from './routes/follow.ts';
import { podRoutes } from './routes/pods.ts';
import { searchRoutes } from './routes/search.ts';
import type { Ripgrep } from '../search/ripgrep.ts';
import { webPage } from './web-page.ts';

/** Everything the HTTP layer needs; `src/main.ts` builds it, tests build it with real temp roots. */
export interface AppDeps {
  config: Config;
  catalog: Catalog;
  metrics: Metrics;
  logger: Logger;
  /** True once the agent listens and can answer (the catalog's first scan may still run: `catalog.scanning`). */
  ready: () => boolean;
  /** Kubernetes record fields for a pod generation, when the cluster link knows it. */
  recordOf?: (pod: PodEntry) => PodRecordFields | undefined;
  /** Pods the cluster link knows that have no log folder on this node. */
  recordOnlyPods?: () => (PodRecordFields & { namespace: string; name: string; uid: string })[];
  /** Further API routers mounted under `/api/v1` (kube, diagnose, ship, retention). */
  apiRouters?: Router[];
  /** Routers mounted at the root, outside `/api` and its authentication (only redirects that reveal nothing). */
  rootRouters?: Router[];
  /** Directory of the built web page (`web/dist`); while it lacks `index.html`, `GET /` says how to build it. */
  webDir?: string;
  /** Aborted when the agent shuts down: long-lived streams (follow) end then. */
  shutdown?: AbortSignal;
  /** Clock, ms since the epoch (tests pass a fixed one). */
  now?: () => number;
  /** Authentication (`src/auth`), built by `createAccess`. */
  auth: AuthGate;
  /** Cluster routing (`src/cluster`): proxy to the agent holding a pod, cluster-wide search and listing. */
  cluster?: ClusterRouting;
  /** Parts running degraded (retrying or disabled), listed by `/readyz` as `degraded`. */
  health?: Health;
  /** The ripgrep binary searches run when it can take the query (`search.engine`); absent: the built-in engine. */
  ripgrep?: Ripgrep;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Request id, from `X-Request-Id` when given (bounded), else a new UUID. */
    id: string;
  }
}

/**
 * Build the express app (no listen): `/api/v1/*`, `/healthz`, `/readyz`, `/metrics` and the web page at `/`
 * (or, when it is not built, a short page saying how to build it).
 * Errors render as `{"error":{"code","message"}}` with the status declared in `src/errors.ts`.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const given = req.get('x-request-id');
    req.id = given && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const end = deps.metrics.httpDuration.startTimer();
    const route = () => (req.route?.path ? String(req.baseUrl + req.route.path) : 'other');
    res.on('finish', () => end({ route: route(), status: `${Math.floor(res.statusCode / 100)}xx` }));
    res.on('close', () => {
      if (res.writableFinished) return;
      deps.metrics.abortedResponses.inc({ route: route() });
      deps.logger.debug({ reqId: req.id, route: route() }, 'client closed the connection before the response ended');
    });
    next();
  });
  // A validated Config always has `auth`; hand-built test configs may not, and get the defaults (mode none).
  const authConfig = deps.config.auth ?? AuthSchema.parse({});
  const metricsAuth = authConfig.mode !== 'none' && (deps.config.metrics?.auth ?? false);
  const authFailures = failedAuthLimit(authConfig, { unauthenticatedPaths: new Set(['/healthz', '/readyz', ...(metricsAuth ? [] : ['/metrics'])]) });
  const gate = deps.auth;
  app.use(frontDoor(authConfig, deps.logger, authFailures)); // security headers, access log, size limits, failed-auth limit

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ready = deps.ready();
    // While the first scan runs the agent answers (listings say `partial: true`) but is not ready: a rollout waits
    // for a full catalog, and `/healthz` (liveness) answers throughout, so a large node is never restarted for it.
    const scanning = deps.catalog.scanning;
    const status = !ready ? 'starting' : scanning ? 'scanning' : 'ready';
    // A degraded part does not make the agent unready: it still serves every file; `degraded` says what is off and why.
    const degraded = deps.health?.snapshot() ?? {};
    res.status(status === 'ready' ? 200 : 503).json({ status, scanning, ...deps.catalog.stats(), ...(Object.keys(degraded).length ? { degraded } : {}) });
  });
  // `metrics.auth`: the same authentication as /api/v1 (any authenticated caller); the series name namespaces and pods
  const metricsGate = metricsAuth ? [authenticate(gate, authFailures.count)] : [];
  app.get('/metrics', ...metricsGate, async (_req, res, next) => {
    try {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    } catch (e) {
      next(e);
    }
  });

  const api = express.Router();
  api.use(authenticate(gate, authFailures.count), ...clientLimits(authConfig));
  api.use(authRoutes(gate));
  api.use('/namespaces/:ns', requireNamespaceRead); // get pods/log in :ns for everything under it
  if (deps.cluster) api.use(deps.cluster.router); // pods on other nodes, before the local routes
  api.use(podRoutes({ catalog: deps.catalog, runningWindowMs: deps.config.runningWindowMs, recordOf: deps.recordOf, recordOnlyPods: deps.recordOnlyPods, now: deps.now }));
  api.use(fileRoutes(deps));
  api.use(followRoutes(deps));
  api.use(searchRoutes(deps));
  for (const r of deps.apiRouters ?? []) api.use(r);
  api.use(notFoundApi);
  app.use('/api/v1', api);
  app.use('/api', notFoundApi);
  for (const r of deps.rootRouters ?? []) app.use(r);

  if (deps.webDir) app.use(webPage(deps.webDir));
  app.use(errorHandler(deps.logger, deps.metrics));
  return app;
}

export { CSP } from './web-page.ts';
