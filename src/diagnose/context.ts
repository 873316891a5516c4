/**
 * The context every rule reads: the pod, its Events split into current and past, the owner's Events, log
 * tails, and small helpers over pod spec and status. Pure.
 */
import { eventEvidence, iso, newestFirst, parseTime } from './events.ts';
import type {
  ContainerJson,
  ContainerStatusJson,
  Evidence,
  Finding,
  KubeObjectJson,
  LogTail,
  NormEvent,
  PodJson,
} from './types.ts';

/** What a rule sees. */
export interface RuleContext {
  /** The clock, ms since the epoch. */
  now: number;
  namespace: string;
  /** Pod name (or, with owner Events only, the owner's name). */
  name: string;
  /** `namespace/name`, for sentences. */
  ref: string;
  /** The pod; in a historical pass its `status` is removed. */
  pod?: PodJson;
  /** The pod's Events to judge, newest first. */
  events: NormEvent[];
  /** Events about other objects (owner, node), newest first. */
  ownerEvents: NormEvent[];
  logTails: LogTail[];
  /** Related objects the caller passed (owners, claims, StorageClasses, nodes, PriorityClasses, pods); may be empty. */
  objects: KubeObjectJson[];
  /** True in the pass over Events older than the latest recovery: findings become past. */
  historical: boolean;
}

/** Related objects of one kind, optionally of one name (the caller passes one namespace's objects). */
export function objectsOf(ctx: Pick<RuleContext, 'objects'>, kind: string, name?: string): KubeObjectJson[] {
  return ctx.objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
}

/** A rule: one failure class family. Returns zero or more findings; never throws on odd input. */
export type Rule = (ctx: RuleContext) => Finding[];

/** All containers of the spec, init containers first, with a flag. */
export function specContainers(pod: PodJson | undefined): { c: ContainerJson; init: boolean }[] {
  const spec = pod?.spec;
  if (!spec) return [];
  return [
    ...(spec.initContainers ?? []).map((c) => ({ c, init: true })),
    ...(spec.containers ?? []).map((c) => ({ c, init: false })),
  ];
}

/** The spec of a container (app or init) by name. */
export function containerSpec(pod: PodJson | undefined, name: string | undefined): ContainerJson | undefined {
  if (!name) return undefined;
  return specContainers(pod).find((x) => x.c.name === name)?.c;
}

/** All container statuses (init first), with a flag. */
export function containerStatuses(pod: PodJson | undefined): { s: ContainerStatusJson; init: boolean }[] {
  const st = pod?.status;
  if (!st) return [];
  return [
    ...(st.initContainerStatuses ?? []).map((s) => ({ s, init: true })),
    ...(st.containerStatuses ?? []).map((s) => ({ s, init: false })),
  ];
}

/** True when the pod has more than one container, so sentences must name the container. */
export function multiContainer(pod: PodJson | undefined): boolean {
  return specContainers(pod).length > 1;
}

/** `container tm of pod ns/x` or `pod ns/x` when the container is unknown. */
export function who(ctx: RuleContext, container: string | undefined): string {
  if (!container) return `Pod ${ctx.ref}`;
  const init = specContainers(ctx.pod).find((x) => x.c.name === container)?.init;
  return `${init ? 'Init container' : 'Container'} ${container} of pod ${ctx.ref}`;
}

/** Events with this reason (exact, or any of a list), newest first. */
export function eventsWithReason(events: NormEvent[], reason: string | string[]): NormEvent[] {
  const rs = Array.isArray(reason) ? reason : [reason];
  return events.filter((e) => rs.includes(e.reason)).sort(newestFirst);
}

/**
 * Latest time (ms) a container started, from `state.running.startedAt`, `state.terminated.startedAt`, or
 * `lastState.terminated.startedAt`; undefined when it never started.
 */
export function containerStartedMs(s: ContainerStatusJson | undefined): number | undefined {
  if (!s) return undefined;
  const t = [
    parseTime(s.state?.running?.startedAt),
    parseTime(s.state?.terminated?.startedAt),
    parseTime(s.lastState?.terminated?.startedAt),
  ].filter((x): x is number => x !== undefined);
  return t.length ? Math.max(...t) : undefined;
}

