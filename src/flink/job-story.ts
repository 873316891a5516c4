/**
 * The Flink job story: what happened to a Flink cluster's job and why, in a few sentences, from what the
 * JobManager logged ({@link JobLogSummary}) joined with the cluster's pods and Events as Kubernetes recorded
 * them. Pure (no I/O; `now` is passed). Used by the HTTP route, the CLI and the page alike.
 *
 * Joins with Kubernetes:
 * - TaskManager pods Pending while the job waits for slots: one sentence with the scheduler's reason
 *   (the `FailedScheduling` Event or the `PodScheduled=False` condition message);
 * - TaskManager pods OOMKilled or evicted: named, and tied to the job's restart when the failure ran on that
 *   TaskManager, the JobManager lost it, or a restart followed within {@link LINK_WINDOW_MS};
 * - the JobManager pod's container terminated abnormally: its exit and the last lines of its log.
 */
import { diagnose, summarize, type DiagnosisSummary } from '../diagnose/index.ts';
import { iso, normalizeEvent, parseTime } from '../diagnose/events.ts';
import type { EventJson, NormEvent, PodJson, Severity } from '../diagnose/types.ts';
import { jobFromPodName } from '../kube/flink-names.ts';
import type { JobLog, JobLogSummary, LogPlace } from './job-log.ts';

/** How close (ms) a TaskManager's end and a job restart must be to be called one incident, when nothing names the TaskManager. */
export const LINK_WINDOW_MS = 2 * 60_000;
/** Cap on the story's prose, characters. */
export const MAX_STORY_CHARS = 3000;

/** Input of {@link jobStory}. */
export interface JobStoryInput {
  namespace: string;
  /** The Flink cluster-id (the pods' `app` label), or any job id podlog groups pods by. */
  job: string;
  /** What the JobManager log says; undefined when no JobManager log is held. */
  log?: JobLogSummary;
  /** The JobManager pod generation and container whose log was read, and that log's files (oldest first). */
  logSource?: { pod?: string; uid?: string; container?: string; files: string[] };
  /** The job's pods as last seen (`kubectl get pod -o json` shape). */
  pods: PodJson[];
  /** Events of those pods and their owners (either API shape). */
  events: EventJson[];
  /** Last lines of the JobManager's stdout/stderr file (`jobmanager.out`), where the JVM itself reports fatal errors. */
  jobManagerOut?: { file: string; lines: string[] };
  /** Pods of the job podlog holds logs of but has no Kubernetes object for (no cluster link, or pruned). */
  logOnlyPods?: { name: string; uid?: string }[];
  now: Date;
}

/** A sentence of the story, with the log place to jump to when it quotes the log. */
export interface StoryLine {
  text: string;
  /** Where in the JobManager's log (pod, file, byte offset, line) the quoted text is. */
  place?: LogPlace & { pod?: string };
}

/** One job of the cluster, as the JobManager log tells it. */
export interface JobStoryJob {
  jobId: string;
  name?: string;
  state?: string;
  restarts: number;
  restartStrategy?: string;
  exhausted: boolean;
  rootCause?: string;
  rootCausePlace?: LogPlace;
  checkpoints: JobLog['checkpoints'];
  slotTimeouts: number;
  firstPlace: LogPlace;
  /** The newest state transitions (see `MAX_TRANSITIONS`), oldest first. */
  transitions: { from: string; to: string; at?: string; offset: number; file: string }[];
}

/** A pod of the cluster with its own diagnosis, summarised. */
export interface JobStoryPod extends DiagnosisSummary {
  role: 'jobmanager' | 'taskmanager' | 'other';
  phase?: string;
}

