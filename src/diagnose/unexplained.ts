/**
 * Never an all-clear over a Warning: every current Warning Event, and every failed condition of the pod or its
 * owner, that no finding explains becomes a finding of its own — its reason and message in plain words, the
 * object it is on, when and how often, and the generic next step. An Event is explained by a finding that
 * quotes it, or whose class covers its reason ({@link EXPLAINS}) for the same container. Conditions: the pod's
 * `DisruptionTarget` (reasons from k8s.io/api/core/v1 types.go: `PreemptionByScheduler`,
 * `DeletionByTaintManager`, `EvictionByEvictionAPI`, `DeletionByPodGC`, `TerminationByKubelet`), a Job's
 * `Failed`/`FailureTarget`, a ReplicaSet's/ReplicationController's `ReplicaFailure`, a Deployment's
 * `ReplicaFailure` or `Progressing=False` (`ProgressDeadlineExceeded`), a StatefulSet's/DaemonSet's failed
 * conditions. Pure.
 */
import { clip, humanDuration, statusEvidence, supersededByStart, times, type RuleContext } from './context.ts';
import { eventEvidence, iso } from './events.ts';
import { explainForbidden } from './rules/controllers.ts';
import type { Finding, FindingClass, KubeObjectJson, NormEvent, PodConditionJson, PodJson } from './types.ts';

const CONTAINER_START = ['Failed', 'BackOff', 'FailedPostStartHook', 'FailedPreStopHook'];

/** Event reasons a finding of each class accounts for (besides the Events it quotes). */
export const EXPLAINS: Partial<Record<FindingClass, string[]>> = {
  QuotaExceeded: ['FailedCreate'],
  LimitRangeViolation: ['FailedCreate'],
  PodCreateForbidden: ['FailedCreate'],
  Unschedulable: ['FailedScheduling', 'NotTriggerScaleUp', 'FailedPreemption'],
  Preempted: ['Preempted', 'Preempting', 'Killing'],
  VolumeMountFailed: ['FailedMount', 'FailedMapVolume', 'FailedAttachVolume'],
  VolumeAttachFailed: ['FailedMount', 'FailedMapVolume', 'FailedAttachVolume'],
  SandboxFailed: ['FailedCreatePodSandBox', 'FailedPodSandBoxStatus', 'NetworkNotReady', 'FailedKillPod', 'FailedSync'],
  ImagePullFailed: ['Failed', 'BackOff', 'ErrImageNeverPull', 'InspectFailed', 'FailedToRetrieveImagePullSecret'],
  CreateContainerConfigError: CONTAINER_START,
  CreateContainerError: CONTAINER_START,
  StartError: CONTAINER_START,
  InitContainerFailed: CONTAINER_START,
  Evicted: ['Evicted', 'Killing', 'EvictionThresholdMet', 'FreeDiskSpaceFailed', 'OutOfcpu', 'OutOfmemory', 'OutOfpods', 'OutOfephemeral-storage', 'UnexpectedAdmissionError', 'NodeAffinity'],
  DeadlineExceeded: ['DeadlineExceeded', 'Killing', 'SuccessfulDelete'],
  NodeLost: ['NodeNotReady', 'TaintManagerEviction', 'FailedKillPod'],
  OOMKilled: ['OOMKilling', 'SystemOOM', 'BackOff'],
  JvmOutOfMemory: ['BackOff'],
  DiskFull: ['BackOff'],
  LivenessProbeFailed: ['Unhealthy', 'Killing', 'ProbeWarning', 'BackOff'],
  StartupProbeFailed: ['Unhealthy', 'Killing', 'ProbeWarning', 'BackOff'],
  ReadinessProbeFailed: ['Unhealthy', 'ProbeWarning'],
  CrashLoopBackOff: ['BackOff'],
  ContainerFailed: ['BackOff'],
  JobFailed: ['BackoffLimitExceeded', 'PodFailurePolicy', 'MaxFailedIndexesExceeded', 'FailedIndexes', 'SuccessfulDelete'],
  CronJobMissedSchedule: ['MissSchedule', 'TooManyMissedTimes'],
  Disrupted: ['Killing'],
};

