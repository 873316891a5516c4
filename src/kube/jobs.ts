import type { KubeConfigKeys } from './config.ts';
import { jobFromPodName } from './flink-names.ts';
import type { PodRecord } from './records.ts';

/** Label values of Flink's `type` label (flink-kubernetes `Constants.LABEL_TYPE_NATIVE_TYPE`; the operator's standalone mode). */
export const FLINK_TYPES = ['flink-native-kubernetes', 'flink-standalone-kubernetes'] as const;

/** A pod's job. */
export interface JobRef {
  /** Job id: the Flink cluster-id, or the value of the first configured job label found. */
  id: string;
  /** Component within the job (Flink: `jobmanager` | `taskmanager`), when labelled. */
  component?: string;
  /** How it was found: Flink labels, a configured label key, or a guess from the pod name. */
  source: 'flink-labels' | 'label' | 'pod-name';
}

/** Labels of a pod record (empty when the record has no pod). */
export function recordLabels(r: PodRecord): Record<string, string> {
  return ((r.pod?.metadata as { labels?: Record<string, string> } | undefined)?.labels) ?? {};
}

/** Annotations of a pod record (empty when the record has no pod). */
export function recordAnnotations(r: PodRecord): Record<string, string> {
  return ((r.pod?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations) ?? {};
}

/**
 * The job of a pod, from its labels:
 * 1. Flink (native Kubernetes and the Flink Kubernetes Operator, which labels pods the same way):
 *    `type` in {@link FLINK_TYPES} → id = `app` (the cluster-id), component = `component`;
 * 2. else the first of `config.jobLabelKeys` present (defaults `app`, `app.kubernetes.io/instance`,
 *    `batch.kubernetes.io/job-name`, `job-name`), component from `config.componentLabelKey`;
 * 3. else, when a pod name is given, {@link jobFromPodName}.
 * @param input a pod record, or labels (plus an optional pod name for the fallback)
 * @returns the job, or undefined when nothing identifies one
 */
export function jobOf(input: PodRecord | { labels: Record<string, string>; name?: string },
  config: Pick<KubeConfigKeys, 'jobLabelKeys' | 'componentLabelKey'>): JobRef | undefined {
  const labels = 'labels' in input ? input.labels : recordLabels(input);
  const name = input.name;
  const component = labels[config.componentLabelKey] || undefined;
  if ((FLINK_TYPES as readonly string[]).includes(labels.type ?? '') && labels.app) {
    return { id: labels.app, ...(labels.component ? { component: labels.component } : {}), source: 'flink-labels' };
  }
  for (const k of config.jobLabelKeys) {
    const v = labels[k];
    if (v) return { id: v, ...(component ? { component } : {}), source: 'label' };
  }
  const guess = name ? jobFromPodName(name) : undefined;
  return guess ? { id: guess.clusterId, component: guess.component, source: 'pod-name' } : undefined;
}
