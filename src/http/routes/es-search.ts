/**
 * `GET /es/search` (mounted under `/api/v1`): search the priority jobs' logs shipped to
 * Elasticsearch, across the cluster. Every hit links back to the node-local file at its `log.offset`,
 * so the viewer can open the full context (unshipped neighbours too).
 */
import type { Client } from '@elastic/elasticsearch';
import { Router, type Request } from 'express';
import { assertCan, namespaceFilter } from '../../auth/middleware.ts';
import { PodlogError } from '../../errors.ts';
import { queryInt, queryString } from '../params.ts';
import type { ShipConfig } from '../../ship/config.ts';

/** What the router needs. */
export interface EsSearchDeps {
  config: ShipConfig;
  /** The agent's Elasticsearch client (built in `main.ts`); undefined when shipping is not configured. */
  client?: Client;
  /** Authorization seams (default: src/auth/middleware.ts `assertCan` / `namespaceFilter` with verb `read`). */
  assertRead?: (req: Request, namespace: string) => Promise<void>;
  readableFilter?: (req: Request, namespaces: string[]) => Promise<(ns: string) => boolean>;
}

/** One search hit as returned by the API. */
export interface EsHit {
  id: string;
  '@timestamp': string;
  message: string;
  log: { level?: string; logger?: string; file: { path: string }; offset: number };
  error?: { stack_trace?: string };
  kubernetes: { namespace: string; pod: { name: string; uid: string }; container: { name: string } };
  host?: { name?: string };
  job?: string;
  /** API link to the node-local file at the record's offset (the file lives on node `host.name`). */
  link: string;
}

interface Source {
  '@timestamp': string;
  message?: string;
  log?: { level?: string; logger?: string; file?: { path?: string }; offset?: number };
  error?: { stack_trace?: string };
  kubernetes?: { namespace?: string; pod?: { name?: string; uid?: string }; container?: { name?: string } };
  host?: { name?: string };
  flink?: { job?: { id?: string } };
}

const MAX_SIZE = 500;

function time(name: string, v: string | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new PodlogError('PODLOG_E_BAD_PARAM', `${name} must be an ISO 8601 time or epoch milliseconds`);
  return new Date(ms).toISOString();
}

/** The viewer API link: `/api/v1/namespaces/{ns}/pods/{pod}/containers/{c}/files/{file}?uid=&offset=`. */
export function fileLink(ns: string, pod: string, container: string, path: string, uid: string, offset: number): string {
  const file = path.slice(path.lastIndexOf('/') + 1);
  const e = encodeURIComponent;
  return `/api/v1/namespaces/${e(ns)}/pods/${e(pod)}/containers/${e(container)}/files/${e(file)}?uid=${e(uid)}&offset=${offset}`;
}

function toHit(id: string, s: Source): EsHit {
  const k = s.kubernetes ?? {};
  const ns = k.namespace ?? '';
  const pod = k.pod?.name ?? '';
  const uid = k.pod?.uid ?? '';
  const container = k.container?.name ?? '';
  const path = s.log?.file?.path ?? '';
  const offset = s.log?.offset ?? 0;
  const hit: EsHit = {
    id, '@timestamp': s['@timestamp'], message: s.message ?? '',
    log: { file: { path }, offset, ...(s.log?.level ? { level: s.log.level } : {}), ...(s.log?.logger ? { logger: s.log.logger } : {}) },
    kubernetes: { namespace: ns, pod: { name: pod, uid }, container: { name: container } },
    link: fileLink(ns, pod, container, path, uid, offset),
  };
  if (s.error?.stack_trace) hit.error = { stack_trace: s.error.stack_trace };
  if (s.host?.name) hit.host = { name: s.host.name };
  if (s.flink?.job?.id) hit.job = s.flink.job.id;
  return hit;
}

/**
 * `GET /es/search?q=&job=&namespace=&pod=&from=&to=&size=&after=` →
 * `{"total","relation","hits":[EsHit…],"next"?}`, newest first. `q` is an Elasticsearch
 * `simple_query_string` over `message` and `error.stack_trace`; `from`/`to` are ISO 8601 or epoch ms;
 * `size` ≤ 500 (default 50); `next` is an opaque cursor for `after`. Only namespaces the caller may
 * read are searched.
 * @throws PodlogError `PODLOG_E_UNAVAILABLE` when no Elasticsearch is configured, `PODLOG_E_BAD_PARAM`,
 *   `PODLOG_E_FORBIDDEN` (namespace not readable), `PODLOG_E_UPSTREAM` when Elasticsearch fails
 */
