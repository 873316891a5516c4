import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AuthConfig } from '../auth/config.ts';
import type { ClusterConfig } from '../cluster/config.ts';
import { assertListenAllowed } from '../auth/listen.ts';
import { createAuthGate, type AuthGate } from '../auth/middleware.ts';
import type { Catalog } from '../store/catalog.ts';
import { createClusterRouter, type ClusterRouting } from './routes/cluster.ts';
import type { NodeHint } from '../cluster/locate.ts';

/** The parts of the agent's config that authentication and cluster routing read. */
export interface AccessConfig {
  host: string;
  auth: AuthConfig;
  cluster: ClusterConfig;
  search: { defaultLimit: number; maxLimit: number; deadlineMs: number };
}

/** What {@link createAccess} gives `startAgent`: pass `auth` and `cluster` to `createApp`, call `listening` after listen. */
export interface Access {
  auth: AuthGate;
  /** Undefined when no peers are configured (`cluster.peers`, `cluster.peerService`): a single agent. */
  cluster?: ClusterRouting;
  /** Tell the cluster routing where this agent listens, so cluster-wide searches include its own files. */
  listening(server: Server): void;
}

/**
 * Build authentication and cluster routing for an agent, after refusing an unauthenticated non-loopback
 * listen ({@link assertListenAllowed}). With a cluster link, the Kubernetes-backed parts (TokenReview and
 * SubjectAccessReview for mode kubernetes, live pods' nodes and peer discovery for the cluster routing)
 * are loaded here, and only when the configuration uses them.
 * @throws PodlogError `PODLOG_E_CONFIG` (auth none on a non-loopback host; token mode without a readable
 *   token file; kubernetes mode without a cluster link; malformed peers or CIDRs)
 */
export async function createAccess(config: AccessConfig, deps: {
  nodeName: string;
  catalog: Pick<Catalog, 'generations'>;
  logger: Logger;
  /** The cluster link, when the agent has one. */
  kubeConfig?: KubeConfig;
  /** Sources of a gone pod's node besides the agents, e.g. {@link esNodeHint} where shipping is on. */
  hints?: NodeHint[];
}): Promise<Access> {
  assertListenAllowed(config);
  const kc = deps.kubeConfig;
  const reviews = config.auth.mode === 'kubernetes' && kc ? (await import('../auth/kube-reviews.ts')).clientReviews(kc) : undefined;
  const auth = createAuthGate(config.auth, { reviews, logger: deps.logger });
  let selfUrl: string | undefined;
  const clustered = config.cluster.peers.length > 0 || config.cluster.peerService !== undefined;
  const sources = clustered && kc ? await import('../cluster/kube-sources.ts') : undefined;
  const c = config.cluster;
  const cluster = clustered
    ? createClusterRouter({
      config: c, nodeName: deps.nodeName, selfUrl: () => selfUrl, catalog: deps.catalog, search: config.search, hints: deps.hints, logger: deps.logger,
      ...(sources && kc ? { livePod: sources.kubeLivePods(kc) } : {}),
      ...(sources && kc && c.peerService ? { discover: sources.endpointSliceDiscovery(kc, { namespace: c.peerNamespace, service: c.peerService, scheme: c.peerScheme, port: c.peerPort }) } : {}),
    })
    : undefined;
  return {
    auth,
    cluster,
    listening(server) {
      const a = server.address() as AddressInfo;
      // an unspecified listen address (0.0.0.0, ::) is reached over loopback; a specific one as it is
      const host = a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '[::1]' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
      selfUrl = `http://${host}:${a.port}`;
    },
  };
}
