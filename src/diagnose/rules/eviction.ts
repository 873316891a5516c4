/**
 * Pods stopped by the node or the control plane: kubelet eviction, preemption by the scheduler, the active
 * deadline, and kubelet admission rejections. Sources: kubernetes/kubernetes pkg/kubelet/eviction/helpers.go
 * (`Reason = "Evicted"`; "The node was low on resource: %v. ", "Threshold quantity: %v, available: %v. ",
 * "Container %s was using %s, request is %s, has larger consumption of %v. ", "The node had condition: %v. ",
 * "Pod ephemeral local storage usage exceeds the total limit of containers %s. ", "Container %s exceeded its
 * local ephemeral storage limit %q. ", "Usage of EmptyDir volume %q exceeds the limit %q. "),
 * pkg/kubelet/active_deadline.go (reason `DeadlineExceeded`, "Pod was active on the node longer than the
 * specified deadline"), pkg/scheduler/framework/preemption/executor.go (Event `Preempted`, action `Preempting`,
 * "Preempted by pod %v on node %v" with the preemptor's uid and the preemptor as the Event's `related` object;
 * releases before 1.27 named the preemptor as namespace/name; condition `DisruptionTarget` with
 * reason `PreemptionByScheduler`, earlier `PreemptionByKubeScheduler`), pkg/kubelet/lifecycle/predicate.go (admission reasons `OutOf<resource>`,
 * "Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d").
 * Docs: https://kubernetes.io/docs/concepts/scheduling-eviction/node-pressure-eviction/
 */
import {
  clip,
  eventsEvidence,
  lastSeen,
  objectsOf,
  specEvidence,
  statusEvidence,
  type RuleContext,
} from '../context.ts';
import type { Evidence, Finding, NormEvent } from '../types.ts';

/**
 * Words for a priority: `PriorityClass batch-low (priority 100)`, from the pod's spec and, when the caller passed
 * them, the PriorityClass objects; undefined when nothing is known.
 */
export function priorityOf(ctx: RuleContext, className: string | undefined, priority: number | undefined): string | undefined {
  const value = priority ?? objectsOf(ctx, 'PriorityClass', className ?? '\u0000')[0]?.value;
  if (className) return `PriorityClass ${className}${value !== undefined ? ` (priority ${value})` : ''}`;
  return value !== undefined ? `priority ${value}` : undefined;
}

/** The pod that preempted this one: name from the Event's `related`, the message (before 1.27), or its uid. */
export function preemptorOf(ctx: RuleContext, e: NormEvent): { name?: string; uid?: string; node?: string; priority?: string; className?: string } {
  const m = /Preempted by (?:pod )?(?:([0-9a-f-]{36})|([^/\s]+)\/(\S+)|a pod) on node (\S+)/.exec(e.message);
  const uid = e.related?.uid ?? m?.[1];
  let name = e.related?.name ?? m?.[3];
  const podObj = ctx.objects.find((o) => o.kind === 'Pod' && ((uid && o.metadata?.uid === uid) || (name && o.metadata?.name === name)));
  name ??= podObj?.metadata?.name ?? (uid ? ctx.ownerEvents.find((x) => x.kind === 'Pod' && x.uid === uid)?.name : undefined);
  const spec = podObj?.spec as { priorityClassName?: string; priority?: number } | undefined;
  const out: { name?: string; uid?: string; node?: string; priority?: string; className?: string } = {};
  if (name) out.name = name;
  if (uid) out.uid = uid;
  if (m?.[4]) out.node = m[4];
  const pr = priorityOf(ctx, spec?.priorityClassName, spec?.priority);
  if (pr) out.priority = pr;
  if (spec?.priorityClassName) out.className = spec.priorityClassName;
  return out;
}

