import { PRIORITIES, type KubeConfigKeys, type Priority } from './config.ts';
import { jobOf, recordAnnotations, recordLabels } from './jobs.ts';
import type { PodRecords } from './records.ts';

/** Parse `P0`..`P3` (case and surrounding spaces ignored); undefined for anything else. */
export function parsePriority(v: string | undefined): Priority | undefined {
  const p = v?.trim().toUpperCase();
  return (PRIORITIES as readonly string[]).includes(p ?? '') ? (p as Priority) : undefined;
}

/**
 * A pod's priority: the `config.priorityKey` label (default `podlog.io/priority`), else the
 * annotation of that key, else `config.namespacePriorities[namespace]`, else `config.defaultPriority`.
 * Invalid values are ignored (fall through to the next source).
 * @returns P0 (highest) .. P3, or undefined when no source gives one
 */
export function priorityOf(labels: Record<string, string>, annotations: Record<string, string>, namespace: string,
  config: Pick<KubeConfigKeys, 'priorityKey' | 'namespacePriorities' | 'defaultPriority'>): Priority | undefined {
  return parsePriority(labels[config.priorityKey]) ?? parsePriority(annotations[config.priorityKey])
    ?? config.namespacePriorities[namespace] ?? config.defaultPriority;
}

/** What the shipper learns about a pod generation. */
export interface PodPriorityInfo {
  priority?: Priority;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  jobId?: string;
  /** False when there is no record and the answer comes from the namespace default and the pod name only. */
  recorded: boolean;
}

/**
 * Build the function the shipper calls per pod folder: the record of exactly that generation (uid) gives
 * labels, annotations, job and priority; without a record, the namespace/default priority and a job guessed
 * from the pod name are returned when there are any (`recorded: false`), else undefined.
 */
export function createPriorityResolver(records: PodRecords | undefined, config: KubeConfigKeys):
  (pod: { namespace: string; name: string; uid: string }) => PodPriorityInfo | undefined {
  return (pod) => {
    const r = records?.get(pod.namespace, pod.name, pod.uid);
    if (r) {
      const labels = recordLabels(r);
      const annotations = recordAnnotations(r);
      const job = jobOf(r, config);
      const priority = priorityOf(labels, annotations, pod.namespace, config);
      return { labels, annotations, recorded: true, ...(priority ? { priority } : {}), ...(job ? { jobId: job.id } : {}) };
    }
    const priority = priorityOf({}, {}, pod.namespace, config);
    const job = jobOf({ labels: {}, name: pod.name }, config);
    if (!priority && !job) return undefined;
    return { labels: {}, annotations: {}, recorded: false, ...(priority ? { priority } : {}), ...(job ? { jobId: job.id } : {}) };
  };
}