/** The answer of `GET /namespaces/{ns}/jobs/{job}/diagnosis` and `podlog diagnose --job`. */
export interface JobDiagnosis {
  subject: {
    kind: 'FlinkJob';
    namespace: string;
    name: string;
    /** The JobManager pod whose log was read (story places are in its files). */
    jobManagerPod?: string;
    /** Its uid and container, for links to its log files. */
    jobManagerUid?: string;
    jobManagerContainer?: string;
  };
  severity: Severity;
  /** One sentence. */
  headline: string;
  /** The story, in order: the job, its restarts, the root cause, checkpoints, slots, then Kubernetes. */
  story: StoryLine[];
  /** Every job the JobManager log names, first submitted first. */
  jobs: JobStoryJob[];
  /** The pods, problems first. */
  pods: JobStoryPod[];
  /** JobManager files read. */
  logFiles: string[];
  /** The `now` used (RFC 3339). */
  now: string;
}

const times = (n: number) => (n === 1 ? 'once' : `${n} times`);
const RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2, ok: 3 };

/** `2026-11-22 00:59:52,419` (the JobManager's local time; Flink images run in UTC) → ms, or undefined. */
export function logTimeMs(at: string | undefined): number | undefined {
  const m = at && /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})[,.](\d{3})/.exec(at);
  return m ? Date.parse(`${m[1]}T${m[2]}.${m[3]}Z`) : undefined;
}

