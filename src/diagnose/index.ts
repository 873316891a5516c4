/**
 * `diagnose`: pure function from a pod (spec + status), its Events and its owner's Events, and the last log
 * lines podlog holds, to a plain-language {@link Diagnosis}. No I/O and no clock of its own (`now` is passed).
 * Rules (one file per failure class under ./rules) each return findings; this module splits the Events at the
 * pod's latest recovery (Events older than it yield only past findings), ranks findings root cause first,
 * writes the headline and builds the timeline. Used by the CLI (`podlog diagnose`) and the HTTP route alike.
 */
import { boundProse } from './bounds.ts';
import { containerStatuses, humanDuration, type Rule, type RuleContext } from './context.ts';
import { iso, newestFirst, normalizeEvent, parseTime } from './events.ts';
import { containerStartRule } from './rules/container-start.ts';
import { controllersRule } from './rules/controllers.ts';
import { crashRule } from './rules/crash.ts';
import { evictionRule } from './rules/eviction.ts';
import { flinkRule } from './rules/flink.ts';
import { imagePullRule } from './rules/image-pull.ts';
import { jobsRule } from './rules/jobs.ts';
import { nodeLostRule } from './rules/node-lost.ts';
import { oomRule } from './rules/oom.ts';
import { probesRule } from './rules/probes.ts';
import { sandboxRule } from './rules/sandbox.ts';
import { schedulingRule } from './rules/scheduling.ts';
import { volumesRule } from './rules/volumes.ts';
import { unexplainedFindings, warningCandidates } from './unexplained.ts';
import type { DiagnoseInput, Diagnosis, Finding, FindingClass, NormEvent, PodJson, Severity, TimelineEntry } from './types.ts';

/** The public shapes, re-exported for callers of {@link diagnose}. */
export type { DiagnoseInput, Diagnosis, Finding, FindingClass, Severity } from './types.ts';
/** Plain-text rendering (see render.ts). */
export { renderText } from './render.ts';

/** Every rule, in no particular order (ranking is by {@link CLASS_ORDER}). */
export const RULES: Rule[] = [
  controllersRule, schedulingRule, volumesRule, sandboxRule, imagePullRule, containerStartRule,
  evictionRule, nodeLostRule, oomRule, flinkRule, probesRule, crashRule, jobsRule,
];

/**
 * Root cause first: a pod that was never created before one that cannot be placed, before one whose volumes
 * or network fail, before image and configuration problems, before what kills a running container (memory,
 * probes), before the CrashLoopBackOff those cause.
 */
export const CLASS_ORDER: FindingClass[] = [
  'QuotaExceeded', 'LimitRangeViolation', 'PodCreateForbidden', 'NodeLost', 'Evicted', 'Preempted', 'Disrupted', 'DeadlineExceeded',
  'CronJobMissedSchedule', 'Unschedulable', 'VolumeAttachFailed', 'VolumeMountFailed', 'SandboxFailed', 'ImagePullFailed',
  'CreateContainerConfigError', 'CreateContainerError', 'StartError', 'InitContainerFailed', 'FlinkQuotaDenied',
  'OOMKilled', 'JvmOutOfMemory', 'DiskFull', 'StartupProbeFailed', 'LivenessProbeFailed', 'FlinkNoResources',
  'FlinkHeartbeatTimeout', 'CrashLoopBackOff', 'ContainerFailed', 'JobFailed', 'ReadinessProbeFailed', 'UnexplainedWarning', 'Healthy',
];

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2, ok: 3 };

