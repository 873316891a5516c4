/**
 * Prometheus metrics of the shipper, all prefixed `podlog_ship_`. Label values come from bounded
 * sets; the per-file lag gauges carry a `file` label (`<namespace>/<pod>/<container>/<file>`) only
 * while that file is being shipped, and the series is removed when its harvester ends.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Outcome of one document attempt (bounded label set). */
export type DocResult = 'shipped' | 'duplicate' | 'retried' | 'failed' | 'dead_lettered';

/** The shipper's metric handles. */
export interface ShipMetrics {
  /** Documents by result: shipped (201), duplicate (409 on replay, counted as shipped too), retried, failed, dead_lettered. */
  docs: Counter<'result'>;
  /** Bulk requests by outcome: ok, retry (whole request failed: connection, 429, 5xx, timeout). */
  requests: Counter<'outcome'>;
  /** Bulk request latency, seconds. */
  latency: Histogram<string>;
  /** Bytes written but not yet acknowledged, per shipped file. */
  lagBytes: Gauge<'file'>;
  /** Seconds since the oldest unacknowledged byte was first seen, per shipped file (0 when caught up). */
  lagSeconds: Gauge<'file'>;
  /** Document bytes held in memory (queued + in flight). */
  inFlightBytes: Gauge<string>;
  /** Files being harvested. */
  harvesters: Gauge<string>;
}

/** Create and register the metrics on `registry`. */
export function shipMetrics(registry: Registry): ShipMetrics {
  const registers = [registry];
  return {
    docs: new Counter({ name: 'podlog_ship_documents_total', help: 'Documents by result.', labelNames: ['result'], registers }),
    requests: new Counter({ name: 'podlog_ship_bulk_requests_total', help: 'Bulk requests by outcome.', labelNames: ['outcome'], registers }),
    latency: new Histogram({
      name: 'podlog_ship_bulk_duration_seconds', help: 'Bulk request latency.', registers,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    }),
    lagBytes: new Gauge({ name: 'podlog_ship_lag_bytes', help: 'Unshipped bytes per shipped file.', labelNames: ['file'], registers }),
    lagSeconds: new Gauge({ name: 'podlog_ship_lag_seconds', help: 'Age of the oldest unshipped bytes per shipped file.', labelNames: ['file'], registers }),
    inFlightBytes: new Gauge({ name: 'podlog_ship_in_flight_bytes', help: 'Document bytes queued or in flight.', registers }),
    harvesters: new Gauge({ name: 'podlog_ship_harvesters', help: 'Files being harvested.', registers }),
  };
}
