import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeConfigKeys } from './config.ts';

/** Where the cluster link came from. */
export type KubeConfigSource = 'in-cluster' | 'kubeconfig';

/** Service account token path mounted into every pod (Kubernetes docs, "Accessing the API from a Pod"). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** A loaded cluster link. */
export interface ClusterLink {
  kc: KubeConfig;
  source: KubeConfigSource;
}

/**
 * Pick the cluster link: in-cluster config (env `KUBERNETES_SERVICE_HOST` and the service account token),
 * else a kubeconfig (`kube.kubeconfig` / `--kubeconfig`, else env `KUBECONFIG`, a `:`-separated list merged
 * as kubectl does), else none. client-node's `KubeConfig` is imported only once a source is found, so an
 * agent without a cluster never loads it; it comes from `dist/config.js`, not the package index, which
 * would load every generated API and model class.
 * @returns the loaded KubeConfig and its source, or undefined (no cluster)
 * @throws Error when a named kubeconfig file cannot be read or parsed
 */
export async function loadKubeConfig(cfg: Pick<KubeConfigKeys, 'kubeconfig'>, env: NodeJS.ProcessEnv,
  tokenPath = SERVICE_ACCOUNT_TOKEN): Promise<ClusterLink | undefined> {
  const inCluster = !cfg.kubeconfig && Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(tokenPath);
  const files = cfg.kubeconfig ? [cfg.kubeconfig] : (env.KUBECONFIG ?? '').split(':').filter((f) => f !== '' && existsSync(f));
  if (!inCluster && files.length === 0) return undefined;
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const kc = new KubeConfig();
  if (inCluster) {
    kc.loadFromCluster();
    return { kc, source: 'in-cluster' };
  }
  kc.loadFromFile(files[0]!);
  for (const f of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    kc.mergeConfig(more, true);
  }
  return { kc, source: 'kubeconfig' };
}

/**
 * The cluster link of an agent, per `kube.enabled`: none when 'off'; else {@link loadKubeConfig}. Says once,
 * at info level, when the agent runs without one and why.
 * @throws Error when a named kubeconfig file cannot be read or parsed
 */
export async function connectCluster(cfg: Pick<KubeConfigKeys, 'enabled' | 'kubeconfig'>, env: NodeJS.ProcessEnv, logger: Logger,
  tokenPath = SERVICE_ACCOUNT_TOKEN): Promise<ClusterLink | undefined> {
  if (cfg.enabled === 'off') {
    logNoCluster(logger, 'kube.enabled is off');
    return undefined;
  }
  const link = await loadKubeConfig(cfg, env, tokenPath);
  if (!link) logNoCluster(logger, 'not in a cluster and no kubeconfig (--kubeconfig or KUBECONFIG)');
  return link;
}

/** Log once that podlog runs without cluster data, and why. */
export function logNoCluster(logger: Logger, why: string): void {
  logger.info({ unit: 'kube', why }, 'no Kubernetes cluster link: running without pod records or Events');
}
