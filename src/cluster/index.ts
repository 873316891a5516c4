import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ClusterConfig } from './config.ts';
import type { Catalog } from '../store/catalog.ts';
import { askAgent, isLocalOnly, serviceAccountToken, type ForwardOptions } from './forward.ts';
import { Locator, type LivePodLookup, type NodeHint } from './locate.ts';
import { parseStaticPeers, PeerDirectory, type Peer } from './peers.ts';
import { proxyTo } from './proxy.ts';

/** Dependencies of {@link createCluster}. */
export interface ClusterDeps {
  config: ClusterConfig;
  /** This agent's node (`config.nodeName`, else the host name). */
  nodeName: string;
  /** This agent's own base URL once it listens (e.g. `http://127.0.0.1:8080`), so fan-outs include its files. */
  selfUrl: () => string | undefined;
  catalog: Pick<Catalog, 'generations'>;
  /** A live pod's node from the API server (`kubeLivePods` of `kube-sources.ts`); none without a cluster link. */
  livePod?: LivePodLookup;
  /** The agents the peer Service lists (`endpointSliceDiscovery` of `kube-sources.ts`), when `cluster.peerService` is set and there is a cluster link. */
  discover?: () => Promise<Peer[]>;
  /** Further sources of a gone pod's node, e.g. Elasticsearch (see {@link NodeHint}). */
  hints?: NodeHint[];
  logger: Logger;
}

/** How this agent reaches the others: who they are, where a pod's files are, and the two ways to ask them. */
export interface Cluster {
  peers: PeerDirectory;
  locator: Locator;
  forward: ForwardOptions;
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
 * Build this agent's view of the others: the peer directory (static peers, else the peer Service's
 * EndpointSlices), the locator of a pod's node, and the calls the HTTP layer makes through them.
 * @throws PodlogError `PODLOG_E_CONFIG` for a malformed `cluster.peers` entry
 */
export function createCluster(deps: ClusterDeps): Cluster {
  const { config, logger } = deps;
  const discover = deps.discover;
  if (config.peerService && !discover) logger.warn({ unit: 'cluster' }, 'cluster.peerService is set but there is no cluster link; using the static peers only');
  const peers = new PeerDirectory({
    selfNode: deps.nodeName, selfUrl: deps.selfUrl, staticPeers: parseStaticPeers(config.peers), discover, refreshMs: config.peerRefreshMs, logger,
  });
  const saToken = serviceAccountToken(config.tokenFile);
  const livePod = deps.livePod;
  const locator = new Locator({ peers, livePod, hints: deps.hints, saToken, deadlineMs: config.peerDeadlineMs, cacheMs: config.locateCacheMs, logger });
  const opts: ForwardOptions = { selfNode: deps.nodeName, saToken, deadlineMs: config.peerDeadlineMs };

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
    const ac = new AbortController();
    const deadline = setTimeout(() => ac.abort(), config.peerDeadlineMs);
    try {
      const answers = await Promise.allSettled(others.map(async (p) => {
        const res = await askAgent(req, p.url + path, opts, `agent ${p.node || p.url}`, ac.signal);
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
  return { peers, locator, forward: opts, forwardToPod, askOthers };
}

export type { Peer } from './peers.ts';
export type { LivePodLookup, NodeHint } from './locate.ts';
