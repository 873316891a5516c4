import type { Client, estypes } from '@elastic/elasticsearch';
import type { NodeHint } from './locate.ts';

/**
 * Where shipping is on, a gone pod's node from Elasticsearch: the newest shipped document of
 * the pod (`kubernetes.namespace`, `kubernetes.pod.name`, and `kubernetes.pod.uid` when given — keyword
 * fields in podlog's index template, `src/ship/ecs.ts`) names its node in `host.name`.
 * @param client an @elastic/elasticsearch 9 client (only `search` is called)
 * @param index the data stream pattern to search, e.g. `logs-podlog.flink-*`
 * @param timeoutMs bound of the search (ms)
 * @returns a {@link NodeHint}; it resolves undefined when no document matches, and rejects on ES errors
 */
export function esNodeHint(client: Client, index: string, timeoutMs: number): NodeHint {
  return async (namespace, name, uid) => {
    const filter: estypes.QueryDslQueryContainer[] = [{ term: { 'kubernetes.namespace': namespace } }, { term: { 'kubernetes.pod.name': name } }];
    if (uid) filter.push({ term: { 'kubernetes.pod.uid': uid } });
    const r = await client.search({
      index, size: 1, query: { bool: { filter } }, sort: [{ '@timestamp': { order: 'desc' } }], _source: ['host.name'],
      ignore_unavailable: true, allow_no_indices: true,
    }, { requestTimeout: timeoutMs });
    const src = r.hits.hits[0]?._source as { host?: { name?: unknown } } | undefined;
    return typeof src?.host?.name === 'string' && src.host.name ? src.host.name : undefined;
  };
}
