import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Client } from '@elastic/elasticsearch';
import { esNodeHint } from '../../../src/cluster/es-hint.ts';

test('the ES hint asks for the newest document of the pod and reads host.name', async () => {
  const asked: unknown[] = [];
  const client = {
    async search(p: unknown) {
      asked.push(p);
      return { hits: { hits: [{ _source: { host: { name: 'node-7' } } }] } };
    },
  } as unknown as Client;
  assert.equal(await esNodeHint(client, 'logs-podlog.flink-*', 1000)('team-a', 'batch-7', 'u-1'), 'node-7');
  assert.deepEqual(asked[0], {
    index: 'logs-podlog.flink-*', size: 1, _source: ['host.name'], sort: [{ '@timestamp': { order: 'desc' } }], ignore_unavailable: true, allow_no_indices: true,
    query: { bool: { filter: [{ term: { 'kubernetes.namespace': 'team-a' } }, { term: { 'kubernetes.pod.name': 'batch-7' } }, { term: { 'kubernetes.pod.uid': 'u-1' } }] } },
  });
  const none = { search: async () => ({ hits: { hits: [] } }) } as unknown as Client;
  assert.equal(await esNodeHint(none, 'x', 1000)('a', 'b'), undefined);
});

