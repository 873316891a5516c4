import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ERROR_CODES } from '../errors.ts';

/**
 * The agent's Prometheus metrics (prom-client), all prefixed `podlog_`. Label values come from
 * bounded sets (error codes, route names), never from raw messages or paths.
 */
export interface Metrics {
  readonly registry: Registry;
  /** Bytes sent to clients from log files (raw, tail, lines, download), bytes. */
  readonly bytesServed: Counter<string>;
  /** Bytes read by searches, bytes. */
  readonly searchBytesScanned: Counter<string>;
  /** Searches finished, by how they ended (`done|limit|budget|deadline|aborted`). */
  readonly searches: Counter<'outcome'>;
  /** Follow (SSE) streams open now. */
  readonly followClients: Gauge<string>;
  /** Error responses by `PODLOG_E_*` code. */
  readonly errors: Counter<'code'>;
  /** Responses closed before their end, by route template: the client hung up or reset (every follow ends so), or a stream broke mid-way. */
  readonly abortedResponses: Counter<'route'>;
  /** Follow (SSE) streams paused now because their client is not reading (back-pressure). */
  readonly followStalled: Gauge<string>;
  /** HTTP request duration by route template and status class, seconds. */
  readonly httpDuration: Histogram<'route' | 'status'>;
}

/**
 * Create the metrics in a fresh registry (one per agent, so tests can build several).
 * @param collect callbacks run at scrape time to refresh gauges (e.g. catalog counts)
 */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'podlog_' });
  const errors = new Counter({ name: 'podlog_errors_total', help: 'Error responses by podlog error code.', labelNames: ['code'], registers: [registry] });
  for (const code of Object.keys(ERROR_CODES)) errors.inc({ code }, 0);
  return {
    registry,
    bytesServed: new Counter({ name: 'podlog_bytes_served_total', help: 'Bytes of log files sent to clients.', registers: [registry] }),
    searchBytesScanned: new Counter({ name: 'podlog_search_bytes_scanned_total', help: 'Bytes read by searches.', registers: [registry] }),
    searches: new Counter({ name: 'podlog_searches_total', help: 'Searches finished, by outcome.', labelNames: ['outcome'], registers: [registry] }),
    followClients: new Gauge({ name: 'podlog_follow_clients', help: 'Follow (SSE) streams open now.', registers: [registry] }),
    errors,
    abortedResponses: new Counter({ name: 'podlog_http_aborted_responses_total', help: 'Responses closed before their end (client hung up or reset, or a stream broke mid-way), by route template.', labelNames: ['route'], registers: [registry] }),
    followStalled: new Gauge({ name: 'podlog_follow_stalled_clients', help: 'Follow streams paused because their client is not reading.', registers: [registry] }),
    httpDuration: new Histogram({
      name: 'podlog_http_request_duration_seconds',
      help: 'HTTP request duration by route template and status class.',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60],
      registers: [registry],
    }),
  };
}

/**
 * Register a gauge whose value is computed at scrape time.
 * @param read returns the current value
 */
export function scrapeGauge(metrics: Metrics, name: string, help: string, read: () => number): void {
  new Gauge({ name, help, registers: [metrics.registry], collect() { this.set(read()); } });
}