/** Plain words and fix for an eviction message. */
export function explainEviction(msg: string): { what: string; fix: string } {
  let m: RegExpExecArray | null;
  if ((m = /Usage of EmptyDir volume "([^"]+)" exceeds the limit "([^"]+)"/.exec(msg))) {
    return { what: `its emptyDir volume ${m[1]} grew past its ${m[2]} sizeLimit`, fix: `Raise spec.volumes[${m[1]}].emptyDir.sizeLimit (now ${m[2]}) or write less there (rotate or delete files).` };
  }
  if ((m = /Container (\S+) exceeded its local ephemeral storage limit "([^"]+)"/.exec(msg))) {
    return { what: `container ${m[1]} wrote more than its ${m[2]} ephemeral-storage limit to its writable layer and logs`, fix: `Raise spec.containers[${m[1]}].resources.limits.ephemeral-storage (now ${m[2]}), or write to a volume instead of the container filesystem.` };
  }
  if ((m = /Pod ephemeral local storage usage exceeds the total limit of containers (\S+?)\.?\s*$/m.exec(msg))) {
    return { what: `its containers together used more local disk than their total ephemeral-storage limit of ${m[1]}`, fix: 'Raise resources.limits.ephemeral-storage of the containers, or write large data to a volume.' };
  }
  if ((m = /The node was low on resource: ([\w.-]+)\./.exec(msg))) {
    const res = m[1]!;
    const th = /Threshold quantity: ([^,]+), available: ([^.]+(?:\.\d+)?[^.\s]*)\./.exec(msg);
    const cont = [...msg.matchAll(/Container (\S+) was using (\S+), request is (\S+), has larger consumption of ([\w.-]+)/g)];
    const podUse = /Pod (\S+) was using (\S+), request is (\S+)/.exec(msg);
    let what = `node was low on ${res === 'ephemeral-storage' ? 'disk space' : res === 'pids' ? 'process IDs' : res}`;
    if (th) what += ` (threshold ${th[1]}, available ${th[2]})`;
    if (cont.length) what += `, and ${cont.map((c) => `container ${c[1]} used ${c[2]} against a request of ${c[3]}`).join(', ')}`;
    else if (podUse) what += `, and the pod used ${podUse[2]} against a request of ${podUse[3]}`;
    let fix: string;
    if (res === 'memory') fix = 'Set resources.requests.memory to what the containers really use (pods above their request are evicted first), or give the node more memory.';
    else if (res === 'ephemeral-storage' || res === 'inodes') fix = 'Set resources.requests/limits.ephemeral-storage, clean up files written to the container filesystem or emptyDir, and free disk on the node (images, logs).';
    else if (res === 'pids') fix = 'Lower the number of processes or threads the pod starts; the node\'s PID limit (podPidsLimit) bounds it.';
    else fix = `Request the ${res} the pod uses, or add capacity.`;
    return { what, fix };
  }
  if ((m = /The node had condition: \[?([^\].]+)\]?/.exec(msg))) {
    return { what: `node had condition ${m[1]} when the pod arrived`, fix: 'Free resources on the node (disk, memory) or schedule elsewhere; the node rejects new pods under pressure.' };
  }
  return { what: clip(msg, 200), fix: 'See the eviction message.' };
}

