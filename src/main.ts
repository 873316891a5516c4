import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './package-root.ts';
import { createServer, type Server } from 'node:http';
import type { Request, Router } from 'express';
import { namespaceFilter } from './auth/middleware.ts';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { diagnosisRouter } from './http/routes/diagnosis.ts';
import { flinkApiRouter, flinkLinkRouter } from './http/routes/flink.ts';
import { JobLogCache, jobStorySource } from './flink/source.ts';
import { createApp } from './http/app.ts';
import { diagnosisSource } from './http/diagnosis-source.ts';
import { problemsRouter } from './http/routes/problems.ts';
import type { KubeLink } from './kube/index.ts';
import { connectCluster } from './kube/connect.ts';
import { kubeRouter } from './http/routes/events-jobs.ts';
import { podRecordSummary, recordSummaryOf } from './kube/summary.ts';
import { createHealth, type Health } from './observability/health.ts';
import { isStateUnusable, usableStateDir } from './config/state-dir.ts';
import { createMetrics, scrapeGauge } from './observability/metrics.ts';
import { createAccess } from './http/access.ts';
import { esNodeHint } from './cluster/es-hint.ts';
import { askAgent, serviceAccountToken } from './cluster/forward.ts';
import type { Client } from '@elastic/elasticsearch';
import { hardenServer } from './auth/front-door.ts';
import { startRetention } from './retention/wire.ts';
import { createPriorityResolver } from './kube/priority.ts';
import { readSecrets, type ShipConfig } from './ship/config.ts';
import { esSearchRouter } from './http/routes/es-search.ts';
import { nodeRouter } from './http/routes/node.ts';
import { Catalog } from './store/catalog.ts';
import { findRipgrep } from './search/ripgrep.ts';

