import type { Request } from 'express';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { fetchHead, forwardHeaders } from './forward.ts';
import type { Peer, PeerDirectory } from './peers.ts';

/** Where the API server says a live pod runs. */
export interface LivePod {
  node: string;
  uid: string;
}

/** A live pod's node and uid, or undefined when the API server has no such pod (or it is not scheduled yet). */
export type LivePodLookup = (namespace: string, name: string) => Promise<LivePod | undefined>;

/** A further source of a gone pod's node (e.g. Elasticsearch when shipping is on): a node name, or undefined. */
export type NodeHint = (namespace: string, name: string, uid?: string) => Promise<string | undefined>;

/** Options of {@link Locator}. */
export interface LocatorOptions {
  peers: PeerDirectory;
  livePod?: LivePodLookup;
  hints?: NodeHint[];
  saToken: () => Promise<string>;
  /** Deadline of each question (API server, peers), ms. */
  deadlineMs: number;
  /** Reuse an answer this long, ms. */
  cacheMs: number;
  logger: Logger;
}

/**
 * Finds the agent holding a pod's files: a live pod's node from the API server; else (gone,
 * or another generation asked by uid) the first of the other agents whose catalog has it, all asked in
 * parallel with a deadline (`GET /api/v1/namespaces/{ns}/pods/{pod}?local=1`, newest activity wins);
 * else the hints (Elasticsearch). Answers are cached for `cacheMs`.
 */
export class Locator {
  readonly #o: LocatorOptions;
  readonly #cache: LRUCache<string, Peer>;
  readonly #live: LRUCache<string, { v: LivePod | undefined }>;

  constructor(o: LocatorOptions) {
    this.#o = o;
    this.#cache = new LRUCache({ max: 10_000, ttl: o.cacheMs });
    this.#live = new LRUCache({ max: 10_000, ttl: o.cacheMs });
  }

  async #livePod(ns: string, name: string): Promise<LivePod | undefined> {
    const lookup = this.#o.livePod;
    if (!lookup) return undefined;
    const key = `${ns}/${name}`;
    const hit = this.#live.get(key);
    if (hit) return hit.v;
    try {
      const v = await Promise.race([lookup(ns, name), new Promise<never>((_, rej) => setTimeout(rej, this.#o.deadlineMs, new Error('timeout')).unref())]);
      this.#live.set(key, { v });
      return v;
    } catch (err) {
      // remembered briefly, so an API server outage does not add its deadline to every request
      this.#live.set(key, { v: undefined }, { ttl: Math.min(this.#o.cacheMs, 5000) });
      this.#o.logger.warn({ err, unit: 'cluster' }, 'API server lookup of a pod failed; asking the other agents');
      return undefined;
    }
  }

  /**
   * The peer to proxy to, or undefined when this agent should answer (the pod is here, or nobody has it).
   * @param localUids uids of this pod's generations in the local catalog
   */
  async locate(req: Request, ns: string, name: string, uid: string | undefined, localUids: readonly string[]): Promise<Peer | undefined> {
    const self = this.#o.peers.selfNode;
    const live = await this.#livePod(ns, name);
    if (live && (!uid || live.uid === uid)) {
      if (live.node === self || localUids.includes(live.uid)) return undefined;
      const owner = await this.#o.peers.byNode(live.node);
      if (owner) return owner;
    }
    if (localUids.length > 0 && (!uid || localUids.includes(uid))) return undefined;
    const key = `${ns}/${name}/${uid ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const found = (await this.#askPeers(req, ns, name, uid)) ?? (await this.#fromHints(ns, name, uid));
    if (found) this.#cache.set(key, found);
    return found;
  }

  async #askPeers(req: Request, ns: string, name: string, uid: string | undefined): Promise<Peer | undefined> {
    const others = await this.#o.peers.others();
    if (others.length === 0) return undefined;
    const headers = await forwardHeaders(req, this.#o.peers.selfNode, this.#o.saToken);
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}?local=1${uid ? `&uid=${encodeURIComponent(uid)}` : ''}`;
    const ac = new AbortController();
    const deadline = setTimeout(() => ac.abort(), this.#o.deadlineMs);
    try {
      const answers = await Promise.allSettled(others.map(async (p) => {
        const res = await fetchHead(p.url + path, { headers: { ...headers, accept: 'application/json' }, signal: ac.signal }, this.#o.deadlineMs, `agent ${p.node || p.url}`);
        if (res.status !== 200) {
          await res.body?.cancel();
          return undefined;
        }
        const body = (await res.json()) as { lastActivity?: number };
        return { peer: p, lastActivity: Number(body.lastActivity ?? 0) };
      }));
      let best: { peer: Peer; lastActivity: number } | undefined;
      for (const a of answers) if (a.status === 'fulfilled' && a.value && (!best || a.value.lastActivity > best.lastActivity)) best = a.value;
      return best?.peer;
    } finally {
      clearTimeout(deadline);
    }
  }

  async #fromHints(ns: string, name: string, uid: string | undefined): Promise<Peer | undefined> {
    for (const hint of this.#o.hints ?? []) {
      try {
        const node = await hint(ns, name, uid);
        const peer = node && node !== this.#o.peers.selfNode ? await this.#o.peers.byNode(node) : undefined;
        if (peer) return peer;
      } catch (err) {
        this.#o.logger.warn({ err, unit: 'cluster' }, 'a pod location hint failed');
      }
    }
    return undefined;
  }
}