/** Plain words for Warning reasons that have no rule of their own (kubelet, controllers, storage). */
const PLAIN: Record<string, string> = {
  FailedKillPod: 'the kubelet could not stop the pod',
  FailedPreStopHook: 'the preStop hook failed',
  FailedSync: 'the kubelet failed to bring the pod to its desired state',
  ProvisioningFailed: 'the volume for a PersistentVolumeClaim could not be created',
  FailedBinding: 'a PersistentVolumeClaim found no volume to bind',
  VolumeResizeFailed: 'resizing a volume failed',
  FileSystemResizeFailed: 'growing a volume\'s file system failed',
  FailedDetachVolume: 'a volume could not be detached',
  FailedUnMount: 'a volume could not be unmounted',
  DNSConfigForming: 'the pod\'s DNS configuration exceeds resolver limits, so some entries were dropped',
  ProbeWarning: 'a probe succeeded with a warning',
  Rebooted: 'the node rebooted',
  NodeNotReady: 'the node stopped reporting',
  FailedCreate: 'the controller could not create an object',
  FailedDelete: 'the controller could not delete an object',
  FailedUpdateStatus: 'the controller could not update the status',
  FailedGetResourceMetric: 'the HorizontalPodAutoscaler cannot read the metrics it scales on',
  FailedComputeMetricsReplicas: 'the HorizontalPodAutoscaler cannot compute a replica count',
  FailedToUpdateEndpoint: 'the Service\'s endpoints could not be updated',
  UnexpectedJob: 'the CronJob found a Job it did not create',
  InvalidSchedule: 'the CronJob\'s schedule is invalid',
  UnknownTimeZone: 'the CronJob\'s time zone is unknown',
  NetworkNotReady: 'the node\'s network plugin is not ready',
};

/** Plain words for a pod's `DisruptionTarget` reasons. */
const DISRUPTION: Record<string, string> = {
  EvictionByEvictionAPI: 'it is being evicted through the Eviction API (kubectl drain, a node autoscaler scaling down, or a descheduler)',
  DeletionByPodGC: 'the pod garbage collector is deleting it because its node no longer exists',
  TerminationByKubelet: 'the kubelet is stopping it (node-pressure eviction or a graceful node shutdown)',
  DeletionByTaintManager: 'its node has a NoExecute taint the pod does not tolerate',
  PreemptionByScheduler: 'the scheduler preempts it for a higher-priority pod',
};

function evidenceKey(kindName: string, reason: string, message: string): string {
  return `${reason}\u0000${kindName}\u0000${message}`;
}

/** Keys of the Events findings quote (`Warning X (x3) on Pod/p container c` refs). */
function quoted(findings: Finding[]): Set<string> {
  const out = new Set<string>();
  for (const f of findings) {
    for (const e of f.evidence) {
      if (e.source !== 'event') continue;
      const m = /^\S+ (\S+)(?: \(x\d+\))? on (\S+)/.exec(e.ref);
      if (m) out.add(evidenceKey(m[2]!, m[1]!, e.text));
    }
  }
  return out;
}

/** True when a finding accounts for the Event. */
export function isExplained(e: NormEvent, findings: Finding[], quotedKeys = quoted(findings)): boolean {
  if (quotedKeys.has(evidenceKey(`${e.kind}/${e.name}`, e.reason, e.message))) return true;
  return findings.some((f) => (EXPLAINS[f.class] ?? []).includes(e.reason) && (!f.container || !e.container || f.container === e.container));
}

/** Start-up trouble of the pod that a later step overtook: a container started, or the pod was scheduled, after it. */
const PRE_START = new Set(['FailedMount', 'FailedAttachVolume', 'FailedMapVolume', 'FailedCreatePodSandBox', 'NetworkNotReady', 'Failed', 'BackOff', 'ErrImageNeverPull', 'InspectFailed', 'FailedToRetrieveImagePullSecret']);

function overtaken(ctx: RuleContext, e: NormEvent): boolean {
  if (e.kind !== 'Pod') return false;
  if (e.reason === 'FailedScheduling') {
    const scheduled = ctx.events.find((x) => x.reason === 'Scheduled');
    return !!ctx.pod?.spec?.nodeName && (!scheduled || (scheduled.lastMs ?? 0) >= (e.lastMs ?? 0));
  }
  if (!PRE_START.has(e.reason) || e.lastMs === undefined) return false;
  if (e.reason === 'BackOff' && !/pulling image/i.test(e.message)) return false;
  if (e.reason === 'Failed' && /^Error: (?!ErrImagePull|ImagePullBackOff)/.test(e.message) && !/pull/i.test(e.message)) return supersededByStart(ctx, e);
  return supersededByStart(ctx, e, e.container ? e.container : undefined);
}

interface Group {
  events: NormEvent[];
  count: number;
  firstMs?: number;
  lastMs?: number;
}

/**
 * The Events a diagnosis must account for: the pod's current Events, and of the other objects' Events those
 * of its owners and claims (`isRelated`) and its Job's CronJob; without a pod, the diagnosed object's, or for a
 * pod known only from Events, those of objects its name derives from (`<owner>-<suffix>`). A `FailedCreate`
 * about another pod of the owner is not this pod's.
 */
