import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AuthConfig, ClusterConfig } from '../auth/config.ts';
import { assertListenAllowed } from '../auth/listen.ts';
import { createAuthGate, type AuthGate } from '../auth/middleware.ts';
import { loadKubeConfig } from '../kube/connect.ts';
import type { KubeConfigKeys } from '../kube/config.ts';
import type { Catalog } from '../store/catalog.ts';
import { createClusterRouter, type ClusterRouting } from './index.ts';
import type { NodeHint } from './locate.ts';

/** The parts of the agent's config issue 8 reads. */
export interface AccessConfig {
  host: string;
  auth: AuthConfig;
  cluster: ClusterConfig;
  kube: Pick<KubeConfigKeys, 'enabled' | 'kubeconfig'>;
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
 * Build authentication and cluster routing for an agent (issue 8), after refusing an unauthenticated
 * non-loopback listen ({@link assertListenAllowed}). The cluster link is the one `kube` would use
 * (in-cluster config, `kube.kubeconfig`, `KUBECONFIG`) unless `kubeConfig` is given.
 * @throws PodlogError `PODLOG_E_CONFIG` (auth none on a non-loopback host; token mode without a readable
 *   token file; kubernetes mode without a cluster link; malformed peers or CIDRs)
 */
export function createAccess(config: AccessConfig, deps: {
  nodeName: string;
  catalog: Pick<Catalog, 'generations'>;
  logger: Logger;
  kubeConfig?: KubeConfig;
  env?: NodeJS.ProcessEnv;
  /** Sources of a gone pod's node besides the agents, e.g. {@link esNodeHint} where shipping is on. */
  hints?: NodeHint[];
}): Access {
  assertListenAllowed(config);
  const needsKube = config.auth.mode === 'kubernetes' || config.cluster.peers.length > 0 || config.cluster.peerService !== undefined;
  const kubeConfig = deps.kubeConfig ?? (needsKube && config.kube.enabled !== 'off' ? loadKubeConfig(config.kube, deps.env ?? process.env)?.kc : undefined);
  const auth = createAuthGate(config.auth, { kubeConfig, logger: deps.logger });
  let selfUrl: string | undefined;
  const clustered = config.cluster.peers.length > 0 || config.cluster.peerService !== undefined;
  const cluster = clustered
    ? createClusterRouter({
      config: config.cluster, nodeName: deps.nodeName, selfUrl: () => selfUrl, catalog: deps.catalog, search: config.search,
      kubeConfig, hints: deps.hints, logger: deps.logger,
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

export { esNodeHint } from './es-hint.ts';