export function esSearchRouter(deps: EsSearchDeps): Router {
  const r = Router();
  const cfg = deps.config;
  const assertRead = deps.assertRead ?? ((req: Request, ns: string) => assertCan(req, 'read', ns));
  const readable = deps.readableFilter ?? ((req: Request, nss: string[]) => namespaceFilter(req, nss, 'read'));
  const index = cfg.dataStream.replaceAll('{namespace}', '*');

  r.get('/es/search', async (req, res) => {
    const es = deps.client;
    if (!es) throw new PodlogError('PODLOG_E_UNAVAILABLE', 'Elasticsearch is not configured on this agent (ship.esUrl / --es-url)');
    const q = queryString(req.query.q);
    const job = queryString(req.query.job);
    const namespace = queryString(req.query.namespace);
    const pod = queryString(req.query.pod);
    const from = time('from', queryString(req.query.from));
    const to = time('to', queryString(req.query.to));
    const size = queryInt('size', req.query.size, MAX_SIZE) ?? 50;
    const afterRaw = queryString(req.query.after);
    let after: unknown[] | undefined;
    if (afterRaw) {
      try {
        after = JSON.parse(Buffer.from(afterRaw, 'base64url').toString('utf8')) as unknown[];
        if (!Array.isArray(after)) throw new Error('not an array');
      } catch {
        throw new PodlogError('PODLOG_E_BAD_PARAM', 'after must be the next cursor of a previous response');
      }
    }
    const filter: Record<string, unknown>[] = [];
    if (namespace) {
      await assertRead(req, namespace);
      filter.push({ term: { 'kubernetes.namespace': namespace } });
    }
    if (pod) filter.push({ term: { 'kubernetes.pod.name': pod } });
    if (job) filter.push({ term: { 'flink.job.id': job } });
    if (from || to) filter.push({ range: { '@timestamp': { ...(from ? { gte: from } : {}), ...(to ? { lte: to } : {}) } } });
    const must = q ? [{ simple_query_string: { query: q, fields: ['message', 'error.stack_trace'], default_operator: 'and' as const } }] : [];
    try {
      if (!namespace) {
        const agg = await es.search({ index, size: 0, aggs: { ns: { terms: { field: 'kubernetes.namespace', size: 10_000 } } }, allow_no_indices: true, ignore_unavailable: true });
        const all = ((agg.aggregations?.ns as { buckets?: { key: string }[] } | undefined)?.buckets ?? []).map((b) => String(b.key));
        const ok = await readable(req, all);
        const allowed = all.filter(ok);
        if (allowed.length < all.length) filter.push({ terms: { 'kubernetes.namespace': allowed } });
      }
      const resp = await es.search<Source>({
        index, size, query: { bool: { filter, must } }, sort: [{ '@timestamp': 'desc' }, { 'log.offset': 'desc' }],
        track_total_hits: true, allow_no_indices: true, ignore_unavailable: true, ...(after ? { search_after: after as never } : {}),
      });
      const hits = resp.hits.hits.filter((h) => h._source).map((h) => toHit(h._id ?? '', h._source!));
      const total = resp.hits.total;
      const last = resp.hits.hits[resp.hits.hits.length - 1];
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        total: typeof total === 'number' ? total : (total?.value ?? hits.length),
        relation: typeof total === 'number' ? 'eq' : (total?.relation ?? 'eq'),
        hits,
        ...(hits.length === size && last?.sort ? { next: Buffer.from(JSON.stringify(last.sort)).toString('base64url') } : {}),
      });
    } catch (e) {
      if (e instanceof PodlogError) throw e;
      // a ResponseError of the client carries the HTTP status; connection errors do not
      const status = (e as { statusCode?: unknown }).statusCode;
      const why = typeof status === 'number' ? `Elasticsearch answered ${status}` : `Elasticsearch unreachable: ${(e as Error).message}`;
      throw new PodlogError('PODLOG_E_UPSTREAM', why, { cause: e });
    }
  });
  return r;
}