export function warningCandidates(a: {
  pod?: PodJson;
  subject: { kind: string; name: string };
  podEvents: NormEvent[];
  others: NormEvent[];
  owners: Set<string>;
  isRelated: (e: NormEvent) => boolean;
}): NormEvent[] {
  const ownerJobs = [...a.owners].filter((o) => o.startsWith('Job/')).map((o) => o.slice(4));
  const name = a.subject.name;
  return [
    ...a.podEvents,
    ...a.others.filter((e) => {
      if (!a.pod && a.subject.kind !== 'Pod') return e.kind === a.subject.kind && e.name === name;
      if (e.kind === 'Pod' || e.kind === 'Node') return false;
      const otherPod = e.reason === 'FailedCreate' && /pods "[^"]+" is forbidden|create Pod \S+ in StatefulSet/.test(e.message) && !e.message.includes(`"${name}"`) && !e.message.includes(`Pod ${name} `);
      if (a.pod) return !otherPod && (a.isRelated(e) || (e.kind === 'CronJob' && ownerJobs.some((j) => j.startsWith(`${e.name}-`))));
      return !otherPod && name.startsWith(`${e.name}-`);
    }),
  ];
}

/** Most unexplained-Warning findings written; the rest are named in one more. */
export const MAX_UNEXPLAINED = 3;

function failedConditions(o: KubeObjectJson): PodConditionJson[] {
  const cs = o.status?.conditions ?? [];
  return cs.filter((c) =>
    ((c.type === 'Failed' || c.type === 'FailureTarget' || c.type === 'ReplicaFailure') && c.status === 'True') ||
    (c.type === 'Progressing' && c.status === 'False') ||
    (c.type === 'Available' && c.status === 'False' && o.kind === 'Deployment'));
}

/**
 * Findings for what nothing else explains.
 * @param ctx the rule context (pod, objects, clock)
 * @param findings the current findings (and past ones: they explain their Events too)
 * @param candidates Warning Events to account for: the pod's current Events and its owners', claims' and (with
 *   Events only) the diagnosed object's
 * @param owners `kind/name` of the objects whose conditions count (the pod's owners, or the diagnosed object)
 * @param healthy the pod is running and ready: what is left is reported with severity `info`
 */
