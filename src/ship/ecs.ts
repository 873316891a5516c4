/**
 * ECS documents for shipped records. Field names follow ECS (`@timestamp`, `message`, `log.*`,
 * `error.stack_trace`, `host.name`, `orchestrator.*`, `event.dataset`, `data_stream.*`) and the
 * Beats Kubernetes conventions (`kubernetes.namespace`, `kubernetes.pod.name|uid`,
 * `kubernetes.container.name`, `kubernetes.labels.*` with dots replaced by `_`).
 * Source: https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html and PROTOCOLS.md A7.
 * The Flink job id, which ECS has no field for, goes to the custom field `flink.job.id`.
 */
import type { ParsedRecord } from './log4j.ts';

/** The constant part of every document from one file. */
export interface FileContext {
  hostName: string;
  namespace: string;
  podName: string;
  podUid: string;
  container: string;
  /** The file's path on the node. */
  path: string;
  labels: Record<string, string>;
  jobId?: string;
  /** Data stream name (`<type>-<dataset>-<namespace>`). */
  dataStream: string;
}

/**
 * Data stream name for a Kubernetes namespace from a pattern such as `logs-podlog.flink-{namespace}`.
 * Data stream namespaces may not contain `-` and must be lowercase (Elastic data stream naming
 * scheme), so `flink-prod` becomes `flink_prod`.
 */
export function dataStreamName(pattern: string, namespace: string): string {
  return pattern.replaceAll('{namespace}', namespace.toLowerCase().replaceAll('-', '_'));
}

/** Split a data stream name into its `type`, `dataset`, `namespace` parts (first and last `-`). */
export function dataStreamParts(name: string): { type: string; dataset: string; namespace: string } {
  const a = name.indexOf('-');
  const b = name.lastIndexOf('-');
  if (a < 0 || b <= a) return { type: 'logs', dataset: name, namespace: 'default' };
  return { type: name.slice(0, a), dataset: name.slice(a + 1, b), namespace: name.slice(b + 1) };
}

/**
 * Serialize the per-file constant fields once, as a JSON object body without braces, so each
 * document is built by string concatenation (the hot path; see bench/ship.ts).
 */
export function staticFields(ctx: FileContext): string {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.labels)) labels[k.replaceAll('.', '_')] = v;
  const ds = dataStreamParts(ctx.dataStream);
  const fixed: Record<string, unknown> = {
    host: { name: ctx.hostName },
    kubernetes: {
      namespace: ctx.namespace,
      pod: { name: ctx.podName, uid: ctx.podUid },
      container: { name: ctx.container },
      labels,
    },
    orchestrator: { type: 'kubernetes', namespace: ctx.namespace, resource: { type: 'pod', name: ctx.podName } },
    event: { dataset: ds.dataset },
    data_stream: ds,
  };
  if (ctx.jobId !== undefined) fixed.flink = { job: { id: ctx.jobId } };
  return JSON.stringify(fixed).slice(1, -1);
}

let isoSecond = NaN;
let isoPrefix = '';

/** `Date#toISOString`, with the part up to the second cached (records of one second share it). */
export function isoTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) {
    isoSecond = sec;
    isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - sec * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/**
 * Build one document as a JSON string.
 * @param rec parsed record; `rec.timeMs` undefined → `fallbackMs` is used for `@timestamp`
 * @param offset byte offset of the record's first line in the file (`log.offset`)
 * @param pathJson the file's path on the node (`log.file.path`), already JSON-encoded (with quotes)
 * @param fixed output of {@link staticFields} for the file
 */
export function buildDoc(rec: ParsedRecord, offset: number, fallbackMs: number, pathJson: string, fixed: string): string {
  const ts = isoTime(rec.timeMs ?? fallbackMs);
  let log = `"log":{"file":{"path":${pathJson}},"offset":${offset}`;
  if (rec.level !== undefined) log += `,"level":${JSON.stringify(rec.level)}`;
  if (rec.logger !== undefined) log += `,"logger":${JSON.stringify(rec.logger)}`;
  log += '}';
  let doc = `{"@timestamp":"${ts}","message":${JSON.stringify(rec.message)},${log}`;
  if (rec.stackTrace !== undefined) doc += `,"error":{"stack_trace":${JSON.stringify(rec.stackTrace)}}`;
  return `${doc},${fixed}}`;
}

/**
 * The index template podlog installs at start (`PUT _index_template/<name>`): a data stream
 * template for the pattern with `{namespace}` → `*`, priority 501 so it wins over the built-in
 * `logs-*-*` template (priority 100; PROTOCOLS.md A5).
 */
export function indexTemplate(pattern: string, analyzer: 'pattern' | 'standard' = 'pattern'): Record<string, unknown> {
  const kw = { type: 'keyword', ignore_above: 1024 };
  // the built-in `pattern` analyzer (module analysis-common) splits on non-word characters, so
  // `java.net.UnknownHostException` is found by `UnknownHostException`; the standard analyzer keeps
  // dotted names as one token but exists in every distribution (the integ-test-zip has no analysis-common)
  const text = analyzer === 'pattern' ? { type: 'text', analyzer: 'pattern' } : { type: 'text' };
  return {
    index_patterns: [pattern.replaceAll('{namespace}', '*')],
    data_stream: {},
    priority: 501,
    _meta: { managed_by: 'podlog' },
    template: {
      settings: { number_of_replicas: 0 },
      mappings: {
        dynamic_templates: [{ labels: { path_match: 'kubernetes.labels.*', mapping: kw } }],
        properties: {
          '@timestamp': { type: 'date' },
          message: text,
          log: {
            properties: {
              level: kw, logger: kw, offset: { type: 'long' }, file: { properties: { path: kw } },
            },
          },
          error: { properties: { stack_trace: text } },
          host: { properties: { name: kw } },
          kubernetes: {
            properties: {
              namespace: kw,
              pod: { properties: { name: kw, uid: kw } },
              container: { properties: { name: kw } },
              labels: { type: 'object', dynamic: true },
            },
          },
          orchestrator: {
            properties: { type: kw, namespace: kw, resource: { properties: { type: kw, name: kw } } },
          },
          event: { properties: { dataset: kw } },
          data_stream: {
            properties: { type: kw, dataset: kw, namespace: kw },
          },
          flink: { properties: { job: { properties: { id: kw } } } },
        },
      },
    },
  };
}
