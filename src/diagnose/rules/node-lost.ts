/**
 * Pods on a node that stopped reporting. Sources: kubernetes/kubernetes
 * pkg/controller/nodelifecycle/node_lifecycle_controller.go and pkg/controller/util/node/controller_utils.go
 * (Event `NodeNotReady` on each pod, "Node is not ready"; pods marked Ready=False), the taint-eviction
 * controller pkg/controller/tainteviction/taint_eviction.go (Event `TaintManagerEviction` "Marking for deletion
 * Pod %s", condition `DisruptionTarget` reason `DeletionByTaintManager`), and the legacy status
 * `reason: NodeLost` "Node %v which was running pod %v is unresponsive" (before taint-based eviction).
 * A pod whose deletionTimestamp has passed and which still exists is stuck Terminating: the kubelet that must
 * confirm the stop is gone — unless its Job failed or deleted it (jobs.ts names the Job's deadline or
 * backoff limit then). https://kubernetes.io/docs/concepts/architecture/nodes/#condition
 */
import {
  eventsEvidence,
  humanDuration,
  lastSeen,
  statusEvidence,
  type RuleContext,
} from '../context.ts';
import { parseTime } from '../events.ts';
import type { Evidence, Finding } from '../types.ts';
import { JOB_FAILURE_REASONS } from './jobs.ts';

/** Grace after deletionTimestamp before a pod counts as stuck Terminating. */
export const STUCK_MS = 5 * 60 * 1000;

/** True when the pod's Job failed (Warning Event or condition) or its controller deleted this pod. */
export function deletedByJob(ctx: RuleContext): boolean {
  const jobs = new Set((ctx.pod?.metadata?.ownerReferences ?? []).filter((o) => o.kind === 'Job').map((o) => o.name));
  if (!jobs.size) return false;
  const evs = ctx.ownerEvents.filter((e) => e.kind === 'Job' && jobs.has(e.name));
  if (evs.some((e) => (e.type === 'Warning' && JOB_FAILURE_REASONS.includes(e.reason)) || (e.reason === 'SuccessfulDelete' && e.message === `Deleted pod: ${ctx.name}`))) return true;
  return ctx.objects.some((o) => o.kind === 'Job' && jobs.has(o.metadata?.name ?? '') && !!o.status?.conditions?.some((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True'));
}

/** The rule. */
export function nodeLostRule(ctx: RuleContext): Finding[] {
  const st = ctx.pod?.status;
  const node = ctx.pod?.spec?.nodeName;
  const notReady = ctx.events.find((e) => e.reason === 'NodeNotReady');
  const taintEvict = ctx.events.find((e) => e.reason === 'TaintManagerEviction');
  const cond = st?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True' && /TaintManager|TaintEviction/.test(c.reason ?? ''));
  const lost = st?.reason === 'NodeLost' || st?.phase === 'Unknown';
  const delMs = parseTime(ctx.pod?.metadata?.deletionTimestamp);
  const stuck = delMs !== undefined && ctx.now - delMs > STUCK_MS;
  // A NodeNotReady Event followed by a healthy pod is history, handled by the recovery cut.
  if (!notReady && !taintEvict && !cond && !lost && !stuck) return [];
  const readyNow = st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (readyNow && !stuck && !lost) return [];
  // Deleted by its Job (deadline, backoff limit, pod failure policy) with no sign of node trouble: the Job is
  // the cause (jobs.ts says so), not a lost node.
  if (!notReady && !taintEvict && !cond && !lost && stuck && deletedByJob(ctx)) return [];
  const evidence: Evidence[] = [...eventsEvidence([notReady, taintEvict].filter((e) => !!e), 2)];
  if (st?.phase) evidence.push(statusEvidence('status.phase', st.phase));
  if (st?.reason) evidence.push(statusEvidence('status.reason', st.reason), statusEvidence('status.message', st.message));
  if (cond) evidence.push(statusEvidence('status.conditions[DisruptionTarget].reason', cond.reason));
  if (delMs !== undefined) evidence.push(statusEvidence('metadata.deletionTimestamp', ctx.pod?.metadata?.deletionTimestamp));
  const onNode = node ? `node ${node}` : 'its node';
  let summary = `Pod ${ctx.ref} is cut off: ${onNode} stopped reporting to the control plane (NodeNotReady)`;
  if (lost && st?.phase === 'Unknown') summary += ', so its state is Unknown';
  if (taintEvict || cond) summary += ', and Kubernetes is removing the pod from that node';
  if (stuck) summary += `; it has been stuck Terminating for ${humanDuration(ctx.now - delMs!)} because the node cannot confirm the containers stopped`;
  summary += '.';
  if (!notReady && !lost && !taintEvict && !cond && stuck) {
    summary = `Pod ${ctx.ref} has been stuck Terminating for ${humanDuration(ctx.now - delMs!)}: the kubelet on ${onNode} has not confirmed the containers stopped (a finalizer, a hung preStop hook, or an unreachable node).`;
  }
  const seen = lastSeen(notReady ?? taintEvict);
  return [{
    class: 'NodeLost',
    severity: 'critical',
    summary,
    evidence,
    fix: stuck
      ? `Check ${onNode} (\`kubectl describe node\`). If the node is really gone, force the deletion (\`kubectl delete pod ${ctx.name} -n ${ctx.namespace} --grace-period=0 --force\`); for a StatefulSet pod make sure the node is down first, or two copies may run. Also check metadata.finalizers.`
      : `Check ${onNode} (\`kubectl describe node\`: kubelet, network, power). Pods are moved after the NoExecute taint's tolerationSeconds (default 300s); set spec.tolerations for node.kubernetes.io/unreachable / not-ready to change that.`,
    ...(seen ? { lastSeen: seen } : {}),
  }];
}
