/**
 * Unschedulable pods: the scheduler's FailedScheduling Event and the pod's `PodScheduled=False` condition.
 *
 * Message format: `FitError.Error()` in kubernetes/kubernetes pkg/scheduler/framework/types.go:
 * `0/<N> nodes are available: <count> <reason>, <count> <reason>. preemption: 0/<N> nodes are available: …`
 * with reasons sorted as strings, a node counted once per reason it fails (so counts may exceed N), and
 * PreFilter rejections (`pod has unbound immediate PersistentVolumeClaims`) without a count. Reasons come
 * from the plugins' ErrReason constants (pkg/scheduler/framework/plugins/…): noderesources/fit.go
 * `Insufficient %v` (and `Too many pods` for the pods resource), tainttoleration `node(s) had untolerated taint
 * {%s: %s}` (1.25+; the newest releases print `node(s) had untolerated taint(s)` and log the taint only at
 * V(4)) / `node(s) had taint {%s: %s}, that the pod didn't tolerate` (1.18-1.24) / `node(s) had
 * taints that the pod didn't tolerate` (older), nodeaffinity `node(s) didn't match Pod's node
 * affinity/selector` (older: `node(s) didn't match node selector`), interpodaffinity `node(s) didn't match pod
 * affinity rules` / `… pod anti-affinity rules` / `node(s) didn't satisfy existing pods anti-affinity rules`,
 * podtopologyspread `node(s) didn't match pod topology spread constraints[ (missing required label)]`,
 * volumebinding, nodeunschedulable `node(s) were unschedulable`, nodeports `node(s) didn't have free ports for
 * the requested pod ports`. Scheduling gates: pod condition reason `SchedulingGated` (1.26+).
 */
import {
  clip,
  eventsEvidence,
  eventsWithReason,
  lastSeen,
  specEvidence,
  statusEvidence,
  type RuleContext,
} from '../context.ts';
import { describeAmount, parseQuantity, resourceWords } from '../../kube/quantity.ts';
import { claimStory, nodeAffinityText, podAffinityText, spreadText, untoleratedTaints } from './placement.ts';
import type { Finding, PodJson } from '../types.ts';

/** One reason of a FitError: a node count (absent for PreFilter rejections) and the reason text. */
export interface FitReason {
  count?: number;
  text: string;
}

/** A parsed FailedScheduling message. */
export interface FitError {
  /** N of `0/N nodes are available`; 0 for `no nodes available to schedule pods`. */
  nodes?: number;
  reasons: FitReason[];
  /** The text after `preemption:`, if any. */
  preemption?: string;
}

/**
 * Parses a FailedScheduling message (see the module comment for the format).
 * @returns undefined when the message is not a FitError (e.g. `running PreBind plugin …` errors)
 */
export function parseFitError(message: string): FitError | undefined {
  if (/no nodes available to schedule pods/i.test(message)) return { nodes: 0, reasons: [] };
  const m = /(\d+)\/(\d+) nodes are available(?::\s*(.*))?$/s.exec(message);
  if (!m) {
    // A PreFilter rejection without the envelope, as 1.37 writes some (`pod has unbound immediate
    // PersistentVolumeClaims. not found`).
    const bare = stripNotFound(message.split(/\.?\s*preemption:/)[0] ?? '');
    return PREFILTER.test(bare) ? { reasons: [{ text: bare }] } : undefined;
  }
  let body = m[3] ?? '';
  let preemption: string | undefined;
  const p = body.search(/\.?\s*preemption:\s*/);
  if (p >= 0) {
    preemption = body.slice(p).replace(/^\.?\s*preemption:\s*/, '').trim();
    body = body.slice(0, p);
  }
  // The reason list ends at the first sentence break; later text (e.g. DRA's "no new claims to deallocate,")
  // is not a reason.
  const stop = body.search(/\.(\s|$)/);
  if (stop >= 0) body = body.slice(0, stop);
  body = body.trim().replace(/[.,]$/, '');
  const reasons: FitReason[] = [];
  for (const part of body.split(/,\s+(?=\d+\s)/)) {
    const t = part.trim();
    if (!t) continue;
    const c = /^(\d+)\s+(.*)$/s.exec(t);
    if (c) reasons.push({ count: Number(c[1]), text: (c[2] ?? '').trim() });
    else reasons.push({ text: t });
  }
  const fe: FitError = { nodes: Number(m[2]), reasons };
  if (preemption !== undefined) fe.preemption = preemption;
  return fe;
}