/** A running agent. */
export interface RunningAgent {
  /** Base URL it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly server: Server;
  readonly catalog: Catalog;
  /** The cluster link; undefined when running without a cluster. */
  readonly kube: KubeLink | undefined;
  /** Stop accepting, finish open requests within the grace period, stop all units. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start one part of the agent; a path of the state directory it cannot use disables that part (an error
 * line, and `degraded.<part>` on `/readyz`) while the rest serves. Other errors stop the agent.
 * @returns what `start` returned, or undefined when the part is disabled
 */
async function unlessStateUnusable<T>(part: string, start: () => Promise<T>, health: Health, logger: Logger): Promise<T | undefined> {
  try {
    return await start();
  } catch (e) {
    if (!isStateUnusable(e)) throw e;
    logger.error({ part, path: e.path }, `${part} disabled: ${e.message}`);
    health.degraded(part, 'disabled', `${e.message} (then restart the agent)`);
    return undefined;
  }
}

/** The built web page, served at `/` when present. */
export const WEB_DIST = join(PACKAGE_ROOT, 'web/dist');

/**
 * Build and wire every unit from a validated config and listen. The only place units and clients are
 * constructed, and (with `cli.ts`, which loads the config) the only reader of the environment. The
 * Kubernetes and Elasticsearch clients are loaded only when the configuration uses them.
 * @param env the process environment: `KUBERNETES_SERVICE_HOST`/`KUBECONFIG` (cluster link), `POD_NAME`
 *   (Lease identity), `PODLOG_ES_API_KEY`/`PODLOG_ES_PASSWORD` (Elasticsearch credentials), `PATH` (where `rg` is looked for)
 * @throws PodlogError `PODLOG_E_CONFIG` for unusable roots; listen errors (EADDRINUSE) as thrown by node.
 */
export async function startAgent(config: Config, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<RunningAgent> {
  const controller = new AbortController();
  const signal = controller.signal;
  const metrics = createMetrics();
  const health = createHealth(metrics.registry); // parts running degraded, for /readyz
  const nodeName = config.kube.nodeName ?? hostname();
  await usableStateDir(config.stateDir, 'state', 0o700); // unusable: one line naming it and the fix, exit 2

  // the search engine, chosen once: ripgrep on PATH (or search.ripgrepPath) unless search.engine says builtin
  const ripgrep = findRipgrep(config.search, env.PATH);
  logger.info({ engine: ripgrep ? ripgrep.version : 'builtin', ...(ripgrep ? { rg: ripgrep.bin } : {}) }, 'search engine');
  const link = await connectCluster(config.kube, env, logger);
  const es = config.ship.esUrl ? await createEsClientFrom(config.ship, env) : undefined;
  const catalog = new Catalog({ roots: config.roots, logger, usePolling: config.usePolling, rescanMs: config.rescanMs });
  const hints = es ? [esNodeHint(es, config.ship.dataStream.replaceAll('{namespace}', '*'), config.cluster.peerDeadlineMs)] : [];
  // refuses auth none beyond loopback, before any work
  const access = await createAccess(config, { nodeName, catalog, logger, ...(link ? { kubeConfig: link.kc } : {}), hints });
  let ready = false;
  // the first scan runs while the agent starts and listens: until it ends, listings say `partial: true` and
  // /readyz says `scanning`; shipping and retention passes start after it
  await catalog.begin(signal);
  const scanned = catalog.scanned().then(() => logger.info({ roots: catalog.roots, ...catalog.stats() }, 'catalog ready'));
  scrapeGauge(metrics, 'podlog_files_tracked', 'Log files in the catalog.', () => catalog.stats().files);
  scrapeGauge(metrics, 'podlog_pods_tracked', 'Pod generations in the catalog.', () => catalog.stats().pods);

  const kubeKeys = { ...config.kube, nodeName };
  const kube = link
    ? await unlessStateUnusable('kube', async () => (await import('./kube/index.ts')).createKubeLink({
      config: kubeKeys, kubeConfig: link.kc, identity: config.kube.identity || env.POD_NAME || hostname(),
      stateDir: config.stateDir, logger, metrics: metrics.registry,
    }), health, logger)
    : undefined;
  await kube?.start(signal);
  const records = kube?.records;

  let shipper = es
    ? (await import('./ship/index.ts')).createShipper({
      catalog, priorityOf: createPriorityResolver(records, kubeKeys), config: config.ship, client: es, stateDir: config.stateDir,
      logger, metrics: metrics.registry, hostName: nodeName,
    })
    : undefined;
  // starts after the first scan (it would otherwise reconcile a growing catalog on every change); an unreachable
  // Elasticsearch is retried in the background; an unusable state path disables shipping (`degraded.ship`)
  const shipping = shipper
    ? scanned
      .then(() => unlessStateUnusable('ship', () => shipper!.start(signal).then(() => true), health, logger))
      .then(async (started) => {
        if (started) return;
        await shipper?.stop();
        shipper = undefined;
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'ship: cannot start; shipping is off');
        health.degraded('ship', 'disabled', `${(err as Error).message} (then restart the agent)`);
      })
    : undefined;
  // label and annotation changes apply within 200 ms (coalesced: records change with every Event)
  let refreshQueued = false;
  const stopRefresh = shipper && records
    ? records.onChange(() => {
      if (refreshQueued) return;
      refreshQueued = true;
      setTimeout(() => {
        refreshQueued = false;
        shipper?.refresh();
      }, 200).unref();
    })
    : undefined;
  const retention = startRetention({
    catalog, roots: catalog.roots, config, logger, registry: metrics.registry, signal, records, health, startAfter: shipping ?? scanned,
    ...(shipper ? { unshippedBytes: (path: string) => shipper?.unshippedBytes(path) ?? 0 } : {}),
  });

  const listFilter = (req: Request, namespaces: string[]) => namespaceFilter(req, namespaces, 'list');
  const peerForward = access.cluster?.forward ?? { selfNode: nodeName, saToken: serviceAccountToken(config.cluster.tokenFile), deadlineMs: config.cluster.peerDeadlineMs };
  const getPodInput = diagnosisSource({ catalog, records, lookup: kube?.lookup, logger });
  const flinkLogs = new JobLogCache({ catalog, logger });
  const flinkSource = jobStorySource({ catalog, records, lookup: kube?.lookup, config: kubeKeys, cache: flinkLogs, logger });
  const apiRouters: Router[] = [
    kubeRouter({ records, lookup: kube?.lookup, catalog, config: kubeKeys, listFilter, askPeer: (req, url) => askAgent(req, url, peerForward, 'the agent holding the cluster records') }),
    diagnosisRouter({ getPodInput }),
    flinkApiRouter({ source: flinkSource, cache: flinkLogs, ...(access.cluster ? { cluster: access.cluster } : {}) }),
    problemsRouter({ catalog, getPodInput, recordKeys: () => records?.list() ?? [], owners: () => kube?.lookup.owners() ?? [], listFilter }),
    nodeRouter({
      retention: retention.retention, catalog, config: config.retention, nodeName, runningWindowMs: config.runningWindowMs, listFilter,
      ...(retention.lifecycleOf ? { lifecycleOf: retention.lifecycleOf } : {}),
    }),
    esSearchRouter({ config: config.ship, ...(es ? { client: es } : {}) }),
  ];
  const app = createApp({
    config,
    catalog,
    metrics,
    logger,
    ready: () => ready,
    webDir: WEB_DIST,
    shutdown: signal,
    recordOf: recordSummaryOf(records, kubeKeys),
    recordOnlyPods: () =>
      (records?.list() ?? []).map((r) => ({ ...podRecordSummary(r, kubeKeys), namespace: r.namespace, name: r.name, uid: r.uid })),
    apiRouters,
    rootRouters: [flinkLinkRouter()],
    auth: access.auth,
    cluster: access.cluster,
    health,
    ...(ripgrep ? { ripgrep } : {}),
  });
  const server = createServer(app);
  hardenServer(server); // header and keep-alive timeouts; no request timeout: follow and search streams bound themselves
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  access.listening(server);
  ready = true;
  logger.info({ url, node: nodeName, cluster: Boolean(kube) }, 'listening');

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      ready = false;
      controller.abort();
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await done;
      clearTimeout(grace);
      await retention.stop();
      stopRefresh?.();
      await shipping;
      await shipper?.stop();
      await kube?.stop();
      await es?.close();
      await catalog.stop();
      logger.info('stopped');
    })());
  return { url, server, catalog, kube, close };
}

/** The Elasticsearch client of `ship` (credentials from its files or the environment), loaded on demand. */
async function createEsClientFrom(cfg: ShipConfig, env: NodeJS.ProcessEnv): Promise<Client> {
  const [{ createEsClient }, secrets] = await Promise.all([import('./ship/es-client.ts'), readSecrets(cfg, env, (p) => readFile(p, 'utf8'))]);
  return createEsClient(cfg, secrets);
}
