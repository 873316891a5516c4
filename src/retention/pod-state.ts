/**
 * Whether a pod folder belongs to a running or an exited pod, for retention. With a pod record (kube unit):
 * `deleted`, `succeeded` and `failed` are exited, ending at `deletedAt` or the last container `finishedAt`;
 * anything else (running, pending, unknown) counts as running. Without a record: running when a live file changed
 * within `runningWindowMs` (the pod listing's rule, `src/http/pod-view.ts`), else `idle`, ending at its last file
 * change: it goes by age once none of its files changed for maxAge, and under disk pressure only after
 * the rotated files of running pods (its live file may still be open by a quiet process).
 */
import type { KubeConfigKeys } from '../kube/config.ts';
import type { PodRecords } from '../kube/records.ts';
import { podRecordSummary } from '../kube/summary.ts';
import type { PodEntry } from '../store/types.ts';

/** What retention knows about a pod from the cluster. */
export interface PodLifecycle {
  state: 'running' | 'exited' | 'idle';
  /** When it ended, ms since the epoch (exited pods). */
  endedAtMs?: number;
  /** Priority pod (its unshipped bytes are protected); undefined when unknown (protected). */
  priority?: boolean;
}

/** Looks up a pod's lifecycle from the cluster; undefined when there is no record. */
export type LifecycleOf = (pod: PodEntry) => PodLifecycle | undefined;

const EXITED = new Set(['deleted', 'succeeded', 'failed']);

/**
 * Build a {@link LifecycleOf} from the kube unit's pod records (`podRecordSummary`).
 * @param config the kube section (job, component and priority keys)
 */
export function lifecycleFromRecords(records: PodRecords,
  config: Pick<KubeConfigKeys, 'jobLabelKeys' | 'componentLabelKey' | 'priorityKey' | 'namespacePriorities' | 'defaultPriority'>): LifecycleOf {
  return (pod) => {
    const rec = records.get(pod.namespace, pod.name, pod.uid);
    if (!rec) return undefined;
    const s = podRecordSummary(rec, config);
    if (!EXITED.has(s.state)) return { state: 'running' };
    const times = [s.deletedAt, ...s.terminations.map((t) => t.finishedAt)]
      .map((t) => (t ? Date.parse(t) : NaN))
      .filter((t) => Number.isFinite(t));
    return { state: 'exited', ...(times.length ? { endedAtMs: Math.max(...times) } : {}) };
  };
}

/**
 * The record-less rule: running when a live file changed within `runningWindowMs` of `now`, else idle.
 * O(files of the pod).
 */
export function lifecycleByActivity(pod: PodEntry, now: number, runningWindowMs: number): PodLifecycle {
  for (const c of pod.containers.values()) {
    for (const f of c.files.values()) if (f.live && now - f.mtimeMs < runningWindowMs) return { state: 'running' };
  }
  return { state: 'idle' };
}