/** PreFilter rejections the scheduler may write without a node count. */
const PREFILTER = /^(?:persistentvolumeclaim "[^"]+" (?:not found|is being deleted)|pod has unbound immediate PersistentVolumeClaims|storageclass\.storage\.k8s\.io "[^"]+" not found)$/;

/** Drops the stray `. not found` 1.37 appends to some PersistentVolumeClaim messages (once or more). */
export function stripNotFound(text: string): string {
  return text.trim().replace(/(?:\.\s*not found)+\.?$/, '').replace(/\.$/, '').trim();
}

/** A parsed successful preemption (`found a potential placement for pod on node N, preempting K victims`). */
export function parsePreemptionPlacement(text: string | undefined): { node: string; victims: number } | undefined {
  const m = /found a potential placement for pod on node (\S+?),? preempting (\d+) victims?/.exec(text ?? '');
  return m ? { node: m[1]!, victims: Number(m[2]) } : undefined;
}

/** Sum of a resource over the pod's containers (request, else limit), max'd with each init container. */
export function podRequest(pod: PodJson | undefined, resource: string): number | undefined {
  const get = (r: { requests?: Record<string, string | number>; limits?: Record<string, string | number> } | undefined) =>
    parseQuantity(r?.requests?.[resource] ?? r?.limits?.[resource]);
  let sum: number | undefined;
  for (const c of pod?.spec?.containers ?? []) {
    const v = get(c.resources);
    if (v !== undefined) sum = (sum ?? 0) + v;
  }
  for (const c of pod?.spec?.initContainers ?? []) {
    const v = get(c.resources);
    if (v !== undefined && (sum === undefined || v > sum)) sum = v;
  }
  return sum;
}

function fmtAmount(resource: string, v: number): string {
  return describeAmount(resource, resource === 'cpu' ? `${Math.round(v * 1000)}m` : v);
}

const KNOWN_TAINTS: Record<string, [string, string]> = {
  'node.kubernetes.io/not-ready': ['is not ready', 'are not ready'],
  'node.kubernetes.io/unreachable': ['is unreachable', 'are unreachable'],
  'node.kubernetes.io/unschedulable': ['is cordoned', 'are cordoned'],
  'node.kubernetes.io/disk-pressure': ['is short of disk space', 'are short of disk space'],
  'node.kubernetes.io/memory-pressure': ['is short of memory', 'are short of memory'],
  'node.kubernetes.io/pid-pressure': ['is short of process IDs', 'are short of process IDs'],
  'node.kubernetes.io/network-unavailable': ['has no network', 'have no network'],
  'node.cloudprovider.kubernetes.io/uninitialized': ['is not initialised by the cloud provider yet', 'are not initialised by the cloud provider yet'],
  'node-role.kubernetes.io/control-plane': ['is a control-plane node', 'are control-plane nodes'],
  'node-role.kubernetes.io/master': ['is a control-plane node', 'are control-plane nodes'],
};

interface Phrased {
  /** e.g. `3 lack memory` */
  phrase: string;
  /** Fix for this reason, naming the field. */
  fix?: string;
  /** Capacity reasons: adding nodes helps. */
  capacity?: boolean;
}

