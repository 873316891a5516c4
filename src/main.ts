import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import type { Request, Router } from 'express';
import { namespaceFilter } from './auth/middleware.ts';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { diagnosisRouter } from './diagnose/routes.ts';
import { createApp } from './http/app.ts';
import { diagnosisSource } from './http/diagnosis-source.ts';
import { problemsRouter } from './http/routes/problems.ts';
import { createKubeLink, type KubeLink } from './kube/index.ts';
import { kubeRouter } from './kube/routes.ts';
import { podRecordSummary, recordSummaryOf } from './kube/summary.ts';
import { createHealth, type Health } from './observability/health.ts';
import { isStateUnusable, usableStateDir } from './config/state-dir.ts';
import { createMetrics, scrapeGauge } from './observability/metrics.ts';
import { createAccess } from './cluster/access.ts';
import { hardenServer } from './auth/front-door.ts';
import { startRetention } from './retention/wire.ts';
import { createPriorityResolver } from './kube/priority.ts';
import { createShipper } from './ship/index.ts';
import { esSearchRouter } from './ship/routes.ts';
import { Catalog } from './store/catalog.ts';

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
export const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url));

/**
 * Build and wire every unit from a validated config and listen. The only place units are constructed.
 * @throws PodlogError `PODLOG_E_CONFIG` for unusable roots; listen errors (EADDRINUSE) as thrown by node.
 */
export async function startAgent(config: Config, logger: Logger): Promise<RunningAgent> {
  const controller = new AbortController();
  const signal = controller.signal;
  const metrics = createMetrics();
  const health = createHealth(metrics.registry); // parts running degraded, for /readyz
  const nodeName = config.kube.nodeName ?? (process.env.NODE_NAME || hostname());
  await usableStateDir(config.stateDir, 'state', 0o700); // unusable: one line naming it and the fix, exit 2

  const catalog = new Catalog({ roots: config.roots, logger, usePolling: config.usePolling, rescanMs: config.rescanMs });
  const access = createAccess(config, { nodeName, catalog, logger }); // refuses auth none beyond loopback, before any work
  let ready = false;
  await catalog.start(signal);
  scrapeGauge(metrics, 'podlog_files_tracked', 'Log files in the catalog.', () => catalog.stats().files);
  scrapeGauge(metrics, 'podlog_pods_tracked', 'Pod generations in the catalog.', () => catalog.stats().pods);
  logger.info({ roots: catalog.roots, ...catalog.stats() }, 'catalog ready');

  const kubeConfig = { ...config.kube, nodeName };
  const kube = await unlessStateUnusable('kube', () => createKubeLink({ config: kubeConfig, stateDir: config.stateDir, logger, metrics: metrics.registry }), health, logger);
  await kube?.start(signal);
  const records = kube?.records;

  let shipper = config.ship.esUrl
    ? createShipper({ catalog, priorityOf: createPriorityResolver(records, kubeConfig), config: config.ship, stateDir: config.stateDir, logger, metrics: metrics.registry, hostName: nodeName })
    : undefined;
  // resolves once running; an unreachable Elasticsearch is retried in the background
  if (shipper && !(await unlessStateUnusable('ship', () => shipper!.start(signal).then(() => true), health, logger))) {
    await shipper.stop();
    shipper = undefined;
  }
  // label and annotation changes apply within 200 ms (coalesced: records change with every Event)
  let refreshQueued = false;
  const stopRefresh = shipper && records
    ? records.onChange(() => {
      if (refreshQueued) return;
      refreshQueued = true;
      setTimeout(() => {
        refreshQueued = false;
        shipper.refresh();
      }, 200).unref();
    })
    : undefined;
  const retention = startRetention({
    catalog, roots: catalog.roots, config, nodeName, logger, registry: metrics.registry, signal, records, health,
    ...(shipper ? { unshippedBytes: (path: string) => shipper.unshippedBytes(path) } : {}),
  });

  const listFilter = (req: Request, namespaces: string[]) => namespaceFilter(req, namespaces, 'list');
  const getPodInput = diagnosisSource({ catalog, records, lookup: kube?.lookup, logger });
  const apiRouters: Router[] = [
    kubeRouter({ records, lookup: kube?.lookup, catalog, config: kubeConfig, listFilter }),
    diagnosisRouter({ getPodInput }),
    problemsRouter({ catalog, getPodInput, recordKeys: () => records?.list() ?? [], listFilter }),
    retention.router,
    esSearchRouter({ config: config.ship }),
  ];
  const app = createApp({
    config,
    catalog,
    metrics,
    logger,
    ready: () => ready,
    webDir: WEB_DIST,
    shutdown: signal,
    recordOf: recordSummaryOf(records, kubeConfig),
    recordOnlyPods: () =>
      (records?.list() ?? []).map((r) => ({ ...podRecordSummary(r, kubeConfig), namespace: r.namespace, name: r.name, uid: r.uid })),
    apiRouters,
    auth: access.auth,
    cluster: access.cluster,
    health,
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
      await shipper?.stop();
      await kube?.stop();
      await catalog.stop();
      logger.info('stopped');
    })());
  return { url, server, catalog, kube, close };
}