function clock(at: string | undefined): string {
  return at ? at.slice(11, 19) : '?';
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return '?';
  return ms % 60_000 === 0 && ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/**
 * The job's state path, repeated cycles folded: `CREATED → (RUNNING → RESTARTING) ×3 → RUNNING → FAILING → FAILED`;
 * `… → ` first when older transitions were dropped.
 */
export function statePath(j: JobLog): string {
  const tr = j.transitions;
  if (!tr.length) return '';
  const t = [tr[0]!.from, ...tr.map((x) => x.to)];
  const out: string[] = [];
  for (let i = 0; i < t.length;) {
    let k = 1;
    while (i + 2 * k + 1 < t.length && t[i + 2 * k] === t[i] && t[i + 2 * k + 1] === t[i + 1]) k++;
    if (k >= 2) {
      out.push(`(${t[i]} → ${t[i + 1]}) ×${k}`);
      i += 2 * k;
    } else out.push(t[i++]!);
  }
  return `${j.transitionCount > tr.length ? '… → ' : ''}${out.join(' → ')}`;
}

/** The restart strategy in words: `fixed-delay (3 attempts, 5 s apart)`. */
export function strategyWords(j: JobLog): string | undefined {
  const s = j.restartStrategy;
  if (!s) return undefined;
  const p = s.params;
  if (s.kind === 'fixed-delay') return `fixed-delay (${p['maxNumberRestartAttempts'] ?? '?'} attempt${p['maxNumberRestartAttempts'] === 1 ? '' : 's'}, ${seconds(p['backoffTimeMS'])} apart)`;
  if (s.kind === 'failure-rate') return `failure-rate (at most ${p['maxFailuresPerInterval'] ?? '?'} failures per ${seconds(p['failuresIntervalMS'])}, ${seconds(p['backoffTimeMS'])} apart)`;
  if (s.kind === 'exponential-delay') return `exponential-delay (${seconds(p['initialBackoffMS'])} up to ${seconds(p['maxBackoffMS'])}${p['attemptsBeforeResetBackoff'] !== undefined ? `, ${p['attemptsBeforeResetBackoff']} attempts` : ''})`;
  if (s.kind === 'none') return 'none (no restarts)';
  return s.text;
}

function roleOf(pod: PodJson): JobStoryPod['role'] {
  const c = pod.metadata?.labels?.['component'];
  if (c === 'jobmanager' || c === 'taskmanager') return c;
  return jobFromPodName(pod.metadata?.name ?? '')?.component ?? 'other';
}

/** The first container status that ended abnormally (current or last state), with its reason and time. */
function abnormalEnd(pod: PodJson): { container: string; reason: string; exitCode?: number; at?: number; message?: string } | undefined {
  for (const s of pod.status?.containerStatuses ?? []) {
    for (const t of [s.state?.terminated, s.lastState?.terminated]) {
      if (!t) continue;
      if (t.reason === 'Completed' && t.exitCode === 0) continue;
      return { container: s.name, reason: t.reason ?? 'Error', ...(t.exitCode !== undefined ? { exitCode: t.exitCode } : {}), ...(parseTime(t.finishedAt) !== undefined ? { at: parseTime(t.finishedAt)! } : {}) };
    }
  }
  if (pod.status?.reason === 'Evicted') {
    const t = parseTime(pod.status.conditions?.find((c) => c.type === 'DisruptionTarget' || c.type === 'Ready')?.lastTransitionTime);
    return { container: '', reason: 'Evicted', ...(t !== undefined ? { at: t } : {}), ...(pod.status.message ? { message: pod.status.message } : {}) };
  }
  return undefined;
}

function exitWords(code: number | undefined): string {
  if (code === undefined) return '';
  if (code === 137) return ' (exit code 137, SIGKILL)';
  if (code === 143) return ' (exit code 143, SIGTERM)';
  return ` (exit code ${code})`;
}

/** The scheduler's reason a pod is Pending: newest FailedScheduling message, else the PodScheduled condition. */
function pendingReason(pod: PodJson, events: NormEvent[]): string | undefined {
  const name = pod.metadata?.name;
  const ev = events.filter((e) => e.kind === 'Pod' && e.name === name && e.reason === 'FailedScheduling').sort((a, b) => (b.lastMs ?? 0) - (a.lastMs ?? 0))[0];
  const msg = ev?.message ?? pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
  return msg?.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
}

/** The job the story is about: the one last heard of (a session cluster may have run several). */
function mainJob(log: JobLogSummary | undefined): JobLog | undefined {
  if (!log?.jobs.length) return undefined;
  return [...log.jobs].sort((a, b) => (logTimeMs(b.last.at) ?? 0) - (logTimeMs(a.last.at) ?? 0))[0];
}

function rootCauseOf(j: JobLog): string | undefined {
  return j.lastFailure?.rootCause ?? j.lastFailure?.exception;
}

/**
 * Tells the story of one Flink cluster's job.
 * @returns the diagnosis; never throws on odd or partial input
 */
export function jobStory(input: JobStoryInput): JobDiagnosis {
  const now = input.now.getTime();
  const events = input.events.map(normalizeEvent);
  const jmPod = input.logSource?.pod;
  const at = (p: LogPlace): StoryLine['place'] => ({ ...p, ...(jmPod ? { pod: jmPod } : {}) });
  const story: StoryLine[] = [];
  let severity: Severity = 'ok';
  const raise = (s: Severity) => { if (RANK[s] < RANK[severity]) severity = s; };
  let headline: string | undefined;

  const j = mainJob(input.log);
  const label = j ? `Job ${j.name ?? '(unnamed)'} (${j.jobId})` : '';
  if (j) {
    const state = j.state ?? 'submitted';
    const tr = j.transitions;
    const last = tr[tr.length - 1];
    story.push({ text: `${label} was submitted at ${clock(j.first.at)}${last ? ` and is ${state} since ${clock(last.at)}` : ''} (JobManager log, times as logged).`, place: at(j.first) });
    if (tr.length > 1) story.push({ text: `States: ${statePath(j)}.` });
    const why = rootCauseOf(j);
    const strategy = strategyWords(j);
    if (j.restarts > 0 || j.exhausted) {
      let t = `It restarted ${times(j.restarts)}`;
      if (strategy) t += ` under the ${strategy} restart strategy`;
      if (j.exhausted) t += `; then the strategy gave up ("${j.exhausted.text}") and the job failed for good`;
      story.push({ text: `${t}.`, ...(j.exhausted ? { place: at(j.exhausted) } : {}) });
    }
    if (why && j.lastFailure) {
      const f = j.lastFailure;
      const where = [f.task ? `in task ${f.task}` : '', f.taskManager ? `on TaskManager ${f.taskManager}` : ''].filter(Boolean).join(' ');
      const place = f.rootCausePlace ?? f;
      story.push({ text: `Root cause of the last failure${where ? ` (${where})` : ''}: ${why.slice(0, 400)}`, place: at(place) });
      if (/checkpoint tolerable failure threshold/.test(why)) {
        story.push({ text: 'Each expired or failed checkpoint counted against execution.checkpointing.tolerable-failed-checkpoints, so the checkpoints themselves failed the job: find what makes them slow (backpressure, a slow snapshot or sink, state size), or raise execution.checkpointing.timeout or the tolerable number.' });
      }
    }
    const c = j.checkpoints;
    if (c.completed || c.expired || c.declined || c.failed || c.triggerFailed) {
      const parts = [`${c.completed} checkpoint${c.completed === 1 ? '' : 's'} completed${c.lastCompleted ? ` (last #${c.lastCompleted.id} at ${clock(c.lastCompleted.at)})` : ''}`];
      if (c.expired) parts.push(`${c.expired} expired before completing (longer than execution.checkpointing.timeout)`);
      if (c.declined) parts.push(`${c.declined} declined by a task`);
      if (c.triggerFailed) parts.push(`${c.triggerFailed} could not be triggered`);
      if (c.failed) parts.push(`${c.failed} failed`);
      const bad = c.expired + c.declined + c.failed + c.triggerFailed;
      story.push({ text: `Checkpoints: ${parts.join(', ')}.${bad && c.lastProblem ? ` Last problem: ${c.lastProblem.text.slice(0, 300)}` : ''}`, ...(bad && c.lastProblem ? { place: at(c.lastProblem) } : {}) });
      if (bad) raise('warning');
    }
    if (j.slotTimeouts) {
      const pool = /Registered TMs: \d+, registered slots: \d+,? free slots: \d+/.exec(j.lastSlotTimeout?.text ?? '')?.[0];
      story.push({ text: `Slot requests failed ${times(j.slotTimeouts)} ("Could not acquire the minimum required resources"${pool ? `; the slot pool had ${pool}` : ''}): the job needs more task slots than its TaskManagers offer. Lower the job's parallelism, raise taskmanager.numberOfTaskSlots, or give the cluster more TaskManagers.`, ...(j.lastSlotTimeout ? { place: at(j.lastSlotTimeout) } : {}) });
      raise('warning');
    }
    // headline
    if (state === 'FAILED') {
      raise('critical');
      const because = j.slotTimeouts && /NoResourceAvailable|minimum required resources|Timeout/i.test(why ?? 'NoResourceAvailable')
        ? 'it could not get enough task slots'
        : /checkpoint tolerable failure|Checkpoint expired/i.test(why ?? '') ? 'its checkpoints kept failing (expired)' : why ? why.slice(0, 200) : 'no cause was logged';
      headline = `${label} FAILED${j.exhausted ? ` after ${j.restarts} restart${j.restarts === 1 ? '' : 's'} (${j.restartStrategy?.kind ?? 'restart'} strategy exhausted)` : ''}: ${because}.`;
    } else if (state === 'RESTARTING' || state === 'FAILING' || (state === 'RUNNING' && j.restarts > 0)) {
      raise('warning');
      headline = `${label} is ${state} and has restarted ${j.restarts} time${j.restarts === 1 ? '' : 's'}${why ? `; last failure: ${why.slice(0, 200)}` : ''}.`;
    } else if (state === 'CANCELED' || state === 'CANCELLING') {
      raise('info');
      headline = `${label} was ${state === 'CANCELED' ? 'cancelled' : 'being cancelled'} (a user or the operator asked for it).`;
    } else if (state === 'FINISHED') {
      headline = `${label} FINISHED${j.restarts ? ` after ${j.restarts} restart${j.restarts === 1 ? '' : 's'}` : ''}.`;
      if (j.restarts) raise('info');
    } else if (state === 'RUNNING') {
      headline = `${label} is RUNNING.`;
    } else {
      headline = `${label} is ${state}.`;
      if (j.slotTimeouts) headline = `${label} is ${state} and cannot get the task slots it needs.`;
    }
  }

  // Kubernetes
  const pods = input.pods.filter((p) => p.metadata?.name);
  const podSummaries: JobStoryPod[] = pods.map((p) => {
    const own = events.filter((e) => e.kind === 'Pod' && e.name === p.metadata?.name);
    const d = diagnose({ pod: p, events: input.events.filter((_, i) => own.includes(events[i]!)), now: input.now });
    return { ...summarize(d), role: roleOf(p), ...(p.status?.phase ? { phase: p.status.phase } : {}) };
  });
  const tms = pods.filter((p) => roleOf(p) === 'taskmanager');
  const pending = tms.filter((p) => p.status?.phase === 'Pending' && !p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True'));
  if (pending.length) {
    const reasons = [...new Set(pending.map((p) => pendingReason(p, events)).filter((x): x is string => !!x))];
    const waiting = !j || j.slotTimeouts > 0 || j.state === 'CREATED' || j.state === 'INITIALIZING' || j.state === 'RESTARTING';
    story.push({ text: `${waiting ? 'The job could not get slots: its' : 'Its'} ${pending.length} TaskManager pod${pending.length === 1 ? ' is' : 's are'} Pending${reasons.length ? ` — ${reasons[0]!.slice(0, 300)}` : ' (not scheduled yet)'}.` });
    raise(waiting ? 'critical' : 'warning');
    if (!headline || waiting) headline = `${j ? label : `Flink cluster ${input.namespace}/${input.job}`} could not get slots: ${pending.length} TaskManager pod${pending.length === 1 ? ' is' : 's are'} Pending${reasons.length ? ` — ${reasons[0]!.slice(0, 200)}` : ''}.`;
  }
  const explained = new Set<string>();
  const restartsAt = (j?.transitions ?? []).filter((t) => t.to === 'RESTARTING' || t.to === 'FAILING').map((t) => ({ t, ms: logTimeMs(t.at) }));
  for (const p of tms) {
    const end = abnormalEnd(p);
    if (!end || (end.reason !== 'OOMKilled' && end.reason !== 'Evicted' && end.exitCode !== 137)) continue;
    const name = p.metadata!.name!;
    const named = j?.lastFailure?.taskManager === name || (input.log?.taskManagerLosses ?? []).some((l) => l.taskManager === name);
    const near = end.at !== undefined ? restartsAt.find((r) => r.ms !== undefined && r.ms >= end.at! - 5_000 && r.ms - end.at! <= LINK_WINDOW_MS) : undefined;
    const what = end.reason === 'Evicted' ? `was evicted by its node${end.message ? ` ("${end.message.replace(/\s+/g, ' ').slice(0, 200)}")` : ''}` : end.reason === 'OOMKilled' ? `was OOMKilled${exitWords(end.exitCode)}: the container used more than its memory limit (raise resources.limits.memory with taskmanager.memory.process.size)` : `was killed${exitWords(end.exitCode)}`;
    const link = near ? `; the job ${near.t.to === 'FAILING' ? 'failed' : 'restarted'} at ${clock(near.t.at)} because of it` : named ? '; the job lost that TaskManager and failed over' : '';
    explained.add(name);
    story.push({ text: `TaskManager pod ${name} ${what}${end.at !== undefined ? ` at ${iso(end.at).slice(11, 19)}` : ''}${link}.`, ...(near ? { place: at(near.t) } : {}) });
    raise(link ? 'critical' : 'warning');
  }
  // TaskManagers the JobManager lost that Kubernetes says nothing about (yet): name them, first loss each.
  const lost = new Map<string, NonNullable<JobStoryInput['log']>['taskManagerLosses'][number]>();
  for (const l of input.log?.taskManagerLosses ?? []) if (!lost.has(l.taskManager) && !explained.has(l.taskManager)) lost.set(l.taskManager, l);
  for (const l of [...lost.values()].slice(0, 3)) {
    story.push({ text: `The JobManager lost TaskManager ${l.taskManager} at ${clock(l.at)} ("${l.text.slice(0, 160)}"): look at that TaskManager's pod and its last log lines (OOMKilled, evicted, its node lost, long GC pauses).`, place: at(l) });
    raise('warning');
  }
  const jm = pods.find((p) => roleOf(p) === 'jobmanager' && (!jmPod || p.metadata?.name === jmPod)) ?? pods.find((p) => roleOf(p) === 'jobmanager');
  const jmEnd = jm ? abnormalEnd(jm) : undefined;
  if (jm && jmEnd) {
    // A restarted JobManager logs a fresh start after the crash: the crash's last lines are those before it.
    const lines = (input.log?.tailBeforeRestart ?? input.log?.tail ?? []).slice(-5);
    const out = (input.jobManagerOut?.lines ?? []).filter((l) => l.trim()).slice(-3);
    story.push({ text: `The JobManager pod ${jm.metadata!.name} itself crashed: ${jmEnd.reason}${exitWords(jmEnd.exitCode)}${jmEnd.at !== undefined ? ` at ${iso(jmEnd.at).slice(11, 19)}` : ''}.${lines.length ? ` Its log ends with:\n${lines.map((l) => `  ${l.slice(0, 300)}`).join('\n')}` : ''}${out.length ? `\nIts ${input.jobManagerOut!.file} ends with:\n${out.map((l) => `  ${l.slice(0, 300)}`).join('\n')}` : ''}` });
    raise('critical');
    if (!headline || !j || j.state === 'RUNNING') headline = `The JobManager of Flink cluster ${input.namespace}/${input.job} crashed (${jmEnd.reason}${exitWords(jmEnd.exitCode)}).`;
  }
  for (const p of podSummaries) if (p.severity === 'critical' && RANK[severity] > RANK.warning) raise('warning');

  if (!headline) {
    if (!input.log) headline = `No JobManager log of Flink cluster ${input.namespace}/${input.job} is held here, so the job's own story is unknown; its pods are listed below.`;
    else if (!j) headline = `The JobManager log of Flink cluster ${input.namespace}/${input.job} names no job yet (nothing was submitted, or the log rotated away).`;
    else headline = `${label}: no problem found.`;
    if (severity === 'ok' && !input.log) severity = 'info';
  }
  // keep the prose within bounds: drop sentences from the end (Kubernetes ones are last) until it fits
  let total = headline.length;
  const kept: StoryLine[] = [];
  for (const s of story) {
    if (total + s.text.length > MAX_STORY_CHARS) break;
    total += s.text.length;
    kept.push(s);
  }
  for (const p of input.logOnlyPods ?? []) {
    if (podSummaries.some((x) => x.name === p.name)) continue;
    podSummaries.push({
      namespace: input.namespace, name: p.name, severity: 'info', classes: [], role: jobFromPodName(p.name)?.component ?? 'other',
      headline: `No Kubernetes record of pod ${input.namespace}/${p.name} here; podlog holds its logs.`,
    });
  }
  podSummaries.sort((a, b) => RANK[a.severity] - RANK[b.severity] || a.name.localeCompare(b.name));
  return {
    subject: {
      kind: 'FlinkJob', namespace: input.namespace, name: input.job, ...(jmPod ? { jobManagerPod: jmPod } : {}),
      ...(input.logSource?.uid ? { jobManagerUid: input.logSource.uid } : {}), ...(input.logSource?.container ? { jobManagerContainer: input.logSource.container } : {}),
    },
    severity,
    headline,
    story: kept,
    jobs: (input.log?.jobs ?? []).map((x) => ({
      jobId: x.jobId, ...(x.name !== undefined ? { name: x.name } : {}), ...(x.state ? { state: x.state } : {}), restarts: x.restarts,
      ...(strategyWords(x) ? { restartStrategy: strategyWords(x)! } : {}), exhausted: !!x.exhausted,
      ...(rootCauseOf(x) ? { rootCause: rootCauseOf(x)! } : {}), ...(x.lastFailure?.rootCausePlace ? { rootCausePlace: x.lastFailure.rootCausePlace } : {}),
      checkpoints: x.checkpoints, slotTimeouts: x.slotTimeouts, firstPlace: x.first,
      transitions: x.transitions.map((t) => ({ from: t.from, to: t.to, ...(t.at ? { at: t.at } : {}), offset: t.offset, file: t.file })),
    })),
    pods: podSummaries,
    logFiles: input.logSource?.files ?? [],
    now: iso(now),
  };
}