/** Turns one reason into words and a fix. */
function phrase(ctx: RuleContext, r: FitReason): Phrased {
  const n = r.count;
  const pl = (one: string, many: string) => (n === 1 ? one : many);
  const cnt = n === undefined ? '' : `${n} `;
  const t = r.text;
  let m: RegExpExecArray | null;
  if ((m = /^Insufficient (\S+)$/.exec(t)) || /^Too many pods$/.test(t)) {
    const res = m?.[1] ?? 'pods';
    const req = podRequest(ctx.pod, res);
    if (res === 'pods') return { phrase: `${cnt}${pl('has', 'have')} no free pod slots`, fix: 'add nodes (the nodes hold their maximum number of pods)', capacity: true };
    const field = /\//.test(res) ? `resources.limits["${res}"]` : `resources.requests.${res}`;
    return {
      phrase: `${cnt}${pl('lacks', 'lack')} ${resourceWords(res)}`,
      fix: `lower ${field}${req !== undefined ? ` (now ${fmtAmount(res, req)} in total)` : ''}`,
      capacity: true,
    };
  }
  if ((m = /had (?:untolerated )?taints?(?:\(s\))?\s*\{([^:}]*):\s*([^}]*)\}/.exec(t))) {
    const key = (m[1] ?? '').trim();
    const value = (m[2] ?? '').trim();
    const kv = value ? `${key}=${value}` : key;
    const known = KNOWN_TAINTS[key];
    if (known && key.startsWith('node-role')) return { phrase: `${cnt}${pl(known[0], known[1])} (taint ${key})` };
    if (known) {
      const fix = key.endsWith('unschedulable') ? 'uncordon nodes (`kubectl uncordon`)' : undefined;
      return fix ? { phrase: `${cnt}${pl(known[0], known[1])}`, fix, capacity: true } : { phrase: `${cnt}${pl(known[0], known[1])}`, capacity: true };
    }
    return {
      phrase: `${cnt}${pl('has', 'have')} the taint ${kv} that the pod does not tolerate`,
      fix: `add a toleration (spec.tolerations) for ${kv}${known ? '' : ` ({key: "${key}", operator: "${value ? 'Equal' : 'Exists'}"${value ? `, value: "${value}"` : ''}})`}`,
    };
  }
  if (/had untolerated taint\(s\)|had taints that the pod didn't tolerate/.test(t)) {
    const taints = untoleratedTaints(ctx);
    if (taints.length) {
      const user = taints.filter((x) => !KNOWN_TAINTS[x.key]);
      const first = user[0];
      return {
        phrase: `${cnt}${pl('has', 'have')} taints the pod does not tolerate: ${taints.slice(0, 3).map((x) => `${x.taint} (${x.nodes} ${x.nodes === 1 ? 'node' : 'nodes'})`).join(', ')}${taints.length > 3 ? ', …' : ''}`,
        fix: first
          ? `add a toleration (spec.tolerations) for ${joinAnd(user.slice(0, 3).map((x) => x.taint))} ({key: "${first.key}", operator: "${first.value ? 'Equal' : 'Exists'}"${first.value ? `, value: "${first.value}"` : ''}, effect: "${first.effect}"})`
          : 'wait for the nodes to become ready or uncordon them',
        ...(first ? {} : { capacity: true }),
      };
    }
  }
  if (/had untolerated taint\(s\)/.test(t)) {
    return { phrase: `${cnt}${pl('has', 'have')} taints that the pod does not tolerate (this scheduler version does not name them)`, fix: 'add the matching tolerations (spec.tolerations); `kubectl get nodes -o custom-columns=NAME:.metadata.name,TAINTS:.spec.taints` lists the taints' };
  }
  if (/had taints that the pod didn't tolerate/.test(t)) {
    return { phrase: `${cnt}${pl('has', 'have')} taints that the pod does not tolerate`, fix: 'add the matching tolerations (spec.tolerations); `kubectl describe nodes | grep Taints` lists them' };
  }
  if (/didn't match (?:Pod's )?node (?:affinity|selector)|node affinity\/selector|didn't match node selector/.test(t)) {
    const sel = ctx.pod?.spec?.nodeSelector;
    const selText = sel && Object.keys(sel).length ? ` (now ${Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
    const na = nodeAffinityText(ctx.pod);
    return { phrase: `${cnt}${pl('does', 'do')} not match the pod's node selector or node affinity${na ? ` (requires ${na})` : ''}`, fix: `fix spec.nodeSelector${selText} or spec.affinity.nodeAffinity${na ? ` (${na})` : ''}, or label nodes to match` };
  }
  if (/anti-affinity|antiaffinity/i.test(t) && !/affinity\/anti-affinity/.test(t)) {
    if (/existing pods/.test(t)) return { phrase: `${cnt}${pl('runs', 'run')} pods whose anti-affinity rules exclude this pod`, fix: 'relax the other pods\' podAntiAffinity, or add nodes', capacity: true };
    const anti = podAffinityText(ctx.pod, true);
    return { phrase: `${cnt}${pl('runs', 'run')} a pod that this pod's anti-affinity rules exclude${anti ? ` (keep away from ${anti})` : ''}`, fix: `relax spec.affinity.podAntiAffinity${anti ? ` (${anti})` : ''} (use preferredDuringSchedulingIgnoredDuringExecution), or add nodes`, capacity: true };
  }
  if (/pod affinity/.test(t)) {
    const aff = podAffinityText(ctx.pod, false);
    return { phrase: `${cnt}${pl('does', 'do')} not satisfy the pod's affinity rules${aff ? ` (run next to ${aff})` : ''}`, fix: `fix spec.affinity.podAffinity${aff ? ` (${aff}: no such pods run there, or the topologyKey label is missing on nodes)` : ' (labelSelector, topologyKey)'}` };
  }
  if (/topology spread constraints/.test(t)) {
    if (/missing required label/.test(t)) return { phrase: `${cnt}${pl('lacks', 'lack')} the label the topology spread constraint's topologyKey names`, fix: 'label the nodes with the topologyKey, or fix spec.topologySpreadConstraints[].topologyKey' };
    const sp = spreadText(ctx.pod);
    return { phrase: `${cnt}would break the pod's topology spread constraints${sp ? ` (${sp})` : ''}`, fix: `relax spec.topologySpreadConstraints${sp ? ` (${sp})` : ''}: raise maxSkew or set whenUnsatisfiable: ScheduleAnyway, or add nodes in the short domain`, capacity: true };
  }
  if (/unbound immediate PersistentVolumeClaims/.test(t)) {
    return { phrase: 'its PersistentVolumeClaim is not bound to a volume', fix: 'check the PersistentVolumeClaim (`kubectl describe pvc`): its storageClassName, that a provisioner serves that StorageClass, or create a matching PersistentVolume' };
  }
  if ((m = /persistentvolumeclaim "([^"]+)" not found/.exec(t))) {
    return { phrase: `its PersistentVolumeClaim "${m[1]}" does not exist`, fix: `create PersistentVolumeClaim ${m[1]} or fix spec.volumes[].persistentVolumeClaim.claimName` };
  }
  if ((m = /persistentvolumeclaim "([^"]+)" is being deleted/.exec(t))) {
    return { phrase: `its PersistentVolumeClaim "${m[1]}" is being deleted`, fix: `recreate PersistentVolumeClaim ${m[1]}` };
  }
  if (/volume node affinity conflict/.test(t)) {
    return { phrase: `${cnt}${pl('is', 'are')} in another zone or place than the pod's PersistentVolume`, fix: 'run the pod where its volume is (zone), or use a StorageClass with volumeBindingMode: WaitForFirstConsumer' };
  }
  if (/didn't find available persistent volumes to bind/.test(t)) {
    return { phrase: `${cnt}${pl('has', 'have')} no PersistentVolume available to bind`, fix: 'create a PersistentVolume matching the claim (size, accessModes, storageClassName, node affinity)' };
  }
  if (/exceed max volume count|max volume count/.test(t)) {
    return { phrase: `${cnt}${pl('has', 'have')} reached their maximum number of attached volumes`, fix: 'add nodes or use fewer volumes per node', capacity: true };
  }
  if (/no available volume zone/.test(t)) {
    return { phrase: `${cnt}${pl('is', 'are')} not in the zone of the pod's volume`, fix: 'add nodes in the volume\'s zone' };
  }
  if (/were unschedulable|was unschedulable/.test(t)) {
    return { phrase: `${cnt}${pl('is', 'are')} cordoned`, fix: 'uncordon nodes (`kubectl uncordon`)', capacity: true };
  }
  if (/free ports/.test(t)) {
    return { phrase: `${cnt}already ${pl('uses', 'use')} the pod's hostPort`, fix: 'remove or change the container\'s ports[].hostPort, or add nodes', capacity: true };
  }
  if (/requested node name/.test(t)) {
    return { phrase: `${cnt}${pl('is', 'are')} not the node named in spec.nodeName`, fix: 'fix or remove spec.nodeName' };
  }
  return { phrase: `${cnt}${pl('reports', 'report')} "${clip(t, 120)}"` };
}