/**
 * True when an Event is superseded by a later container start: the container it names (or, without a
 * container, any container of the pod) started after the Event was last seen. Used so that pull, mount and
 * sandbox Events that were followed by a successful start are not reported as current.
 */
export function supersededByStart(ctx: RuleContext, e: NormEvent, container?: string): boolean {
  if (e.lastMs === undefined) return false;
  const name = container ?? e.container;
  const statuses = containerStatuses(ctx.pod).filter((x) => !name || x.s.name === name);
  return statuses.some((x) => {
    const t = containerStartedMs(x.s);
    return t !== undefined && t >= e.lastMs!;
  });
}

/** Evidence for a status field (`status.containerStatuses[tm].state.waiting.reason` = text). */
export function statusEvidence(ref: string, text: string | number | undefined, at?: string): Evidence {
  const ev: Evidence = { source: 'status', ref, text: String(text ?? '') };
  if (at) ev.at = at;
  return ev;
}

/** Evidence for a spec field. */
export function specEvidence(ref: string, text: unknown): Evidence {
  return { source: 'spec', ref, text: typeof text === 'string' ? text : JSON.stringify(text) };
}

/** Evidence list for up to `n` Events (newest first). */
export function eventsEvidence(events: NormEvent[], n = 3): Evidence[] {
  return events.slice(0, n).map(eventEvidence);
}

/** RFC 3339 of an Event's last observation, if known. */
export function lastSeen(e: NormEvent | undefined): string | undefined {
  return e?.lastMs === undefined ? undefined : iso(e.lastMs);
}

/** Path of a container in the spec, for fixes: `spec.containers[tm]` / `spec.initContainers[init]`. */
export function specPath(ctx: RuleContext, container: string | undefined): string {
  if (!container) return 'spec.containers[]';
  const init = specContainers(ctx.pod).find((x) => x.c.name === container)?.init;
  return `spec.${init ? 'initContainers' : 'containers'}[${container}]`;
}

/** Status path of a container: `status.containerStatuses[tm]`. */
export function statusPath(init: boolean, name: string): string {
  return `status.${init ? 'initContainerStatuses' : 'containerStatuses'}[${name}]`;
}

/** Human duration: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `1 time` / `5 times`. */
export function times(n: number): string {
  return `${n} ${n === 1 ? 'time' : 'times'}`;
}

/** Truncates untrusted text for a sentence (log lines, messages) to `max` characters. */
export function clip(s: string, max = 240): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * The last `n` non-empty lines of a container's log from podlog's store, and the file they came from.
 * Prefers the main log (`*.log`, `*.out`) over GC logs. Undefined when podlog has none.
 */
export function lastLogLines(ctx: RuleContext, container: string | undefined, n = 5): { file: string; lines: string[] } | undefined {
  const tails = ctx.logTails.filter((t) => !container || t.container === container);
  const ranked = [...tails].sort((a, b) => score(b.file) - score(a.file));
  for (const t of ranked) {
    const lines = t.lines.filter((l) => l.trim()).slice(-n);
    if (lines.length) return { file: t.file, lines };
  }
  return undefined;
}

function score(file: string): number {
  if (/gc/i.test(file)) return 0;
  if (/\.log$/.test(file)) return 3;
  if (/\.out$/.test(file)) return 2;
  return 1;
}

/** The most telling line of a tail: the last one naming an error or exception, else the last line. */
export function tellingLine(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (/\b(ERROR|FATAL|SEVERE|panic|Exception|Error)\b|Caused by:/.test(l)) return l;
  }
  return lines[lines.length - 1];
}

/** `liveness` / `startup` when a `Killing` Event says the container was restarted for a failed probe. */
export function parseProbeKillFor(ctx: RuleContext, container: string): 'liveness' | 'startup' | undefined {
  for (const e of ctx.events) {
    if (e.reason !== 'Killing') continue;
    const m = /Container (\S+) failed (liveness|startup) probe/.exec(e.message) ?? /docker:\/\/[^:]+:Container failed (liveness|startup) probe/.exec(e.message);
    if (!m) continue;
    const name = m.length === 3 ? m[1] : e.container;
    const kind = (m.length === 3 ? m[2] : m[1]) as 'liveness' | 'startup';
    if (!name || name === container || e.container === container) return kind;
  }
  return undefined;
}
