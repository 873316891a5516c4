import type { KubeObject } from './reflector.ts';

/**
 * A core/v1 Event as plain JSON (`kubectl get events -o json` item shape; fields per the Kubernetes API
 * reference for core/v1 Event, PROTOCOLS.md B4). Only the fields podlog reads are typed.
 */
export interface KubeEvent {
  apiVersion?: string;
  kind?: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; [k: string]: unknown };
  involvedObject: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; fieldPath?: string; [k: string]: unknown };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  [k: string]: unknown;
}

/** True when `o` has the shape of a core/v1 Event (metadata and involvedObject objects). */
export function isKubeEvent(o: unknown): o is KubeEvent {
  const e = o as KubeEvent | null;
  return !!e && typeof e === 'object' && !!e.metadata && typeof e.metadata === 'object'
    && !!e.involvedObject && typeof e.involvedObject === 'object';
}

/**
 * When an Event was last observed, ms since the epoch: `series.lastObservedTime`, else `lastTimestamp`,
 * else `eventTime`, else `firstTimestamp`, else `metadata.creationTimestamp` (the order kubectl's
 * `get events` uses for LAST SEEN). 0 when none parses.
 */
export function eventLastSeenMs(e: KubeEvent): number {
  for (const t of [e.series?.lastObservedTime, e.lastTimestamp, e.eventTime, e.firstTimestamp, e.metadata.creationTimestamp]) {
    if (typeof t === 'string') {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return 0;
}

/** When an Event was first observed (ms): `firstTimestamp`, else `eventTime`, else `creationTimestamp`; 0 when none. */
export function eventFirstSeenMs(e: KubeEvent): number {
  for (const t of [e.firstTimestamp, e.eventTime, e.metadata.creationTimestamp]) {
    if (typeof t === 'string') {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms)) return ms;
    }
  }
  return 0;
}

/** How many times an Event occurred: `series.count`, else `count`, else 1. */
export function eventCount(e: KubeEvent): number {
  return e.series?.count ?? e.count ?? 1;
}

/** Dedup key of an Event: its `metadata.uid`, else `namespace/name` (the API server's identity of the object). */
export function eventKey(e: KubeEvent): string {
  return e.metadata.uid || `${e.metadata.namespace ?? ''}/${e.metadata.name ?? ''}`;
}

/** Drop bulky fields nobody reads (`metadata.managedFields`) so records stay small; returns a copy. */
export function slimObject<T extends KubeObject | KubeEvent>(o: T): T {
  if (!o.metadata || !('managedFields' in o.metadata)) return o;
  const { managedFields: _drop, ...metadata } = o.metadata;
  return { ...o, metadata } as T;
}

/**
 * Merge `incoming` into a timeline: an Event already present (same {@link eventKey}) is replaced, so
 * `count`/`series`/`lastTimestamp` updates of one Event never duplicate it; the result is sorted by last
 * seen (oldest first) and keeps only the newest `max`.
 * @returns the new timeline and whether anything changed
 */
export function mergeEvents(timeline: readonly KubeEvent[], incoming: readonly KubeEvent[], max: number): { events: KubeEvent[]; changed: boolean } {
  let events: KubeEvent[] | undefined;
  for (const raw of incoming) {
    const cur = events ?? timeline;
    const key = eventKey(raw);
    const at = cur.findIndex((e) => eventKey(e) === key);
    const old = at >= 0 ? cur[at] : undefined;
    if (old && old.metadata.resourceVersion !== undefined && old.metadata.resourceVersion === raw.metadata.resourceVersion) continue;
    events ??= [...timeline];
    if (at >= 0) events.splice(at, 1);
    const e = slimObject(raw);
    const t = eventLastSeenMs(e);
    // Binary search for the first element seen later than e: the timeline stays sorted, ties keep arrival order.
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (eventLastSeenMs(events[mid]!) <= t) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  }
  if (!events) return { events: timeline as KubeEvent[], changed: false };
  return { events: events.length > max ? events.slice(events.length - max) : events, changed: true };
}
