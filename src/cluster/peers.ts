import type { V1EndpointSlice } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { PodlogError } from '../errors.ts';

/** Another agent (or this one), reachable at `url` (scheme://host:port, no trailing slash). */
export interface Peer {
  /** The node it serves; '' when unknown (a bare static URL). */
  node: string;
  url: string;
}

/**
 * Parse `cluster.peers` entries: `node=http://host:port` or a bare `http://host:port`.
 * @throws PodlogError `PODLOG_E_CONFIG` for an entry that is not an http(s) URL
 */
export function parseStaticPeers(entries: readonly string[]): Peer[] {
  return entries.map((e) => {
    const eq = e.indexOf('=');
    const node = eq > 0 && !e.slice(0, eq).includes('/') ? e.slice(0, eq) : '';
    const raw = node ? e.slice(eq + 1) : e;
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new PodlogError('PODLOG_E_CONFIG', `cluster.peers: "${e}" is not node=URL or a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PodlogError('PODLOG_E_CONFIG', `cluster.peers: "${e}" must be http or https`);
    return { node, url: `${u.protocol}//${u.host}` };
  });
}

/**
 * Peers from the EndpointSlices of the agents' headless Service (discovery.k8s.io/v1): one per endpoint
 * address, its `nodeName`, the slice port named `http` (else the first, else `defaultPort`). Endpoints
 * that are neither ready nor serving are left out; `publishNotReadyAddresses: true` on the Service keeps
 * a starting agent listed.
 */
export function peersFromSlices(slices: readonly V1EndpointSlice[], scheme: 'http' | 'https', defaultPort: number): Peer[] {
  const out = new Map<string, Peer>();
  for (const s of slices) {
    if (s.addressType !== 'IPv4' && s.addressType !== 'IPv6') continue;
    const port = s.ports?.find((p) => p.name === 'http')?.port ?? s.ports?.[0]?.port ?? defaultPort;
    for (const ep of s.endpoints ?? []) {
      const c = ep.conditions;
      if (c && c.ready === false && c.serving !== true) continue;
      const addr = ep.addresses[0];
      if (!addr) continue;
      const host = s.addressType === 'IPv6' ? `[${addr}]` : addr;
      const url = `${scheme}://${host}:${port}`;
      out.set(url, { node: ep.nodeName ?? '', url });
    }
  }
  return [...out.values()];
}

/** Options of {@link PeerDirectory}. */
export interface PeerDirectoryOptions {
  /** This agent's node name. */
  selfNode: string;
  /** This agent's own base URL once listening (loopback is fine), so fan-outs include it. */
  selfUrl?: () => string | undefined;
  /** `cluster.peers`, parsed. */
  staticPeers: Peer[];
  /** Discovery of the headless Service's endpoints; absent without `cluster.peerService`. */
  discover?: () => Promise<Peer[]>;
  /** Reuse a discovered list this long (ms). */
  refreshMs: number;
  logger: Logger;
}

/**
 * The agents of the cluster: the static list plus, when configured, the headless Service's endpoints
 * (re-listed at most every `refreshMs`; on failure the last good list is kept and the failure logged).
 */
export class PeerDirectory {
  readonly selfNode: string;
  readonly #opts: PeerDirectoryOptions;
  #discovered: Peer[] = [];
  #at = -Infinity;
  #pending: Promise<void> | undefined;

  constructor(opts: PeerDirectoryOptions) {
    this.#opts = opts;
    this.selfNode = opts.selfNode;
  }

  /** True when there is any other agent to ask (configured or discoverable). */
  get clustered(): boolean {
    return this.#opts.staticPeers.length > 0 || this.#opts.discover !== undefined;
  }

  async #refresh(): Promise<void> {
    const d = this.#opts.discover;
    if (!d || Date.now() - this.#at < this.#opts.refreshMs) return;
    this.#pending ??= d()
      .then((peers) => {
        this.#discovered = peers;
        this.#at = Date.now();
      })
      .catch((err: unknown) => {
        this.#at = Date.now() - this.#opts.refreshMs / 2; // retry sooner than a good list
        this.#opts.logger.warn({ err, unit: 'cluster' }, 'peer discovery failed; using the last known peers');
      })
      .finally(() => (this.#pending = undefined));
    await this.#pending;
  }

  /**
   * Every agent including this one (when its URL is known), one per node (or per URL when the node is unknown).
   * This agent is listed under its own URL when known.
   */
  async all(): Promise<Peer[]> {
    await this.#refresh();
    const byKey = new Map<string, Peer>();
    const self = this.#opts.selfUrl?.();
    if (self) byKey.set(`n:${this.selfNode}`, { node: this.selfNode, url: self });
    for (const p of [...this.#opts.staticPeers, ...this.#discovered]) {
      const key = p.node ? `n:${p.node}` : `u:${p.url}`;
      if (!byKey.has(key)) byKey.set(key, p);
    }
    return [...byKey.values()];
  }

  /** The other agents (never this one). */
  async others(): Promise<Peer[]> {
    const self = this.#opts.selfUrl?.();
    return (await this.all()).filter((p) => p.node !== this.selfNode && p.url !== self);
  }

  /** The agent serving `node`, if known. */
  async byNode(node: string): Promise<Peer | undefined> {
    return (await this.all()).find((p) => p.node === node);
  }
}