export function unexplainedFindings(ctx: RuleContext, findings: Finding[], candidates: NormEvent[], owners: Set<string>, healthy: boolean): Finding[] {
  const out: Finding[] = [];
  const keys = quoted(findings);
  const groups = new Map<string, Group>();
  for (const e of candidates) {
    if (e.type !== 'Warning' || isExplained(e, findings, keys) || overtaken(ctx, e)) continue;
    const k = `${e.kind}/${e.name}\u0000${e.reason}\u0000${e.container ?? ''}`;
    const g = groups.get(k) ?? { events: [], count: 0 };
    g.events.push(e);
    g.count += e.count;
    if (e.firstMs !== undefined) g.firstMs = Math.min(g.firstMs ?? Infinity, e.firstMs);
    if (e.lastMs !== undefined) g.lastMs = Math.max(g.lastMs ?? -Infinity, e.lastMs);
    groups.set(k, g);
  }
  const lead = healthy ? `Pod ${ctx.ref} is running and ready, but ` : '';
  const list = [...groups.values()].sort((a, b) => (b.lastMs ?? 0) - (a.lastMs ?? 0));
  for (const g of list.slice(0, MAX_UNEXPLAINED)) {
    const e = g.events[0]!;
    const obj = `${e.kind || 'object'} ${e.name}${e.container ? ` (container ${e.container})` : ''}`;
    const plain = PLAIN[e.reason];
    const when = g.lastMs !== undefined ? `, last ${humanDuration(Math.max(0, ctx.now - g.lastMs))} ago` : '';
    const span = g.count > 1 && g.firstMs !== undefined && g.lastMs !== undefined && g.lastMs > g.firstMs ? ` over ${humanDuration(g.lastMs - g.firstMs)}` : '';
    const forbidden = e.reason === 'FailedCreate' ? explainForbidden(e.message) : undefined;
    const words = forbidden ? `the controller cannot create what it needs: ${forbidden.what}` : plain ?? `${e.source || 'a component'} reported ${e.reason}`;
    const summary = `${lead}${lead ? 'a' : 'A'} Warning ${e.reason} on ${obj} is not explained by any known failure: ${words} — "${clip(e.message, 200)}" (${times(g.count)}${span}${when}).`;
    const ns = e.namespace || ctx.namespace;
    const kindArg = (e.kind || 'pod').toLowerCase();
    const f: Finding = {
      class: 'UnexplainedWarning',
      severity: healthy ? 'info' : 'warning',
      summary,
      evidence: g.events.slice(0, 2).map(eventEvidence),
      fix: forbidden?.fix ?? `Read the whole message and the object's state (\`kubectl describe ${kindArg} ${e.name} -n ${ns}\`)${e.source ? ` and the ${e.source} log` : ''}; fix what the message names.`,
      ...(e.container ? { container: e.container } : {}),
      ...(g.lastMs !== undefined ? { lastSeen: iso(g.lastMs) } : {}),
    };
    out.push(f);
  }
  if (list.length > MAX_UNEXPLAINED) {
    const rest = list.slice(MAX_UNEXPLAINED);
    out.push({
      class: 'UnexplainedWarning',
      severity: healthy ? 'info' : 'warning',
      summary: `${rest.length} more Warning reasons are not explained: ${rest.slice(0, 6).map((g) => `${g.events[0]!.reason} on ${g.events[0]!.kind}/${g.events[0]!.name}`).join(', ')}${rest.length > 6 ? ', …' : ''}.`,
      evidence: rest.slice(0, 3).map((g) => eventEvidence(g.events[0]!)),
      fix: 'Read them with `kubectl get events --field-selector type=Warning`.',
    });
  }
  // Failed conditions of the pod.
  const pod = ctx.pod;
  const dt = pod?.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True');
  const dtExplained = findings.some((f) => ['Preempted', 'NodeLost', 'Evicted', 'Disrupted', 'DeadlineExceeded', 'JobFailed'].includes(f.class));
  if (dt && !dtExplained) {
    const why = DISRUPTION[dt.reason ?? ''] ?? `it is marked for disruption (${dt.reason ?? 'no reason'})`;
    out.push({
      class: 'Disrupted',
      severity: 'warning',
      summary: `Pod ${ctx.ref} is being stopped by Kubernetes: ${why}${dt.message ? ` ("${clip(dt.message, 160)}")` : ''}${dt.lastTransitionTime ? `, since ${dt.lastTransitionTime}` : ''}.`,
      evidence: [statusEvidence('status.conditions[DisruptionTarget].reason', dt.reason, dt.lastTransitionTime), statusEvidence('status.conditions[DisruptionTarget].message', dt.message)],
      fix: dt.reason === 'EvictionByEvictionAPI'
        ? 'Expected during a drain or scale-down; a PodDisruptionBudget limits how many pods of a workload go at once, and its controller recreates the pod elsewhere.'
        : 'Its controller recreates it elsewhere; a pod without a controller is gone for good — run it under a Deployment, StatefulSet or Job.',
      ...(dt.lastTransitionTime ? { lastSeen: dt.lastTransitionTime } : {}),
    });
  }
  // Failed conditions of the owners (when the caller passed them).
  for (const o of ctx.objects) {
    const key = `${o.kind}/${o.metadata?.name}`;
    if (!owners.has(key)) continue;
    for (const c of failedConditions(o)) {
      const text = `${c.reason ?? ''} ${c.message ?? ''}`;
      const covered = findings.some((f) => f.summary.includes(`${o.kind} ${o.metadata?.name}`) || f.evidence.some((ev) => ev.text === c.message || ev.text === c.reason))
        || out.some((f) => f.summary.includes(clip(c.message ?? '', 200)));
      if (covered || !text.trim()) continue;
      const forbidden = c.type === 'ReplicaFailure' ? explainForbidden(c.message ?? '') : undefined;
      out.push({
        class: forbidden?.cls ?? 'UnexplainedWarning',
        severity: 'critical',
        summary: `${o.kind} ${o.metadata?.name} reports ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${forbidden ? `: it cannot create pods because ${forbidden.what}` : c.message ? `: "${clip(c.message, 200)}"` : ''}${c.lastTransitionTime ? `, since ${c.lastTransitionTime}` : ''}.`,
        evidence: [statusEvidence(`${key} status.conditions[${c.type}].reason`, c.reason, c.lastTransitionTime), statusEvidence(`${key} status.conditions[${c.type}].message`, c.message)],
        fix: forbidden?.fix ?? `See \`kubectl describe ${(o.kind ?? '').toLowerCase()} ${o.metadata?.name}\`; fix what the condition's message names.`,
        ...(c.lastTransitionTime ? { lastSeen: c.lastTransitionTime } : {}),
      });
    }
  }
  return out;
}
