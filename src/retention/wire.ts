/**
 * One call for `src/main.ts`: build and start retention, the optional kubelet log copier and the `/node` router.
 * Kept here so the agent's wiring stays a few lines; every piece can also be built alone (`index.ts`).
 */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Health } from '../observability/health.ts';
import type { Registry } from 'prom-client';
import type { KubeConfigKeys } from '../kube/config.ts';
import type { PodRecords } from '../kube/records.ts';
import type { CatalogView } from '../store/types.ts';
import type { RetentionConfig } from './config.ts';
import type { CriCopier } from './cri-copy.ts';
import { createCriCopier, createRetention, type Retention } from './index.ts';
import { lifecycleFromRecords } from './pod-state.ts';
import { namespaceFilter } from '../auth/middleware.ts';
import { nodeRouter, type NodeRouterDeps } from './routes.ts';

/** What {@link startRetention} needs from the agent. */
export interface RetentionWiring {
  /** The running catalog and its resolved roots (`Catalog.roots`). */
  catalog: CatalogView;
  roots: readonly string[];
  /** The agent's config (`Config` fits). */
  config: { retention: RetentionConfig; runningWindowMs: number; stateDir: string; kube?: KubeConfigKeys };
  /** This node's name for `GET /node` (default `config.kube.nodeName`, else the host name). */
  nodeName?: string;
  logger: Logger;
  registry: Registry;
  /** The cluster link's pod records; `remove(uid)` (RecordStore has it) lets records expire with their logs. */
  records?: PodRecords & { remove?: (uid: string) => void };
  /** The shipper's `unshippedBytes`. */
  unshippedBytes?: (path: string) => number;
  /** Namespaces the caller may list, for `GET /node` (default: `namespaceFilter` of `src/auth/middleware.ts`, verb `list`). */
  listFilter?: NodeRouterDeps['listFilter'];
  signal: AbortSignal;
  /** Where a degraded copier is reported (`/readyz`). */
  health?: Health;
}

/** What {@link startRetention} returns. */
export interface RetentionUnit {
  retention: Retention;
  /** Mount under `/api/v1` (`apiRouters`): `GET /node`. */
  router: Router;
  /** The kubelet log copier, when `retention.kubeletPodsDir` is set. */
  cri?: CriCopier;
  /** Stop the copier (saves its offsets); retention's timers stop with `signal`. */
  stop(): Promise<void>;
}

/**
 * Build retention (records give pod lifecycles when present), start its timers and the kubelet log copier
 * (first copy in the background; failures logged), and the `/node` router.
 */
export function startRetention(w: RetentionWiring): RetentionUnit {
  const rc = w.config.retention;
  const lifecycleOf = w.records && w.config.kube ? lifecycleFromRecords(w.records, w.config.kube) : undefined;
  const records = w.records;
  const retention = createRetention({
    catalog: w.catalog, roots: w.roots, config: rc, runningWindowMs: w.config.runningWindowMs, logger: w.logger, registry: w.registry,
    ...(lifecycleOf ? { lifecycleOf } : {}),
    ...(records?.remove ? { expireRecord: (p: { uid: string }) => records.remove!(p.uid) } : {}),
    ...(w.unshippedBytes ? { unshippedBytes: w.unshippedBytes } : {}),
  });
  retention.start(w.signal);
  const cri = w.roots[0] ? createCriCopier({ config: rc, root: w.roots[0], stateDir: w.config.stateDir, logger: w.logger, metrics: retention.metrics, ...(w.health ? { health: w.health } : {}) }) : undefined;
  void cri?.start(w.signal); // never rejects: failed passes are retried with backoff and reported
  const router = nodeRouter({
    retention, catalog: w.catalog, config: rc, nodeName: w.nodeName ?? w.config.kube?.nodeName ?? '', runningWindowMs: w.config.runningWindowMs, ...(lifecycleOf ? { lifecycleOf } : {}),
    listFilter: w.listFilter ?? ((req, namespaces) => namespaceFilter(req, namespaces, 'list')),
  });
  return { retention, router, ...(cri ? { cri } : {}), stop: async () => cri?.stop() };
}
