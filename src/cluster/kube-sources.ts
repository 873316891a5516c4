/**
 * The cluster routing's two questions to the API server (through `kube/api.ts`): where a live pod runs,
 * and which agents the peer Service lists. In a module of its own so the HTTP client is loaded only by
 * agents with a cluster link.
 */
import type { KubeConfig, V1EndpointSlice } from '@kubernetes/client-node';
import { apiPath } from '../kube/api-path.ts';
import { kubeApi } from '../kube/api.ts';
import type { LivePodLookup } from './locate.ts';
import { peersFromSlices, type Peer } from './peers.ts';

/** GET `/api/v1/namespaces/<ns>/pods/<name>`: `spec.nodeName` and `metadata.uid`; 404 (or no node yet) → undefined. */
export function kubeLivePods(kc: KubeConfig): LivePodLookup {
  const call = kubeApi(kc);
  return async (namespace, name) => {
    try {
      const p = await call<{ spec?: { nodeName?: string }; metadata?: { uid?: string } }>({ path: apiPath`/api/v1/namespaces/${namespace}/pods/${name}` });
      const node = p.spec?.nodeName;
      return node ? { node, uid: p.metadata?.uid ?? '' } : undefined;
    } catch (e) {
      if ((e as { code?: unknown }).code === 404) return undefined;
      throw e;
    }
  };
}

/** Discovery: the EndpointSlices (discovery.k8s.io/v1) labelled `kubernetes.io/service-name=<service>`. */
export function endpointSliceDiscovery(kc: KubeConfig, o: { namespace: string; service: string; scheme: 'http' | 'https'; port: number }): () => Promise<Peer[]> {
  const call = kubeApi(kc);
  return async () => {
    const r = await call<{ items?: V1EndpointSlice[] }>({
      path: apiPath`/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices`,
      query: { labelSelector: `kubernetes.io/service-name=${o.service}` },
    });
    return peersFromSlices(r.items ?? [], o.scheme, o.port);
  };
}
