import { Router } from 'express';
import { jobFromPodName } from '../../kube/flink-names.ts';
import { assertCan, namespaceFilter } from '../../auth/middleware.ts';
import { compileMatcher } from '../../logfile/search.ts';
import { checkQuery, searchNode, searchNodeInWorkers, type SearchHit } from '../../search/node-search.ts';
import { SearchPool } from '../../search/pool.ts';
import { SearchGate } from '../../search/gate.ts';
import { NdjsonSink } from '../../search/ndjson-sink.ts';
import { ripgrepArgs, ripgrepRefuses } from '../../search/ripgrep.ts';
import { searchNodeWithRipgrep } from '../../search/rg-search.ts';
import { toPodlogError, type ErrorBody } from '../errors.ts';
import type { AppDeps } from '../app.ts';
import type { PodEntry } from '../../store/types.ts';
import { queryBool, queryInt, queryString } from '../params.ts';

/**
 * `GET /search?q=&regex=true|false&case=true|false&namespace=&job=&pod=&uid=&container=&file=&limit=` →
 * `application/x-ndjson`: one {@link SearchHit} per line as found, then one summary line
 * `{"done":true,"stopped_by","bytes_scanned","files_searched","files_skipped","matches"}`, with `partial: true` when
 * the catalog's first scan was still running (files not found yet were not searched), or, when the
 * search fails after the first bytes went out, one `{"error":{"code","message"}}` line instead.
 * Regexes use RE2 syntax (linear time). Bounded by `search.byteBudget` and `search.deadlineMs`;
 * cancelled when the client disconnects. Hits go out in batches (ndjson-sink.ts) and the scan pauses
 * while the client does not read, so one search holds a bounded buffer however many lines match.
 * Files are scanned by ripgrep when the agent found it at start (`search.engine`, rg-search.ts) and the query
 * has an exact Rust-regex equivalent, else on `search.workers` worker threads, several files of one search at once.
 * At most `search.maxConcurrent` searches run at once; up to `search.maxQueued` more wait at most
 * `search.queueWaitMs`; beyond that: 429 `PODLOG_E_RATE_LIMITED` with `Retry-After`.
 */
export function searchRoutes(deps: AppDeps): Router {
  const r = Router();
  const cfg = deps.config.search;
  const gate = new SearchGate({ maxConcurrent: cfg.maxConcurrent, maxQueued: cfg.maxQueued, queueWaitMs: cfg.queueWaitMs });
  // scanning runs on worker threads (never on the event loop); they start on the first search and exit when idle
  const pool = cfg.workers > 0 ? new SearchPool(deps.logger, cfg.workers) : undefined;

  r.get('/search', async (req, res) => {
    const q = checkQuery(queryString(req.query.q));
    const regex = queryBool('regex', req.query.regex) ?? false;
    const caseSensitive = queryBool('case', req.query.case) ?? true;
    const limit = queryInt('limit', req.query.limit, cfg.maxLimit) ?? cfg.defaultLimit;
    const matcher = compileMatcher(q, { regex, caseInsensitive: !caseSensitive });
    const query = { q, regex, ci: !caseSensitive };
    // ripgrep when installed and able to run the query exactly as RE2 would (else the built-in engine)
    let rgArgs = deps.ripgrep ? ripgrepArgs(query) : null;
    const refused = deps.ripgrep && rgArgs ? await ripgrepRefuses(deps.ripgrep, rgArgs) : null;
    if (refused) {
      deps.logger.info({ reqId: req.id, reason: refused }, 'search: ripgrep refuses the pattern; the built-in engine runs it');
      rgArgs = null;
    }
    const partial = deps.catalog.scanning;
    const readable = await namespaceFilter(req, deps.catalog.pods().map((p) => p.namespace), 'read');
    const job = queryString(req.query.job) || undefined;
    const jobIdOf = (p: PodEntry) => (deps.recordOf?.(p)?.job as string | undefined) ?? jobFromPodName(p.name)?.clusterId;
    const scope = {
      namespace: queryString(req.query.namespace) || undefined,
      pod: queryString(req.query.pod) || undefined,
      uid: queryString(req.query.uid) || undefined,
      container: queryString(req.query.container) || undefined,
      file: queryString(req.query.file) || undefined,
      // only namespaces the caller may read (get pods/log); `job` = a Flink cluster-id (record label, else pod naming)
      podFilter: (p: PodEntry) => readable(p.namespace) && (!job || jobIdOf(p) === job),
    };
    if (scope.namespace) await assertCan(req, 'read', scope.namespace);
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    let release: () => void;
    try {
      release = await gate.acquire(controller.signal);
    } catch (e) {
      if (controller.signal.aborted) return; // the client left while waiting
      res.setHeader('Retry-After', String(gate.retryAfterSeconds));
      throw e;
    }
    try {
      res.status(200).type('application/x-ndjson; charset=utf-8').setHeader('Cache-Control', 'no-store');
      res.flushHeaders();
      const sink = new NdjsonSink(res);
      let last: string;
      try {
        const deadline = Date.now() + cfg.deadlineMs;
        const limits = { limit, byteBudget: cfg.byteBudget, deadline };
        const summary = deps.ripgrep && rgArgs
          ? await searchNodeWithRipgrep(deps.catalog, scope, rgArgs, matcher, limits, sink, controller.signal, deps.logger, deps.ripgrep)
          : pool
          ? await searchNodeInWorkers(deps.catalog, scope, query, limits, sink, controller.signal, deps.logger, pool)
          : await searchNode(deps.catalog, scope, matcher, limits, (hit: SearchHit) => sink.push(JSON.stringify(hit)), controller.signal, deps.logger);
        deps.metrics.searchBytesScanned.inc(summary.bytes_scanned);
        deps.metrics.searches.inc({ outcome: summary.stopped_by });
        last = JSON.stringify(partial ? { ...summary, partial: true } : summary);
      } catch (err) {
        const e = toPodlogError(err);
        deps.metrics.errors.inc({ code: e.code });
        deps.logger.warn({ err, reqId: req.id, code: e.code }, 'search failed after its first bytes');
        last = JSON.stringify({ error: { code: e.code, message: e.message } } satisfies ErrorBody);
      }
      await sink.end(last);
    } finally {
      release();
    }
  });
  return r;
}
