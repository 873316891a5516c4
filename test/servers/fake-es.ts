/**
 * A protocol-faithful Elasticsearch test double on a loopback port (PROTOCOLS.md A1–A6), for faults a
 * real server cannot produce on cue: whole-request 429/5xx, per-item 429, mapping errors, dropped
 * connections. It honours what the official client checks: `X-Elastic-Product: Elasticsearch` on every
 * 2xx, the `application/vnd.elasticsearch+json;compatible-with=9` content type, `_bulk` items in request
 * order with `create` → 201 / 409 `version_conflict_engine_exception`, `filter_path` on `_bulk`.
 * Model: elasticsearch-js `test/utils/buildServer.ts`.
 * Run standalone (benchmarks): `node --import tsx test/servers/fake-es.ts [port]` prints `port=<n>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const CT = 'application/vnd.elasticsearch+json;compatible-with=9';

/** A stored document. */
export interface StoredDoc {
  _index: string;
  _id: string;
  source: Record<string, unknown>;
}

/** Per-item fault: return a status (and error type) to fail this item, or undefined to index it. */
export type ItemFault = (action: { _index: string; _id: string }, source: string, seq: number) => { status: number; type: string; reason: string } | undefined;

/** Options of {@link startFakeEs}. */
export interface FakeEsOptions {
  /** Keep and parse sources (needed for search and mapping checks); false for benchmarks. Default true. */
  store?: boolean;
  port?: number;
}

/** The running fake and its knobs. */
export interface FakeEs {
  url: string;
  port: number;
  /** Stored documents by `_id` (when `store`). */
  docs: Map<string, StoredDoc>;
  /** Documents created (201) and duplicates answered (409). */
  created: number;
  conflicts: number;
  /** `_bulk` requests received (including failed ones). */
  bulkRequests: number;
  /** Whole-request failures to serve next, in order (e.g. `{status: 429}`), then normal service. */
  failNext: { status: number; type?: string }[];
  /** While true every connection is destroyed without a response (Elasticsearch down). */
  down: boolean;
  itemFault: ItemFault | undefined;
  /** Index templates by name. */
  templates: Map<string, unknown>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': CT, 'content-length': Buffer.byteLength(text) };
  if (status >= 200 && status < 300) headers['x-elastic-product'] = 'Elasticsearch';
  res.writeHead(status, headers);
  res.end(text);
}