/** The rule. */
export function evictionRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const st = ctx.pod?.status;
  const node = ctx.pod?.spec?.nodeName;
  const onNode = node ? ` on node ${node}` : '';
  // Evicted (status, or the kubelet's Evicted Event in Events-only mode).
  const evEvent = ctx.events.find((e) => e.reason === 'Evicted');
  const evMsg = st?.reason === 'Evicted' ? st.message ?? '' : !st && evEvent ? evEvent.message : undefined;
  if (evMsg !== undefined) {
    const ex = explainEviction(evMsg);
    const evidence: Evidence[] = [];
    if (st?.reason) evidence.push(statusEvidence('status.reason', st.reason), statusEvidence('status.message', st.message));
    if (evEvent) evidence.push(...eventsEvidence([evEvent], 1));
    const seen = lastSeen(evEvent);
    out.push({
      class: 'Evicted',
      severity: 'critical',
      summary: `Pod ${ctx.ref} was evicted${onNode}: the ${ex.what}.`,
      evidence,
      fix: ex.fix + (ctx.pod?.metadata?.ownerReferences?.length ? ' Its controller creates a replacement pod; this one stays as a record until deleted.' : ' It has no controller, so nothing recreates it.'),
      ...(seen ? { lastSeen: seen } : {}),
    });
  }
  // Kubelet admission rejection (OutOfcpu, OutOfmemory, OutOfpods, NodeAffinity, UnexpectedAdmissionError…).
  if (st?.phase === 'Failed' && st.reason && st.reason !== 'Evicted' && st.reason !== 'DeadlineExceeded' && /^OutOf|^NodeAffinity$|^NodeName$|AdmissionError|^UnexpectedAdmissionError$|^NodePorts$|^Taint/.test(st.reason)) {
    const m = /Node didn't have enough resource: (\S+), requested: (\d+), used: (\d+), capacity: (\d+)/.exec(st.message ?? '');
    out.push({
      class: 'Evicted',
      severity: 'critical',
      summary: `Pod ${ctx.ref} was rejected by node ${node ?? '(unknown)'} when it arrived (${st.reason})${m ? `: the node did not have enough ${m[1]} (requested ${m[2]}, used ${m[3]}, capacity ${m[4]})` : st.message ? `: ${clip(st.message, 200)}` : ''}.`,
      evidence: [statusEvidence('status.reason', st.reason), statusEvidence('status.message', st.message)],
      fix: 'Usually a race between the scheduler and the node (static or directly-assigned pods, or extended resources not yet advertised); delete the pod so its controller recreates it, and check spec.nodeName / resources.requests.',
    });
  }
  // Active deadline.
  const dlEvent = ctx.events.find((e) => e.reason === 'DeadlineExceeded');
  if (st?.reason === 'DeadlineExceeded' || (!st && dlEvent)) {
    const ads = ctx.pod?.spec?.activeDeadlineSeconds;
    const evidence: Evidence[] = [];
    if (st?.reason) evidence.push(statusEvidence('status.reason', st.reason), statusEvidence('status.message', st.message));
    if (dlEvent) evidence.push(...eventsEvidence([dlEvent], 1));
    out.push({
      class: 'DeadlineExceeded',
      severity: 'critical',
      summary: `Pod ${ctx.ref} was stopped because it ran longer than its deadline${ads !== undefined ? ` of ${ads}s` : ''} (spec.activeDeadlineSeconds).`,
      evidence,
      fix: `Raise spec.activeDeadlineSeconds${ads !== undefined ? ` (now ${ads}s)` : ''} (for a Job: the Job's spec.activeDeadlineSeconds), or make the work finish sooner.`,
    });
  }
  // Preempted by the kubelet to admit a critical pod (pkg/kubelet/preemption/preemption.go: status reason
  // `Preempting`, message "Preempted in order to admit critical pod", Warning Event `Preempting`).
  const kubeletPre = ctx.events.find((e) => e.reason === 'Preempting' && e.kind === 'Pod');
  if (st?.reason === 'Preempting' || (!st && kubeletPre)) {
    const evidence: Evidence[] = [];
    if (st?.reason) evidence.push(statusEvidence('status.reason', st.reason), statusEvidence('status.message', st.message));
    evidence.push(...eventsEvidence(kubeletPre ? [kubeletPre] : [], 1));
    out.push({
      class: 'Preempted',
      severity: 'critical',
      summary: `Pod ${ctx.ref} was preempted by the kubelet${onNode}: a critical pod (PriorityClass system-node-critical or system-cluster-critical, e.g. a DaemonSet or static pod) did not fit, so the kubelet stopped this one to admit it.`,
      evidence,
      fix: 'Leave room for the node\'s critical pods (lower this pod\'s resources.requests, or reserve capacity with kubeReserved/systemReserved), or run it on nodes with more capacity; its controller recreates it elsewhere.',
      ...(kubeletPre?.lastMs !== undefined ? { lastSeen: lastSeen(kubeletPre)! } : {}),
    });
  }
  // Preempted (victim side).
  const pre = ctx.events.find((e) => e.reason === 'Preempted');
  const cond = st?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True' && /Preemption/.test(c.reason ?? ''));
  if (pre || cond) {
    const by = pre ? preemptorOf(ctx, pre) : undefined;
    const evidence: Evidence[] = [...eventsEvidence(pre ? [pre] : [], 1)];
    if (cond) evidence.push(statusEvidence('status.conditions[DisruptionTarget].reason', cond.reason), statusEvidence('status.conditions[DisruptionTarget].message', cond.message));
    const own = priorityOf(ctx, ctx.pod?.spec?.priorityClassName, ctx.pod?.spec?.priority);
    if (ctx.pod?.spec?.priorityClassName) evidence.push(specEvidence('spec.priorityClassName', ctx.pod.spec.priorityClassName));
    const seen = lastSeen(pre);
    const byWords = by?.name ? `pod ${by.name}${by.priority ? ` of ${by.priority}` : ''}` : by?.uid ? `a higher-priority pod (uid ${by.uid})` : 'a higher-priority pod';
    out.push({
      class: 'Preempted',
      severity: 'critical',
      summary: `Pod ${ctx.ref} was preempted${by?.node ? ` on node ${by.node}` : ''}: the scheduler stopped it to make room for ${byWords}; this pod has ${own ?? 'no priority set (priority 0)'}.`,
      evidence,
      fix: `Give this workload a higher PriorityClass (spec.priorityClassName${ctx.pod?.spec?.priorityClassName ? `, now ${ctx.pod.spec.priorityClassName}` : ''})${by?.className ? ` at least that of ${by.className}` : ''}, or add capacity so ${by?.name ?? 'the preemptor'} fits without preempting; a PriorityClass with preemptionPolicy: Never lets a pod wait instead of preempting.`,
      ...(seen ? { lastSeen: seen } : {}),
    });
  }
  return out;
}
