import { Router } from 'express';
import { createCluster, type Cluster, type ClusterDeps } from '../../cluster/index.ts';
import { fanoutPods, fanoutSearch } from '../../cluster/fanout.ts';
import { isLocalOnly } from '../../cluster/forward.ts';
import { proxyTo } from '../../cluster/proxy.ts';
import { compileMatcher } from '../../logfile/search.ts';
import { checkQuery } from '../../search/node-search.ts';
import { queryBool, queryInt, queryString } from '../params.ts';

/** The cluster routing of one agent: its {@link Cluster} and the router that uses it. */
export interface ClusterRouting extends Cluster {
  /** Mount under `/api/v1` after authentication and the namespace check, before the local routes. */
  router: Router;
}

/**
 * "Any agent answers for any pod", as a router mounted before the local routes:
 * - `GET|HEAD /namespaces/:ns/pods/:pod[/…]` (pod view, files, lines, follow, diagnosis): when the pod's
 *   files are on another node (the cluster's locator), proxy to that agent; else fall through.
 * - `GET /search`: fan out to every agent, merge as hits stream ({@link fanoutSearch}).
 * - `GET /pods`: fan out to every agent, merged ({@link fanoutPods}).
 * Requests from peers (`X-Podlog-Forwarded-By`) or with `?local=1` always fall through to the local routes.
 * With no peers configured or discoverable, everything falls through.
 * @param deps the cluster's dependencies, and `search`: a fan-out stops after `limit` (default `defaultLimit`,
 *   at most `maxLimit`) hits, within `deadlineMs` plus the peer deadline
 * @throws PodlogError `PODLOG_E_CONFIG` for a malformed `cluster.peers` entry
 */
export function createClusterRouter(deps: ClusterDeps & { search: { defaultLimit: number; maxLimit: number; deadlineMs: number } }): ClusterRouting {
  const cluster = createCluster(deps);
  const { peers, locator, forward: opts } = cluster;
  const config = deps.config;
  const r = Router();
  r.use('/namespaces/:ns/pods/:pod', async (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isLocalOnly(req) || !peers.clustered) return next();
    const { ns, pod } = req.params as { ns: string; pod: string };
    const uid = typeof req.query.uid === 'string' && req.query.uid !== '' ? req.query.uid : undefined;
    const localUids = deps.catalog.generations(ns, pod).map((g) => g.uid);
    const owner = await locator.locate(req, ns, pod, uid, localUids);
    if (!owner) return next();
    await proxyTo(req, res, owner, opts);
  });
  r.get('/search', async (req, res, next) => {
    if (isLocalOnly(req) || !peers.clustered) return next();
    // the same checks as the local route, so a bad request is one 400, not a node failure per agent
    const q = checkQuery(queryString(req.query.q));
    compileMatcher(q, { regex: queryBool('regex', req.query.regex) ?? false, caseInsensitive: !(queryBool('case', req.query.case) ?? true) });
    const limit = queryInt('limit', req.query.limit, deps.search.maxLimit) ?? deps.search.defaultLimit;
    await fanoutSearch(req, res, await peers.all(), limit, { ...opts, overallMs: deps.search.deadlineMs + config.peerDeadlineMs });
  });
  r.get('/pods', async (req, res, next) => {
    if (isLocalOnly(req) || !peers.clustered) return next();
    await fanoutPods(req, res, await peers.all(), opts);
  });
  return { ...cluster, router: r };
}