/** `a, b and c`. */
export function joinAnd(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The rule. */
export function schedulingRule(ctx: RuleContext): Finding[] {
  const pod = ctx.pod;
  if (!ctx.historical && pod?.spec?.nodeName) return [];
  if (pod?.status?.phase && pod.status.phase !== 'Pending' && !ctx.historical) return [];
  const cond = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  if (cond?.reason === 'SchedulingGated') {
    return [{
      class: 'Unschedulable',
      severity: 'warning',
      summary: `Pod ${ctx.ref} is waiting for its scheduling gates to be removed; the scheduler does not look at it until then.`,
      evidence: [statusEvidence('status.conditions[PodScheduled].reason', cond.reason), statusEvidence('status.conditions[PodScheduled].message', cond.message)],
      fix: 'The controller that added spec.schedulingGates must remove them; check it (or remove spec.schedulingGates).',
    }];
  }
  const failed = eventsWithReason(ctx.events, 'FailedScheduling');
  const scheduled = eventsWithReason(ctx.events, 'Scheduled')[0];
  // Prefer the kube-scheduler's FitError; other schedulers/provisioners (Karpenter) also write FailedScheduling.
  let latest = failed.find((e) => parseFitError(e.message)) ?? failed[0];
  const otherFailed = failed.find((e) => e !== latest && !parseFitError(e.message) && e.source !== latest?.source);
  if (latest && scheduled && (scheduled.lastMs ?? 0) >= (latest.lastMs ?? 0) && !ctx.historical) latest = undefined;
  const message = latest?.message ?? (cond?.reason === 'Unschedulable' ? cond.message : undefined);
  if (!message) return [];
  const fe = parseFitError(message);
  const evidence = latest ? eventsEvidence([latest], 1) : [];
  if (cond?.message && cond.message !== latest?.message) evidence.push(statusEvidence('status.conditions[PodScheduled].message', cond.message));
  const base: Pick<Finding, 'class' | 'severity' | 'evidence'> = { class: 'Unschedulable', severity: 'critical', evidence };
  const seen = lastSeen(latest);
  if (!fe) {
    return [{ ...base, summary: `Pod ${ctx.ref} cannot be scheduled: ${clip(message)}`, fix: 'Read the scheduler message above; `kubectl describe pod` and `kubectl describe nodes` show the constraints.', ...(seen ? { lastSeen: seen } : {}) }];
  }
  const phrased = fe.reasons
    .map((r) => ({ r, p: phrase(ctx, r) }))
    .sort((a, b) => (b.r.count ?? Infinity) - (a.r.count ?? Infinity) || Number(/^Insufficient/.test(b.r.text)) - Number(/^Insufficient/.test(a.r.text)));
  const insufficient = fe.reasons
    .map((r) => /^Insufficient (\S+)$/.exec(r.text)?.[1])
    .filter((x): x is string => !!x && x !== 'pods');
  const asks = insufficient
    .map((res) => {
      const v = podRequest(ctx.pod, res);
      return v === undefined ? undefined : fmtAmount(res, v);
    })
    .filter((x): x is string => !!x);
  const counted = phrased.filter((x) => x.r.count !== undefined).map((x) => x.p.phrase);
  const uncounted = phrased.filter((x) => x.r.count === undefined).map((x) => x.p.phrase);
  const clauses: string[] = [];
  if (asks.length) clauses.push(`it requests ${joinAnd(asks)}`);
  if (uncounted.length) clauses.push(joinAnd(uncounted));
  if (fe.nodes === 0) clauses.push('the cluster has no nodes it could use');
  else if (counted.length) clauses.push(`of ${fe.nodes} ${fe.nodes === 1 ? 'node' : 'nodes'}, ${joinAnd(counted)}`);
  let summary = `Pod ${ctx.ref} cannot be scheduled: ${clauses.join('; ') || clip(message)}.`;
  // Unbound claims: the PersistentVolume controller's Warning on the claim says why (pv_controller.go
  // ProvisioningFailed / FailedBinding), when the caller passed the namespace's Events.
  let claimFix: string | undefined;
  if (fe.reasons.some((r) => /unbound immediate PersistentVolumeClaims|didn't find available persistent volumes/.test(r.text))) {
    const claims = pod
      ? (pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((x): x is string => !!x)
      : [...new Set(ctx.ownerEvents.filter((e) => e.kind === 'PersistentVolumeClaim').map((e) => e.name))];
    const story = claimStory(ctx, claims, fe.reasons.some((r) => /didn't find available persistent volumes/.test(r.text)));
    if (story) {
      summary += ` ${story.text}.`;
      evidence.push(...story.evidence);
      claimFix = story.fix;
    }
  }
  if (latest && latest.count > 1) summary += ` The scheduler has tried ${latest.count} times.`;
  // Node autoscalers: cluster-autoscaler Events on the pod ("pod triggered scale-up: %v", "pod didn't trigger
  // scale-up: %s", cluster-autoscaler/processors/status/eventing_scale_up_processor.go), and Karpenter's own
  // FailedScheduling / Nominated Events.
  const up = eventsWithReason(ctx.events, ['TriggeredScaleUp', 'Nominated'])[0];
  const noUp = eventsWithReason(ctx.events, 'NotTriggerScaleUp')[0];
  if (up && (up.lastMs ?? 0) >= (noUp?.lastMs ?? 0)) {
    summary += up.reason === 'Nominated' ? ` A node autoscaler has picked a node for it: ${clip(up.message, 160)}` : ` The cluster autoscaler is adding a node (${clip(up.message, 160)}); the pod should start when it is ready.`;
    evidence.push(...eventsEvidence([up], 1));
  } else if (noUp) {
    summary += ` The cluster autoscaler will not add a node: ${clip(noUp.message.replace(/^pod didn't trigger scale-up:\s*/, ''), 200)}.`;
    evidence.push(...eventsEvidence([noUp], 1));
  }
  if (otherFailed) {
    summary += ` ${otherFailed.source || 'Another scheduler'} says: ${clip(otherFailed.message, 200)}`;
    evidence.push(...eventsEvidence([otherFailed], 1));
  }
  const nominated = pod?.status?.nominatedNodeName;
  const placement = parsePreemptionPlacement(fe.preemption);
  const uid = pod?.metadata?.uid;
  const victims = [...new Set(ctx.ownerEvents.filter((e) => e.reason === 'Preempted' && e.kind === 'Pod' && (e.related?.name === ctx.name || (!!uid && e.message.includes(uid)))).map((e) => e.name))];
  if (placement) {
    summary += ` The scheduler is preempting ${placement.victims} lower-priority ${placement.victims === 1 ? 'pod' : 'pods'} on node ${placement.node}${victims.length ? ` (${joinAnd(victims.slice(0, 3))}${victims.length > 3 ? ', …' : ''})` : ''} to make room; the pod is placed once they have stopped.`;
    base.severity = 'warning';
  } else if (nominated) summary += ` It is preempting lower-priority pods on node ${nominated} to make room.`;
  else if (fe.preemption && /not eligible due to a terminating pod on the nominated node/.test(fe.preemption)) summary += ' It waits for a pod that is already terminating on the node it was nominated for.';
  else if (fe.preemption && /not helpful|No preemption victims/.test(fe.preemption)) summary += ' Preempting lower-priority pods would not help.';
  const fixes = [...new Set([claimFix, ...phrased.map((x) => x.p.fix)].filter((x): x is string => !!x))];
  if (phrased.some((x) => x.p.capacity) && !fixes.some((f) => /add nodes/.test(f))) fixes.push('add nodes');
  let fix = fixes.length ? fixes.map((f, i) => (i === 0 ? f[0]!.toUpperCase() + f.slice(1) : f)).join('; or ') + '.' : 'See the scheduler message.';
  if (asks.length && ctx.pod) {
    evidence.push(specEvidence('spec.containers[].resources.requests', Object.fromEntries(insufficient.map((r) => [r, fmtAmount(r, podRequest(ctx.pod, r) ?? 0)]))));
  }
  if (ctx.pod?.spec?.tolerations?.length && phrased.some((x) => /taint/.test(x.p.phrase))) {
    evidence.push(specEvidence('spec.tolerations', ctx.pod.spec.tolerations));
  }
  fix = fix.replace(/\.\.$/, '.');
  return [{ ...base, summary, fix, ...(seen ? { lastSeen: seen } : {}) }];
}