/** Orders findings root cause first (class order, then severity). Stable. */
export function rankFindings(fs: Finding[]): Finding[] {
  return fs
    .map((f, i) => ({ f, i }))
    .sort((a, b) => CLASS_ORDER.indexOf(a.f.class) - CLASS_ORDER.indexOf(b.f.class) || SEVERITY_RANK[a.f.severity] - SEVERITY_RANK[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

/** The worst severity of a list, or `fallback` when empty. */
function worst(fs: Finding[], fallback: Severity): Severity {
  return fs.reduce<Severity>((w, f) => (SEVERITY_RANK[f.severity] < SEVERITY_RANK[w] ? f.severity : w), fallback);
}

/** True when the pod is Running with Ready=True, or Succeeded. */
export function isHealthy(pod: PodJson | undefined): boolean {
  const st = pod?.status;
  if (!st) return false;
  if (st.phase === 'Succeeded') return true;
  return st.phase === 'Running' && !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !pod?.metadata?.deletionTimestamp;
}

/**
 * How far before the pod last became unready its Events still count as the current episode: Kubernetes
 * itself keeps Events for one hour (kube-apiserver --event-ttl default), and the agent keeps them longer.
 */
export const EPISODE_LOOKBACK_MS = 60 * 60 * 1000;

/**
 * Start of the current episode (ms): for a healthy pod its latest recovery ({@link recoveredAt}); for an
 * unready pod one {@link EPISODE_LOOKBACK_MS} before its Ready condition turned False; else undefined (all
 * Events are current).
 */
export function episodeStart(pod: PodJson | undefined): number | undefined {
  const r = recoveredAt(pod);
  if (r !== undefined) return r;
  const unready = pod?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'False');
  const t = parseTime(unready?.lastTransitionTime);
  return t === undefined ? undefined : t - EPISODE_LOOKBACK_MS;
}

/** When the pod last recovered (ms): Ready's lastTransitionTime, else the latest container start / finish. */
export function recoveredAt(pod: PodJson | undefined): number | undefined {
  if (!isHealthy(pod)) return undefined;
  const ready = pod?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  const t = parseTime(ready?.lastTransitionTime);
  if (t !== undefined) return t;
  const starts = containerStatuses(pod)
    .map((x) => parseTime(x.s.state?.running?.startedAt) ?? parseTime(x.s.state?.terminated?.finishedAt))
    .filter((x): x is number => x !== undefined);
  return starts.length ? Math.max(...starts) : undefined;
}

function subjectOf(input: DiagnoseInput, events: NormEvent[]): Diagnosis['subject'] {
  const md = input.pod?.metadata;
  if (input.pod) {
    const s: Diagnosis['subject'] = { kind: 'Pod', namespace: md?.namespace ?? 'default', name: md?.name ?? '(unnamed)' };
    if (md?.uid) s.uid = md.uid;
    if (input.pod.spec?.nodeName) s.node = input.pod.spec.nodeName;
    if (input.pod.status?.phase) s.phase = input.pod.status.phase;
    return s;
  }
  const sorted = [...events].sort(newestFirst);
  const podEv = sorted.find((e) => e.kind === 'Pod' && e.type === 'Warning') ?? sorted.find((e) => e.kind === 'Pod');
  const e = podEv ?? sorted.find((x) => x.reason === 'FailedCreate') ?? sorted[0];
  if (!e && input.subject) return { kind: 'Pod', ...input.subject };
  const s: Diagnosis['subject'] = { kind: e?.kind || 'Pod', namespace: e?.namespace || 'default', name: e?.name || '(unknown)' };
  if (podEv?.uid) s.uid = podEv.uid;
  return s;
}

function buildTimeline(pod: PodJson | undefined, events: NormEvent[], cutoff: number | undefined): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const past = (ms: number) => cutoff !== undefined && ms < cutoff;
  for (const e of events) {
    if (e.lastMs === undefined) continue;
    const t: TimelineEntry = { at: iso(e.lastMs), kind: 'event', type: e.type, reason: e.reason, message: e.message, object: `${e.kind}/${e.name}`, past: past(e.lastMs) };
    if (e.count > 1) t.count = e.count;
    out.push(t);
  }
  const name = pod?.metadata?.name ?? '';
  const add = (at: string | undefined, reason: string, message: string) => {
    const ms = parseTime(at);
    if (ms !== undefined) out.push({ at: iso(ms), kind: 'status', type: 'Status', reason, message, object: `Pod/${name}`, past: past(ms) });
  };
  add(pod?.metadata?.creationTimestamp, 'Created', 'pod object created');
  for (const c of pod?.status?.conditions ?? []) add(c.lastTransitionTime, `${c.type}=${c.status}`, [c.reason, c.message].filter(Boolean).join(': '));
  for (const { s } of containerStatuses(pod)) {
    add(s.lastState?.terminated?.finishedAt, 'Terminated', `container ${s.name} ended: ${s.lastState?.terminated?.reason ?? ''} (exit code ${s.lastState?.terminated?.exitCode ?? '?'})`);
    add(s.state?.terminated?.finishedAt, 'Terminated', `container ${s.name} ended: ${s.state?.terminated?.reason ?? ''} (exit code ${s.state?.terminated?.exitCode ?? '?'})`);
    add(s.state?.running?.startedAt, 'Started', `container ${s.name} running`);
  }
  add(pod?.metadata?.deletionTimestamp, 'Deleting', 'deletion requested');
  return out.sort((a, b) => a.at.localeCompare(b.at) || (a.kind === b.kind ? 0 : a.kind === 'status' ? -1 : 1));
}

function healthyHeadline(ref: string, pod: PodJson, now: number, past: Finding[]): string {
  const st = pod.status!;
  let h: string;
  if (st.phase === 'Succeeded') h = `Pod ${ref} completed successfully.`;
  else {
    const cs = st.containerStatuses ?? [];
    const started = Math.min(...cs.map((c) => parseTime(c.state?.running?.startedAt) ?? Infinity));
    const up = Number.isFinite(started) ? ` (up ${humanDuration(now - started)})` : '';
    h = `Pod ${ref} is healthy: ${cs.length === 1 ? 'its container is' : `all ${cs.length} containers are`} running and ready${up}.`;
  }
  if (past.length) {
    const classes = [...new Set(past.map((f) => f.class))];
    h += ` Earlier it had trouble it recovered from: ${classes.join(', ')}.`;
  }
  return h;
}

/**
 * Diagnoses a pod (or, with Events only, a pod that was never created or is gone).
 * @param input pod JSON (optional), Events of the pod and its owner (either API shape), log tails, and `now`
 * @returns the diagnosis; never throws on odd or partial input (unknown fields are ignored)
 */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const now = input.now.getTime();
  const all = input.events.map(normalizeEvent).sort(newestFirst);
  const subject = subjectOf(input, all);
  const pod = input.pod;
  const isSubjectPod = (e: NormEvent) =>
    subject.kind === 'Pod' && e.kind === 'Pod' && e.name === subject.name && (!e.namespace || e.namespace === subject.namespace) && (!e.uid || !subject.uid || e.uid === subject.uid);
  const podEvents = all.filter(isSubjectPod);
  // What else belongs on the timeline: the pod's owners, its node and its claims (or, with Events only, the subject).
  const owners = new Set((pod?.metadata?.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}`));
  const claims = new Set((pod?.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((x): x is string => !!x));
  const relevant = (e: NormEvent): boolean => {
    if (isSubjectPod(e)) return true;
    if (!pod) return subject.kind === 'Pod' ? e.kind !== 'Pod' : e.kind === subject.kind && e.name === subject.name;
    return owners.has(`${e.kind}/${e.name}`) || (e.kind === 'Node' && e.name === pod.spec?.nodeName) || (e.kind === 'PersistentVolumeClaim' && claims.has(e.name));
  };
  const others = all.filter((e) => !isSubjectPod(e));
  const cutoff = episodeStart(pod);
  const createdMs = parseTime(pod?.metadata?.creationTimestamp);
  const isCurrent = (e: NormEvent, since: number | undefined) => since === undefined || (e.lastMs !== undefined && e.lastMs >= since);
  const ownerSince = recoveredAt(pod) ?? createdMs;
  const base = { now, namespace: subject.namespace, name: subject.name, ref: `${subject.namespace}/${subject.name}`, logTails: input.logTails ?? [], objects: input.objects ?? [] };
  const ctx: RuleContext = {
    ...base,
    ...(pod ? { pod } : {}),
    events: podEvents.filter((e) => isCurrent(e, cutoff)),
    ownerEvents: others.filter((e) => e.reason !== 'FailedCreate' || isCurrent(e, ownerSince)),
    historical: false,
  };
  const found = RULES.flatMap((r) => r(ctx));
  let past = found.filter((f) => f.past);
  // Whatever Warning or failed condition no rule explains becomes a finding of its own (unexplained.ts).
  const candidates = warningCandidates({ ...(pod ? { pod } : {}), subject, podEvents: ctx.events, others, owners, isRelated: (e) => relevant(e) && isCurrent(e, ownerSince) });
  const findings = rankFindings([...found.filter((f) => !f.past), ...unexplainedFindings(ctx, found, candidates, pod ? owners : new Set([`${subject.kind}/${subject.name}`]), isHealthy(pod))]);
  if (cutoff !== undefined || createdMs !== undefined) {
    const oldPod = podEvents.filter((e) => !isCurrent(e, cutoff));
    const oldOwner = others.filter((e) => e.reason === 'FailedCreate' && !isCurrent(e, ownerSince));
    if (oldPod.length || oldOwner.length) {
      const hist: RuleContext = {
        ...base,
        logTails: [],
        ...(pod ? { pod: { ...(pod.metadata ? { metadata: pod.metadata } : {}), ...(pod.spec ? { spec: pod.spec } : {}) } } : {}),
        events: oldPod,
        ownerEvents: oldOwner,
        historical: true,
      };
      const have = new Set([...findings, ...past].map((f) => `${f.class}/${f.container ?? ''}`));
      for (const f of RULES.flatMap((r) => r(hist))) {
        const key = `${f.class}/${f.container ?? ''}`;
        if (have.has(key)) continue;
        have.add(key);
        past.push({ ...f, past: true, severity: 'info' });
      }
    }
  }
  past = rankFindings(past);
  const ref = base.ref;
  let headline: string;
  let severity: Severity;
  const top = findings[0];
  if (top) {
    headline = top.summary;
    severity = worst(findings, 'info');
  } else if (pod?.status && isHealthy(pod)) {
    headline = healthyHeadline(ref, pod, now, past);
    severity = 'ok';
  } else if (pod?.status) {
    const st = pod.status;
    const notReady = (st.containerStatuses ?? []).filter((c) => !c.ready).map((c) => c.name);
    const delMs = parseTime(pod.metadata?.deletionTimestamp);
    const pulling = all.filter((e) => isSubjectPod(e) && (e.reason === 'Pulling' || e.reason === 'Pulled' || e.reason === 'Failed'))[0];
    if (delMs !== undefined) {
      headline = `Pod ${ref} is being deleted (requested ${humanDuration(Math.max(0, now - delMs))} ago); its containers are stopping.`;
      severity = 'info';
    } else if (st.phase === 'Pending' && pulling?.reason === 'Pulling' && pulling.lastMs !== undefined) {
      const img = /"([^"]+)"/.exec(pulling.message)?.[1];
      headline = `Pod ${ref} is still pulling image ${img ?? '(unknown)'}${pulling.container ? ` for container ${pulling.container}` : ''}: started ${humanDuration(now - pulling.lastMs)} ago and not finished; large images take a while on a node that has not cached them.`;
      severity = now - pulling.lastMs > 10 * 60_000 ? 'warning' : 'info';
    } else if (st.phase === 'Pending') {
      headline = `Pod ${ref} is pending${pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : ''}; no Event or status explains a problem yet (it may still be pulling images or waiting to be scheduled).`;
      severity = 'info';
    } else if (st.phase === 'Running') {
      headline = `Pod ${ref} is running but not ready${notReady.length ? ` (container ${notReady.join(', ')} not ready)` : ''}; no Event or status explains why.`;
      severity = 'warning';
    } else if (st.phase === 'Failed') {
      headline = `Pod ${ref} failed${st.reason ? ` (${st.reason})` : ''}${st.message ? `: ${st.message}` : ''}.`;
      severity = 'critical';
    } else {
      headline = `Pod ${ref} is in phase ${st.phase ?? 'unknown'}; no known problem was found.`;
      severity = 'info';
    }
  } else if (!all.length) {
    headline = input.logTails?.length
      ? `No Kubernetes status or Events are recorded for ${subject.kind} ${ref}, and its log tails show no known failure.`
      : `Nothing to diagnose for ${subject.kind} ${ref}: no pod status and no Events were given.`;
    severity = 'info';
  } else {
    headline = `No problem found in the Events of ${subject.kind} ${ref}.`;
    severity = 'ok';
  }
  return boundProse({
    subject,
    severity,
    headline,
    findings,
    past,
    timeline: buildTimeline(pod, all.filter((e) => relevant(e)), cutoff),
    now: iso(now),
  });
}

/** A one-line summary for lists ("pods with problems" on the node page): severity, headline, classes. */
export interface DiagnosisSummary {
  namespace: string;
  name: string;
  severity: Severity;
  headline: string;
  /** Current finding classes, root cause first. */
  classes: FindingClass[];
}

/** Summarises a diagnosis for a list; a list of problem pods keeps those with severity warning or critical. */
export function summarize(d: Diagnosis): DiagnosisSummary {
  return { namespace: d.subject.namespace, name: d.subject.name, severity: d.severity, headline: d.headline, classes: d.findings.map((f) => f.class) };
}