function errorBody(status: number, type: string, reason: string): unknown {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

/** Mapping check like a real template would do: `@timestamp` required, `log.offset` a number. */
function mappingError(src: Record<string, unknown>, id: string): { status: number; type: string; reason: string } | undefined {
  if (typeof src['@timestamp'] !== 'string') {
    return { status: 400, type: 'document_parsing_exception', reason: '[1:2] failed to parse: data stream timestamp field [@timestamp] is missing' };
  }
  const off = (src.log as { offset?: unknown } | undefined)?.offset;
  if (off !== undefined && typeof off !== 'number') {
    return { status: 400, type: 'document_parsing_exception', reason: `[1:15] failed to parse field [log.offset] of type [long] in document with id '${id}'. Preview of field's value: '${String(off)}'` };
  }
  return undefined;
}

function get(src: Record<string, unknown>, path: string): unknown {
  if (path in src) return src[path];
  let cur: unknown = src;
  for (const k of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[k];
  return cur;
}

/** Evaluate the small query subset podlog's search sends (bool/filter term, range, simple_query_string). */
function matches(src: Record<string, unknown>, q: Record<string, unknown> | undefined): boolean {
  if (!q || 'match_all' in q) return true;
  if ('bool' in q) {
    const b = q.bool as Record<string, unknown[] | undefined>;
    return [...(b.filter ?? []), ...(b.must ?? [])].every((c) => matches(src, c as Record<string, unknown>));
  }
  if ('term' in q) {
    const [f, v] = Object.entries(q.term as Record<string, unknown>)[0]!;
    const want = typeof v === 'object' && v !== null ? (v as { value: unknown }).value : v;
    return get(src, f) === want;
  }
  if ('terms' in q) {
    const [f, vs] = Object.entries(q.terms as Record<string, unknown[]>)[0]!;
    return vs.includes(get(src, f));
  }
  if ('range' in q) {
    const [f, r] = Object.entries(q.range as Record<string, { gte?: string; lte?: string }>)[0]!;
    const t = Date.parse(String(get(src, f)));
    return (r.gte === undefined || t >= Date.parse(r.gte)) && (r.lte === undefined || t <= Date.parse(r.lte));
  }
  if ('simple_query_string' in q) {
    const words = String((q.simple_query_string as { query: string }).query).toLowerCase().split(/\s+/).filter(Boolean);
    const text = `${String(get(src, 'message') ?? '')}\n${String(get(src, 'error.stack_trace') ?? '')}`.toLowerCase();
    return words.every((w) => text.includes(w));
  }
  return false;
}

/** Start the fake on 127.0.0.1 (port 0 unless given). */
export async function startFakeEs(opts: FakeEsOptions = {}): Promise<FakeEs> {
  const keep = opts.store !== false;
  const ids = new Set<string>();
  const sockets = new Set<Socket>();
  let seq = 0;
  const state: Omit<FakeEs, 'url' | 'port' | 'close'> = {
    docs: new Map(), created: 0, conflicts: 0, bulkRequests: 0, failNext: [], down: false, itemFault: undefined, templates: new Map(),
  };

  function bulk(req: IncomingMessage, res: ServerResponse, body: string, url: URL): void {
    state.bulkRequests++;
    const fail = state.failNext.shift();
    if (fail) return send(res, fail.status, errorBody(fail.status, fail.type ?? (fail.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception'), 'injected failure'));
    const filtered = url.searchParams.has('filter_path');
    const pathIndex = decodeURIComponent(url.pathname.split('/')[1] ?? '');
    const items: unknown[] = [];
    let errors = false;
    let start = 0;
    while (start < body.length) {
      if (body.charCodeAt(start) === 10 || body.charCodeAt(start) === 13) {
        start++; // empty lines between items are skipped, as Elasticsearch does
        continue;
      }
      const nl1 = body.indexOf('\n', start);
      if (nl1 < 0) break;
      const nl2 = body.indexOf('\n', nl1 + 1);
      const actionLine = body.slice(start, nl1);
      const sourceLine = body.slice(nl1 + 1, nl2 < 0 ? body.length : nl2);
      start = nl2 < 0 ? body.length : nl2 + 1;
      const action = JSON.parse(actionLine) as Record<string, { _index?: string; _id?: string }>;
      const op = Object.keys(action)[0] ?? 'create';
      const meta = action[op] ?? {};
      const _index = meta._index ?? pathIndex;
      const n = seq++;
      const _id = meta._id ?? `auto-${n}`;
      let item: Record<string, unknown>;
      const fault = state.itemFault?.({ _index, _id }, sourceLine, n);
      let source: Record<string, unknown> | undefined;
      let mapErr: ReturnType<typeof mappingError>;
      if (!fault && keep) {
        source = JSON.parse(sourceLine) as Record<string, unknown>;
        mapErr = mappingError(source, _id);
      }
      const err = fault ?? mapErr;
      if (err) {
        errors = true;
        item = { _index, _id, status: err.status, error: { type: err.type, reason: err.reason } };
      } else if (op !== 'create' && _index.startsWith('logs-')) {
        errors = true;
        item = { _index, _id, status: 400, error: { type: 'illegal_argument_exception', reason: 'only write ops with an op_type of create are allowed in data streams' } };
      } else if (ids.has(_id)) {
        errors = true;
        state.conflicts++;
        item = { _index, _id, status: 409, error: { type: 'version_conflict_engine_exception', reason: `[${_id}]: version conflict, document already exists (current version [1])` } };
      } else {
        ids.add(_id);
        state.created++;
        if (keep && source) state.docs.set(_id, { _index, _id, source });
        item = { _index, _id, _version: 1, result: 'created', status: 201 };
      }
      if (filtered) {
        const f: Record<string, unknown> = { status: item.status };
        if (item.error) f.error = item.error;
        items.push({ [op]: f });
      } else items.push({ [op]: item });
    }
    send(res, 200, { errors, took: 1, items });
  }

  function search(res: ServerResponse, index: string, body: string): void {
    const q = body
      ? (JSON.parse(body) as { query?: Record<string, unknown>; size?: number; from?: number; aggs?: Record<string, { terms?: { field: string } }> })
      : {};
    const prefix = index.replace(/\*.*$/, '');
    const hits = [...state.docs.values()]
      .filter((d) => (index.includes('*') ? d._index.startsWith(prefix) : d._index === index) && matches(d.source, q.query))
      .sort((a, b) => String(b.source['@timestamp']).localeCompare(String(a.source['@timestamp'])));
    const from = q.from ?? 0;
    const page = hits.slice(from, from + (q.size ?? 10));
    const aggregations: Record<string, unknown> = {};
    for (const [name, a] of Object.entries(q.aggs ?? {})) {
      const counts = new Map<unknown, number>();
      for (const d of hits) if (a.terms) counts.set(get(d.source, a.terms.field), (counts.get(get(d.source, a.terms.field)) ?? 0) + 1);
      aggregations[name] = { buckets: [...counts].map(([key, doc_count]) => ({ key, doc_count })) };
    }
    send(res, 200, {
      took: 1, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 }, ...(q.aggs ? { aggregations } : {}),
      hits: {
        total: { value: hits.length, relation: 'eq' }, max_score: null,
        hits: page.map((d) => ({ _index: `.ds-${d._index}-000001`, _id: d._id, _score: null, _source: d.source, sort: [Date.parse(String(d.source['@timestamp']))] })),
      },
    });
  }

  const server: Server = createServer((req, res) => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://x');
      const parts = url.pathname.split('/').filter(Boolean);
      const last = parts[parts.length - 1];
      try {
        if (last === '_bulk' && req.method === 'POST') return bulk(req, res, body, url);
        if (parts[0] === '_index_template' && parts[1]) {
          if (req.method === 'PUT') {
            state.templates.set(parts[1], JSON.parse(body));
            return send(res, 200, { acknowledged: true });
          }
          if (req.method === 'HEAD') return send(res, state.templates.has(parts[1]) ? 200 : 404, '');
        }
        if (last === '_search') return search(res, decodeURIComponent(parts[0] ?? '_all'), body);
        if (last === '_refresh') return send(res, 200, { _shards: { total: 1, successful: 1, failed: 0 } });
        if (last === '_count') return send(res, 200, { count: keep ? state.docs.size : state.created, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } });
        if (parts.length === 0) return send(res, 200, { name: 'fake', cluster_name: 'fake', version: { number: '9.4.3' }, tagline: 'You Know, for Search' });
        send(res, 404, errorBody(404, 'resource_not_found_exception', `no handler for ${req.method} ${url.pathname}`));
      } catch (e) {
        send(res, 400, errorBody(400, 'parse_exception', (e as Error).message));
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  }) as FakeEs;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const fake = await startFakeEs({ store: false, port: Number(process.argv[2] ?? 0) });
  process.stdout.write(`port=${fake.port}\n`);
}
