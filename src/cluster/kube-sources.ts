/**
 * The cluster routing's two questions to the API server, through @kubernetes/client-node: where a live
 * pod runs, and which agents the peer Service lists. In a module of its own so the client is loaded only
 * by agents with a cluster link.
 */
import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { LivePodLookup } from './locate.ts';
import { peersFromSlices, type Peer } from './peers.ts';

/** `readNamespacedPod` through client-node: `spec.nodeName` and `metadata.uid`; 404 → undefined. */
export function kubeLivePods(kc: KubeConfig): LivePodLookup {
  const core = kc.makeApiClient(CoreV1Api);
  return async (namespace, name) => {
    try {
      const p = await core.readNamespacedPod({ namespace, name });
      const node = p.spec?.nodeName;
      return node ? { node, uid: p.metadata?.uid ?? '' } : undefined;
    } catch (e) {
      if ((e as { code?: unknown }).code === 404) return undefined;
      throw e;
    }
  };
}

/** Discovery through client-node: `listNamespacedEndpointSlice` with `kubernetes.io/service-name=<service>`. */
export function endpointSliceDiscovery(kc: KubeConfig, o: { namespace: string; service: string; scheme: 'http' | 'https'; port: number }): () => Promise<Peer[]> {
  const api = kc.makeApiClient(DiscoveryV1Api);
  return async () => {
    const r = await api.listNamespacedEndpointSlice({ namespace: o.namespace, labelSelector: `kubernetes.io/service-name=${o.service}` });
    return peersFromSlices(r.items, o.scheme, o.port);
  };
}
