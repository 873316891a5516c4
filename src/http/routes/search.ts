import { Router } from 'express';
import { jobFromPodName } from '../../kube/flink-names.ts';
import { assertCan, namespaceFilter } from '../../auth/middleware.ts';
import pLimit from 'p-limit';
import { compileMatcher } from '../../logfile/search.ts';
import { checkQuery, searchNode, type SearchHit } from '../../search/node-search.ts';
import type { AppDeps } from '../app.ts';
import type { PodEntry } from '../../store/types.ts';
import { queryBool, queryInt, queryString } from '../params.ts';

/**
 * `GET /search?q=&regex=true|false&case=true|false&namespace=&job=&pod=&uid=&container=&file=&limit=` →
 * `application/x-ndjson`: one {@link SearchHit} per line as found, then one summary line
 * `{"done":true,"stopped_by","bytes_scanned","files_searched","files_skipped","matches"}`, with `partial: true` when
 * the catalog's first scan was still running (files not found yet were not searched).
 * Regexes use RE2 syntax (linear time). Bounded by `search.byteBudget` and `search.deadlineMs`;
 * cancelled when the client disconnects. At most `search.maxConcurrent` searches run at once; others wait.
 */
export function searchRoutes(deps: AppDeps): Router {
  const r = Router();
  const gate = pLimit(deps.config.search.maxConcurrent);
  const cfg = deps.config.search;

  r.get('/search', async (req, res) => {
    const q = checkQuery(queryString(req.query.q));
    const regex = queryBool('regex', req.query.regex) ?? false;
    const caseSensitive = queryBool('case', req.query.case) ?? true;
    const limit = queryInt('limit', req.query.limit, cfg.maxLimit) ?? cfg.defaultLimit;
    const matcher = compileMatcher(q, { regex, caseInsensitive: !caseSensitive });
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
    res.status(200).type('application/x-ndjson; charset=utf-8').setHeader('Cache-Control', 'no-store');
    res.flushHeaders();
    const summary = await gate(() => {
      const deadline = Date.now() + cfg.deadlineMs;
      return searchNode(deps.catalog, scope, matcher, { limit, byteBudget: cfg.byteBudget, deadline }, (hit: SearchHit) => res.write(JSON.stringify(hit) + '\n'), controller.signal, deps.logger);
    });
    deps.metrics.searchBytesScanned.inc(summary.bytes_scanned);
    deps.metrics.searches.inc({ outcome: summary.stopped_by });
    if (!res.writableEnded && !controller.signal.aborted) res.end(JSON.stringify(partial ? { ...summary, partial: true } : summary) + '\n');
  });
  return r;
}
