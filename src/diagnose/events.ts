/**
 * Normalises Events of both API shapes (core/v1 and events.k8s.io/v1, PROTOCOLS.md B4) into {@link NormEvent}
 * and formats them as evidence. Pure.
 */
import type { EventJson, Evidence, NormEvent } from './types.ts';

/** Parses an RFC 3339 timestamp (or MicroTime) to ms since the epoch; undefined when absent or invalid. */
export function parseTime(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Formats ms since the epoch as RFC 3339 with second precision (`2024-05-01T10:00:00Z`). */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Container named by an Event's `fieldPath`: `spec.containers{tm}` or `spec.initContainers{init}` → the name. */
export function containerOfFieldPath(fieldPath: string | undefined): string | undefined {
  if (!fieldPath) return undefined;
  const m = /^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}/.exec(fieldPath);
  return m?.[1];
}

/**
 * Normalises one Event. core/v1 fields win over their events.k8s.io/v1 counterparts when both are present.
 * Times: last = `series.lastObservedTime` ?? `lastTimestamp` ?? `deprecatedLastTimestamp` ?? `eventTime`
 * ?? `metadata.creationTimestamp`; first = `firstTimestamp` ?? `deprecatedFirstTimestamp` ?? `eventTime` ?? last.
 * Count = `series.count` ?? `count` ?? `deprecatedCount` ?? 1.
 */
export function normalizeEvent(e: EventJson): NormEvent {
  const obj = e.involvedObject ?? e.regarding ?? {};
  const lastMs =
    parseTime(e.series?.lastObservedTime) ??
    parseTime(e.lastTimestamp) ??
    parseTime(e.deprecatedLastTimestamp) ??
    parseTime(e.eventTime) ??
    parseTime(e.metadata?.creationTimestamp);
  const firstMs = parseTime(e.firstTimestamp) ?? parseTime(e.deprecatedFirstTimestamp) ?? parseTime(e.eventTime) ?? lastMs;
  const count = Math.max(1, e.series?.count ?? e.count ?? e.deprecatedCount ?? 1);
  const n: NormEvent = {
    reason: e.reason ?? '',
    message: (e.message ?? e.note ?? '').trim(),
    type: e.type ?? 'Normal',
    count,
    kind: obj.kind ?? '',
    name: obj.name ?? '',
    namespace: obj.namespace ?? e.metadata?.namespace ?? '',
    // events.k8s.io/v1 Events read through core/v1 carry `source: {}` (or an empty component) and
    // `reportingComponent`: an empty string falls through.
    source: e.source?.component || e.reportingComponent || e.reportingController || e.deprecatedSource?.component || '',
  };
  const rel = e.related;
  if (rel?.name) n.related = { kind: rel.kind ?? '', namespace: rel.namespace ?? '', name: rel.name, ...(rel.uid ? { uid: rel.uid } : {}) };
  if (firstMs !== undefined) n.firstMs = firstMs;
  if (lastMs !== undefined) n.lastMs = lastMs;
  if (obj.uid) n.uid = obj.uid;
  if (obj.fieldPath) n.fieldPath = obj.fieldPath;
  const c = containerOfFieldPath(obj.fieldPath);
  if (c) n.container = c;
  return n;
}

/**
 * Extracts the Events from what a user may hand us: an EventList (`{kind:"EventList",items:[…]}`), a plain
 * array, or a single Event. Anything else gives [].
 */
export function eventsFrom(json: unknown): EventJson[] {
  if (Array.isArray(json)) return json.filter((x): x is EventJson => typeof x === 'object' && x !== null);
  if (typeof json === 'object' && json !== null) {
    const o = json as { items?: unknown; reason?: unknown };
    if (Array.isArray(o.items)) return o.items.filter((x): x is EventJson => typeof x === 'object' && x !== null);
    if (typeof o.reason === 'string') return [json as EventJson];
  }
  return [];
}

/** Evidence quoting an Event: ref `Warning FailedScheduling (x12) on Pod/name`, text = the message verbatim. */
export function eventEvidence(e: NormEvent): Evidence {
  const ev: Evidence = {
    source: 'event',
    ref: `${e.type} ${e.reason}${e.count > 1 ? ` (x${e.count})` : ''} on ${e.kind}/${e.name}${e.container ? ` container ${e.container}` : ''}`,
    text: e.message,
  };
  if (e.lastMs !== undefined) ev.at = iso(e.lastMs);
  return ev;
}

/** Newest first by last observation (Events without a time last). */
export function newestFirst(a: NormEvent, b: NormEvent): number {
  return (b.lastMs ?? -Infinity) - (a.lastMs ?? -Infinity);
}
