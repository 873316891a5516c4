import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReflectorObserver } from './reflector.ts';

/**
 * Prometheus metrics of the cluster link. Label values come from bounded sets: `watch` is one of the
 * reflector names (`pods`, `events`, `pending-pods`, `owner-events`), `reason` a `WatchEnd` or `list-error`,
 * `type` a watch event type.
 */
export interface KubeMetrics extends ReflectorObserver {
  /** Set the number of records held (pods / owners). */
  setRecords(kind: 'pods' | 'owners', n: number): void;
  /** Set 1 while this agent holds the Lease. */
  setLeader(leader: boolean): void;
}

/** Register the metrics on `registry` and return the observer the reflectors call. */
export function createKubeMetrics(registry: Registry): KubeMetrics {
  const relists = new Counter({ name: 'podlog_kube_relists_total', help: 'Complete lists of a watched collection', labelNames: ['watch'], registers: [registry] });
  const events = new Counter({ name: 'podlog_kube_watch_events_total', help: 'Watch events received', labelNames: ['watch', 'type'], registers: [registry] });
  const restarts = new Counter({ name: 'podlog_kube_watch_restarts_total', help: 'Watch or list restarts by reason', labelNames: ['watch', 'reason'], registers: [registry] });
  const connected = new Gauge({ name: 'podlog_kube_connected', help: '1 while the watch is connected', labelNames: ['watch'], registers: [registry] });
  const records = new Gauge({ name: 'podlog_kube_records', help: 'Records held in memory and on disk', labelNames: ['kind'], registers: [registry] });
  const leader = new Gauge({ name: 'podlog_kube_lease_leader', help: '1 while this agent holds the Lease', registers: [registry] });
  return {
    relisted: (watch) => relists.inc({ watch }),
    event: (watch, type) => events.inc({ watch, type }),
    restarted: (watch, reason) => restarts.inc({ watch, reason }),
    connected: (watch, up) => connected.set({ watch }, up ? 1 : 0),
    setRecords: (kind, n) => records.set({ kind }, n),
    setLeader: (v) => leader.set(v ? 1 : 0),
  };
}
