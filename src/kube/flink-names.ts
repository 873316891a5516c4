/**
 * Guessing a Flink job from a pod name alone, for log folders that have no pod record (the agent had no
 * cluster link, or the record was pruned). Labels, when known, are better: see `jobs.ts`.
 *
 * Names, per Flink's native Kubernetes integration (flink-kubernetes `KubernetesJobManagerFactory` and
 * `KubernetesTaskManagerFactory`; the Flink Kubernetes Operator uses the same factories):
 * - JobManager: a Deployment named `<cluster-id>`, so pods are `<cluster-id>-<pod-template-hash>-<suffix>`,
 *   where both parts use the apimachinery `rand.SafeEncodeString` alphabet `bcdfghjklmnpqrstvwxz2456789`,
 *   the template hash up to 10 characters and the suffix exactly 5 (kubernetes `pkg/controller` naming).
 * - TaskManager: plain pods `<cluster-id>-taskmanager-<attempt>-<index>` (attempt = ResourceManager attempt).
 * - Standalone mode of the operator: TaskManagers are a Deployment `<cluster-id>-taskmanager`.
 */

/** A job guessed from a pod name. */
export interface FlinkPodName {
  /** `kubernetes.cluster-id` (also the `app` label on the pod). */
  clusterId: string;
  component: 'jobmanager' | 'taskmanager';
}

const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const TASKMANAGER_POD = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-taskmanager-(\d+)-(\d+)$/;
const DEPLOYMENT_POD = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-(${SAFE}{1,10})-(${SAFE}{5})$`);

/**
 * Parse a pod name into a Flink cluster-id and component, or undefined when it has neither shape.
 * Any Deployment pod has the JobManager shape, so this is a guess: use it only when there are no labels.
 * @example jobFromPodName('wordcount-taskmanager-1-3') // {clusterId:'wordcount', component:'taskmanager'}
 * @example jobFromPodName('wordcount-7c9b8d4f6d-x2x4z') // {clusterId:'wordcount', component:'jobmanager'}
 */
export function jobFromPodName(name: string): FlinkPodName | undefined {
  const tm = TASKMANAGER_POD.exec(name);
  if (tm) return { clusterId: tm[1]!, component: 'taskmanager' };
  const d = DEPLOYMENT_POD.exec(name);
  if (d) {
    const base = d[1]!;
    if (base.endsWith('-taskmanager') && base.length > '-taskmanager'.length) {
      return { clusterId: base.slice(0, -'-taskmanager'.length), component: 'taskmanager' };
    }
    return { clusterId: base, component: 'jobmanager' };
  }
  return undefined;
}
