import type { KubeConfigKeys, Priority } from './config.ts';
import { jobOf, recordLabels, recordAnnotations } from './jobs.ts';
import { priorityOf } from './priority.ts';
import type { PodRecord, PodRecords } from './records.ts';

/** A container's termination, current (`last: false`) or previous (`last: true`, from `lastState`). */
export interface Termination {
  container: string;
  exitCode: number;
  reason?: string;
  /** Signal number, when the runtime reports one. */
  signal?: number;
  startedAt?: string;
  finishedAt?: string;
  last: boolean;
}

/** Pod fields merged into each item of `GET /api/v1/pods` (a type alias, so it fits `PodRecordFields`). */
export type PodRecordSummary = {
  job?: string;
  component?: string;
  priority?: Priority;
  /** `deleted` once the pod is gone, else from `status.phase`. */
  state: 'pending' | 'running' | 'succeeded' | 'failed' | 'deleted' | 'unknown';
  /** `status.phase` as last seen ('' when unknown). */
  phase: string;
  /** Sum of `restartCount` over init and app containers. */
  restarts: number;
  /** Distinct exit codes of current and last terminations, in container order (e.g. [137]). */
  exitCodes: number[];
  terminations: Termination[];
  labels: Record<string, string>;
  deletedAt?: string;
  node?: string;
  /** `metadata.creationTimestamp` (ISO-8601), when known. */
  createdAt?: string;
};

type ContainerState = { terminated?: { exitCode?: number; reason?: string; signal?: number; startedAt?: string; finishedAt?: string } };
type ContainerStatus = { name?: string; restartCount?: number; state?: ContainerState; lastState?: ContainerState };

const PHASES: Record<string, PodRecordSummary['state']> = { Pending: 'pending', Running: 'running', Succeeded: 'succeeded', Failed: 'failed' };

/**
 * Summarise a pod record for listings: job and component ({@link jobOf}), priority
 * ({@link priorityOf}), state, restarts and exit codes from `status.{initContainerStatuses,containerStatuses}`
 * (core/v1 ContainerStatus: `state.terminated` and `lastState.terminated`), labels, deletion time and node.
 * @param config job and priority keys (defaults when omitted by the caller: `kubeDefaults()`)
 */
export function podRecordSummary(record: PodRecord,
  config: Pick<KubeConfigKeys, 'jobLabelKeys' | 'componentLabelKey' | 'priorityKey' | 'namespacePriorities' | 'defaultPriority'>): PodRecordSummary {
  const status = (record.pod?.status ?? {}) as { phase?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] };
  const statuses = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const terminations: Termination[] = [];
  let restarts = 0;
  for (const cs of statuses) {
    restarts += cs.restartCount ?? 0;
    for (const [st, last] of [[cs.state, false], [cs.lastState, true]] as const) {
      const t = st?.terminated;
      if (t && typeof t.exitCode === 'number') {
        terminations.push({ container: cs.name ?? '', exitCode: t.exitCode, last,
          ...(t.reason ? { reason: t.reason } : {}), ...(t.signal ? { signal: t.signal } : {}),
          ...(t.startedAt ? { startedAt: t.startedAt } : {}), ...(t.finishedAt ? { finishedAt: t.finishedAt } : {}) });
      }
    }
  }
  const labels = recordLabels(record);
  const job = jobOf(record, config);
  const priority = priorityOf(labels, recordAnnotations(record), record.namespace, config);
  const phase = status.phase ?? '';
  return {
    ...(job ? { job: job.id } : {}),
    ...(job?.component ? { component: job.component } : {}),
    ...(priority ? { priority } : {}),
    state: record.deletedAt ? 'deleted' : (PHASES[phase] ?? 'unknown'),
    phase,
    restarts,
    exitCodes: [...new Set(terminations.map((t) => t.exitCode))],
    terminations,
    labels,
    ...(record.deletedAt ? { deletedAt: record.deletedAt } : {}),
    ...(record.node ? { node: record.node } : {}),
    ...(typeof record.pod?.metadata?.creationTimestamp === 'string' ? { createdAt: record.pod.metadata.creationTimestamp } : {}),
  };
}

/**
 * The `recordOf` hook of `createApp` (src/http/app.ts): the summary of exactly this pod generation's record
 * (by uid), or undefined when there is none.
 */
export function recordSummaryOf(records: PodRecords | undefined,
  config: Parameters<typeof podRecordSummary>[1]): (pod: { namespace: string; name: string; uid: string }) => PodRecordSummary | undefined {
  return (pod) => {
    const r = records?.get(pod.namespace, pod.name, pod.uid);
    return r ? podRecordSummary(r, config) : undefined;
  };
}
