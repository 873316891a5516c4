import { Counter, Gauge, type Registry } from 'prom-client';
import type { EvictReason } from './plan.ts';

/**
 * Retention's Prometheus metrics, all prefixed `podlog_retention_`. Labels: `root` (a configured root,
 * a bounded set), `reason` (`age|budget|floor`), `kind` (`pod|file`), `outcome` (`ok|dry_run|error`).
 */
export interface RetentionMetrics {
  /** Bytes of log files under a root (catalog sizes), at the last pass. */
  rootBytes: Gauge<'root'>;
  /** Free bytes of the root's file system, at the last check. */
  fsFreeBytes: Gauge<'root'>;
  /** The root's byte budget resolved to bytes (absent when none is set). */
  budgetBytes: Gauge<'root'>;
  /** Bytes deleted, by reason. */
  evictedBytes: Counter<'reason'>;
  /** Pod folders and files deleted, by reason and kind. */
  evicted: Counter<'reason' | 'kind'>;
  /** Unshipped priority bytes deleted because the free-space floor was breached. */
  unshippedEvictedBytes: Counter<string>;
  /** Unshipped priority bytes kept although over budget or below the floor, at the last pass. */
  heldUnshippedBytes: Gauge<string>;
  /** Age of the oldest pod still kept (by end or last activity), seconds. */
  oldestPodAgeSeconds: Gauge<string>;
  /** Passes run, by outcome. */
  runs: Counter<'outcome'>;
  /** Duration of the last pass, seconds. */
  lastRunSeconds: Gauge<string>;
  /** Bytes copied from the kubelet's container logs. */
  criCopiedBytes: Counter<string>;
  /** Kubelet container logs that vanished before all their bytes were copied (bytes never seen are lost). */
  criLostFiles: Counter<string>;
  /** Copier passes that failed (offsets not saved, or the copies' disk full or read-only); each is retried with backoff. */
  criFailedPasses: Counter<string>;
  /** 1 while the copier's last pass failed, else 0. */
  criFailing: Gauge<string>;
}

/** Register the retention metrics in `registry` (once per registry). */
export function createRetentionMetrics(registry: Registry): RetentionMetrics {
  const registers = [registry];
  const reasons: EvictReason[] = ['age', 'budget', 'floor'];
  const m: RetentionMetrics = {
    rootBytes: new Gauge({ name: 'podlog_retention_root_bytes', help: 'Bytes of log files under the root (catalog sizes).', labelNames: ['root'], registers }),
    fsFreeBytes: new Gauge({ name: 'podlog_retention_fs_free_bytes', help: "Free bytes of the root's file system.", labelNames: ['root'], registers }),
    budgetBytes: new Gauge({ name: 'podlog_retention_budget_bytes', help: "The root's byte budget.", labelNames: ['root'], registers }),
    evictedBytes: new Counter({ name: 'podlog_retention_evicted_bytes_total', help: 'Bytes deleted by retention, by reason.', labelNames: ['reason'], registers }),
    evicted: new Counter({ name: 'podlog_retention_evicted_total', help: 'Pod folders and files deleted by retention, by reason and kind.', labelNames: ['reason', 'kind'], registers }),
    unshippedEvictedBytes: new Counter({ name: 'podlog_retention_unshipped_evicted_bytes_total', help: 'Unshipped priority bytes deleted because the free-space floor was breached.', registers }),
    heldUnshippedBytes: new Gauge({ name: 'podlog_retention_held_unshipped_bytes', help: 'Unshipped priority bytes kept although over budget or below the floor.', registers }),
    oldestPodAgeSeconds: new Gauge({ name: 'podlog_retention_oldest_pod_age_seconds', help: 'Age of the oldest pod folder kept, seconds.', registers }),
    runs: new Counter({ name: 'podlog_retention_runs_total', help: 'Retention passes, by outcome.', labelNames: ['outcome'], registers }),
    lastRunSeconds: new Gauge({ name: 'podlog_retention_last_run_duration_seconds', help: 'Duration of the last retention pass, seconds.', registers }),
    criCopiedBytes: new Counter({ name: 'podlog_retention_cri_copied_bytes_total', help: "Bytes copied from the kubelet's container logs.", registers }),
    criLostFiles: new Counter({ name: 'podlog_retention_cri_lost_files_total', help: 'Kubelet container logs deleted before podlog could open them.', registers }),
    criFailedPasses: new Counter({ name: 'podlog_retention_cri_failed_passes_total', help: 'Kubelet log copier passes that failed (offsets not saved, disk full or read-only); retried with backoff.', registers }),
    criFailing: new Gauge({ name: 'podlog_retention_cri_failing', help: "1 while the kubelet log copier's last pass failed, else 0.", registers }),
  };
  for (const reason of reasons) {
    m.evictedBytes.inc({ reason }, 0);
    for (const kind of ['pod', 'file']) m.evicted.inc({ reason, kind }, 0);
  }
  for (const outcome of ['ok', 'dry_run', 'error']) m.runs.inc({ outcome }, 0);
  return m;
}
