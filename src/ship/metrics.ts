/**
 * Prometheus metrics of the shipper, all prefixed `podlog_ship_`. Label values come from bounded
 * sets; the lag gauges carry `namespace` and `pod` (never a file path) and are computed at scrape time
 * from the harvesters running then, so a pod's series exists exactly while one of its files ships.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Outcome of one document attempt (bounded label set). */
export type DocResult = 'shipped' | 'duplicate' | 'retried' | 'failed' | 'dead_lettered';

/** The lag of one harvested file, as {@link ShipMetricsSources.lag} reports it. */
export interface FileLag {
  namespace: string;
  pod: string;
  /** Bytes written but not yet acknowledged. */
  bytes: number;
  /** Seconds since the oldest unacknowledged byte was first seen (0 when caught up). */
  seconds: number;
}

/** Where the scrape-time gauges read from. */
export interface ShipMetricsSources {
  /** The lag of every file being harvested now. */
  lag: () => Iterable<FileLag>;
}

/** The shipper's metric handles. */
export interface ShipMetrics {
  /** Documents by result: shipped (201), duplicate (409 on replay, counted as shipped too), retried, failed, dead_lettered. */
  docs: Counter<'result'>;
  /** Bulk requests by outcome: ok, retry (whole request failed: connection, 429, 5xx, timeout). */
  requests: Counter<'outcome'>;
  /** Bulk request latency, seconds. */
  latency: Histogram<string>;
  /** Bytes written but not yet acknowledged, summed over a pod's shipped files (set at scrape time). */
  lagBytes: Gauge<'namespace' | 'pod'>;
  /** Seconds since the oldest unacknowledged byte of a pod's shipped files was first seen (0 when caught up; set at scrape time). */
  lagSeconds: Gauge<'namespace' | 'pod'>;
  /** Document bytes held in memory (queued + in flight). */
  inFlightBytes: Gauge<string>;
  /** Files being harvested. */
  harvesters: Gauge<string>;
}

/** Create and register the metrics on `registry`; the lag gauges read `sources.lag()` on every scrape. */
export function shipMetrics(registry: Registry, sources: ShipMetricsSources): ShipMetrics {
  const registers = [registry];
  const labelNames = ['namespace', 'pod'] as const;
  return {
    docs: new Counter({ name: 'podlog_ship_documents_total', help: 'Documents by result.', labelNames: ['result'], registers }),
    requests: new Counter({ name: 'podlog_ship_bulk_requests_total', help: 'Bulk requests by outcome.', labelNames: ['outcome'], registers }),
    latency: new Histogram({
      name: 'podlog_ship_bulk_duration_seconds', help: 'Bulk request latency.', registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    lagBytes: new Gauge({
      name: 'podlog_ship_lag_bytes', help: 'Unshipped bytes of the files being shipped, per pod.', labelNames, registers,
      collect() {
        this.reset();
        for (const f of sources.lag()) this.inc({ namespace: f.namespace, pod: f.pod }, f.bytes);
      },
    }),
    lagSeconds: new Gauge({
      name: 'podlog_ship_lag_seconds', help: 'Age of the oldest unshipped bytes of the files being shipped, per pod.', labelNames, registers,
      collect() {
        this.reset();
        const oldest = new Map<string, FileLag>();
        for (const f of sources.lag()) {
          const key = `${f.namespace}/${f.pod}`;
          const seen = oldest.get(key);
          if (!seen || f.seconds > seen.seconds) oldest.set(key, f);
        }
        for (const f of oldest.values()) this.set({ namespace: f.namespace, pod: f.pod }, f.seconds);
      },
    }),
    inFlightBytes: new Gauge({ name: 'podlog_ship_in_flight_bytes', help: 'Document bytes queued or in flight.', registers }),
    harvesters: new Gauge({ name: 'podlog_ship_harvesters', help: 'Files being harvested.', registers }),
  };
}
