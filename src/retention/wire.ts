/**
 * One call for `src/main.ts`: build and start retention and the optional kubelet log copier.
 * Kept here so the agent's wiring stays a few lines; every piece can also be built alone (`index.ts`).
 */
import type { Logger } from 'pino';
import type { Health } from '../observability/health.ts';
import type { Registry } from 'prom-client';
import type { KubeConfigKeys } from '../kube/config.ts';
import type { PodRecords } from '../kube/records.ts';
import type { CatalogView } from '../store/types.ts';
import type { RetentionConfig } from './config.ts';
import type { CriCopier } from './cri-copy.ts';
import { createCriCopier, createRetention, type Retention } from './index.ts';
import { lifecycleFromRecords, type LifecycleOf } from './pod-state.ts';

/** What {@link startRetention} needs from the agent. */
export interface RetentionWiring {
  /** The running catalog and its resolved roots (`Catalog.roots`). */
  catalog: CatalogView;
  roots: readonly string[];
  /** The agent's config (`Config` fits). */
  config: { retention: RetentionConfig; runningWindowMs: number; stateDir: string; kube?: KubeConfigKeys };
  logger: Logger;
  registry: Registry;
  /** The cluster link's pod records; `remove(uid)` (RecordStore has it) lets records expire with their logs. */
  records?: PodRecords & { remove?: (uid: string) => void };
  /** The shipper's `unshippedBytes`. */
  unshippedBytes?: (path: string) => number;
  signal: AbortSignal;
  /** Where a degraded copier is reported (`/readyz`). */
  health?: Health;
  /** Retention's passes start once this resolves (the catalog's first scan: a pass over a partial catalog would plan from part of the disk). */
  startAfter?: Promise<unknown>;
}

/** What {@link startRetention} returns. */
export interface RetentionUnit {
  retention: Retention;
  /** Pod lifecycles from the records (running, exited, when), when there are records; `GET /node` shows them too. */
  lifecycleOf?: LifecycleOf;
  /** The kubelet log copier, when `retention.kubeletPodsDir` is set. */
  cri?: CriCopier;
  /** Stop the copier (saves its offsets); retention's timers stop with `signal`. */
  stop(): Promise<void>;
}

/**
 * Build retention (records give pod lifecycles when present), start its timers and the kubelet log copier
 * (first copy in the background; failures logged).
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
  if (w.startAfter) void w.startAfter.then(() => retention.start(w.signal));
  else retention.start(w.signal);
  const cri = w.roots[0] ? createCriCopier({ config: rc, root: w.roots[0], stateDir: w.config.stateDir, logger: w.logger, metrics: retention.metrics, ...(w.health ? { health: w.health } : {}) }) : undefined;
  void cri?.start(w.signal); // never rejects: failed passes are retried with backoff and reported
  return { retention, ...(lifecycleOf ? { lifecycleOf } : {}), ...(cri ? { cri } : {}), stop: async () => cri?.stop() };
}
