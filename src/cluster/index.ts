import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { ClusterConfig } from './config.ts';
import { queryBool, queryInt, queryString } from '../http/params.ts';
import { compileMatcher } from '../logfile/search.ts';
import { checkQuery } from '../search/node-search.ts';
import type { Catalog } from '../store/catalog.ts';
import { fanoutPods, fanoutSearch } from './fanout.ts';
import { fetchHead, forwardHeaders, isLocalOnly, serviceAccountToken } from './forward.ts';
import { Locator, type LivePodLookup, type NodeHint } from './locate.ts';
import { parseStaticPeers, PeerDirectory, type Peer } from './peers.ts';
import { proxyTo } from './proxy.ts';

/** Dependencies of {@link createClusterRouter}. */
export interface ClusterDeps {
  config: ClusterConfig;
  /** This agent's node (`config.nodeName`, else the host name). */
  nodeName: string;
  /** This agent's own base URL once it listens (e.g. `http://127.0.0.1:8080`), so fan-outs include its files. */
  selfUrl: () => string | undefined;
  catalog: Pick<Catalog, 'generations'>;
  /** Search limits: a fan-out stops after `limit` (default `defaultLimit`, at most `maxLimit`) hits. */
  search: { defaultLimit: number; maxLimit: number; deadlineMs: number };
  /** A live pod's node from the API server (`kubeLivePods` of `kube-sources.ts`); none without a cluster link. */
  livePod?: LivePodLookup;
  /** The agents the peer Service lists (`endpointSliceDiscovery` of `kube-sources.ts`), when `cluster.peerService` is set and there is a cluster link. */
  discover?: () => Promise<Peer[]>;
  /** Further sources of a gone pod's node, e.g. Elasticsearch (see {@link NodeHint}). */
  hints?: NodeHint[];
  logger: Logger;
}

/** The cluster routing of one agent. */
export interface ClusterRouting {
  /** Mount under `/api/v1` after authentication and the namespace check, before the local routes. */
  router: Router;
  peers: PeerDirectory;
  locator: Locator;
  /**
   * Proxies this request to the agent holding pod `ns/pod`'s files, when that is another agent (as the pod
   * routes do); false when this agent should answer (the pod is here, nobody has it, a peer asked, or no peers).
   */
  forwardToPod(req: Request, res: Response, ns: string, pod: string): Promise<boolean>;
  /**
   * Asks every other agent `GET <path>` (an `/api/v1/…` path ending in `?local=1`, as the caller) and returns
   * their 200 JSON answers (empty when none had it, a peer asked, or there are no peers). Bounded by `peerDeadlineMs`.
   */
  askOthers(req: Request, path: string): Promise<unknown[]>;
}

/**
 * "Any agent answers for any pod" (issue 8 §2), as a router mounted before the local routes:
 * - `GET|HEAD /namespaces/:ns/pods/:pod[/…]` (pod view, files, lines, follow, diagnosis): when the pod's
 *   files are on another node ({@link Locator}), proxy to that agent ({@link proxyTo}); else fall through.
 * - `GET /search`: fan out to every agent, merge as hits stream ({@link fanoutSearch}).
 * - `GET /pods`: fan out to every agent, merged ({@link fanoutPods}).
 * Requests from peers (`X-Podlog-Forwarded-By`) or with `?local=1` always fall through to the local routes.
 * With no peers configured or discoverable, everything falls through.
 * @throws PodlogError `PODLOG_E_CONFIG` for a malformed `cluster.peers` entry
 */
export function createClusterRouter(deps: ClusterDeps): ClusterRouting {
  const { config, logger } = deps;
  const discover = deps.discover;
  if (config.peerService && !discover) logger.warn({ unit: 'cluster' }, 'cluster.peerService is set but there is no cluster link; using the static peers only');
  const peers = new PeerDirectory({
    selfNode: deps.nodeName, selfUrl: deps.selfUrl, staticPeers: parseStaticPeers(config.peers), discover, refreshMs: config.peerRefreshMs, logger,
  });
  const saToken = serviceAccountToken(config.tokenFile);
  const livePod = deps.livePod;
  const locator = new Locator({ peers, livePod, hints: deps.hints, saToken, deadlineMs: config.peerDeadlineMs, cacheMs: config.locateCacheMs, logger });
  const opts = { selfNode: deps.nodeName, saToken, deadlineMs: config.peerDeadlineMs };

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
  const forwardToPod = async (req: Request, res: Response, ns: string, pod: string): Promise<boolean> => {
    if (isLocalOnly(req) || !peers.clustered) return false;
    const owner = await locator.locate(req, ns, pod, undefined, deps.catalog.generations(ns, pod).map((g) => g.uid));
    if (!owner) return false;
    await proxyTo(req, res, owner, opts);
    return true;
  };
  const askOthers = async (req: Request, path: string): Promise<unknown[]> => {
    if (isLocalOnly(req) || !peers.clustered) return [];
    const others = await peers.others();
    if (!others.length) return [];
    const headers = { ...(await forwardHeaders(req, deps.nodeName, saToken)), accept: 'application/json' };
    const ac = new AbortController();
    const deadline = setTimeout(() => ac.abort(), config.peerDeadlineMs);
    try {
      const answers = await Promise.allSettled(others.map(async (p) => {
        const res = await fetchHead(p.url + path, { headers, signal: ac.signal }, config.peerDeadlineMs, `agent ${p.node || p.url}`);
        if (res.status !== 200) {
          await res.body?.cancel();
          return undefined;
        }
        return (await res.json()) as unknown;
      }));
      return answers.flatMap((a) => (a.status === 'fulfilled' && a.value !== undefined ? [a.value] : []));
    } finally {
      clearTimeout(deadline);
    }
  };
  return { router: r, peers, locator, forwardToPod, askOthers };
}

export type { Peer } from './peers.ts';
export type { LivePodLookup, NodeHint } from './locate.ts';
