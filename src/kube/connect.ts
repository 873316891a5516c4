import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeConfigKeys } from './config.ts';

/** Where the cluster link came from. */
export type KubeConfigSource = 'in-cluster' | 'kubeconfig';

/** Service account token path mounted into every pod (Kubernetes docs, "Accessing the API from a Pod"). */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Pick the cluster link (issue 4 §1): in-cluster config (env `KUBERNETES_SERVICE_HOST` and the service
 * account token), else a kubeconfig (`kube.kubeconfig` / `--kubeconfig`, else env `KUBECONFIG`, a
 * `:`-separated list merged as kubectl does), else none.
 * @returns the loaded KubeConfig and its source, or undefined (no cluster)
 * @throws Error when a named kubeconfig file cannot be read or parsed
 */
export function loadKubeConfig(cfg: Pick<KubeConfigKeys, 'kubeconfig'>, env: NodeJS.ProcessEnv,
  tokenPath = SERVICE_ACCOUNT_TOKEN): { kc: KubeConfig; source: KubeConfigSource } | undefined {
  const kc = new KubeConfig();
  if (cfg.kubeconfig) {
    kc.loadFromFile(cfg.kubeconfig);
    return { kc, source: 'kubeconfig' };
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(tokenPath)) {
    kc.loadFromCluster();
    return { kc, source: 'in-cluster' };
  }
  const files = (env.KUBECONFIG ?? '').split(':').filter((f) => f !== '' && existsSync(f));
  if (files.length === 0) return undefined;
  kc.loadFromFile(files[0]!);
  for (const f of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    kc.mergeConfig(more, true);
  }
  return { kc, source: 'kubeconfig' };
}

/**
 * The node name (issue 4 §1): `kube.nodeName` (`--node-name`), else env `NODE_NAME` (downward API
 * `spec.nodeName` in the DaemonSet), else undefined.
 */
export function resolveNodeName(cfg: Pick<KubeConfigKeys, 'nodeName'>, env: NodeJS.ProcessEnv): string | undefined {
  return cfg.nodeName || env.NODE_NAME || undefined;
}

/** Log once that podlog runs without cluster data, and why. */
export function logNoCluster(logger: Logger, why: string): void {
  logger.info({ why }, 'no Kubernetes cluster link: running without pod records or Events');
}
