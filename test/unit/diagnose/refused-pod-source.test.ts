import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { diagnose } from '../../../src/diagnose/index.ts';
import { diagnosisSource } from '../../../src/http/diagnosis-source.ts';
import type { ClusterLookup } from '../../../src/kube/index.ts';
import type { OwnerRecord } from '../../../src/kube/records.ts';
import type { Catalog } from '../../../src/store/catalog.ts';

// Message as kube-controller-manager 1.37's ReplicaSet controller writes it for a quota refusal.
const refused = (pod: string) => ({
  metadata: { name: `flink-tm.${pod}`, namespace: 'team-q' },
  involvedObject: { kind: 'ReplicaSet', namespace: 'team-q', name: 'flink-tm', uid: 'rs-1', apiVersion: 'apps/v1' },
  reason: 'FailedCreate', type: 'Warning', count: 1, lastTimestamp: '2026-12-07T19:03:57Z', firstTimestamp: '2026-12-07T19:03:57Z',
  message: `Error creating: pods "${pod}" is forbidden: exceeded quota: one-pod, requested: pods=1, used: pods=1, limited: pods=1`,
  source: { component: 'replicaset-controller' },
});

function source(owners: OwnerRecord[]) {
  const lookup = { livePod: async () => undefined, isLeader: () => true, leader: () => undefined, owners: () => owners } as ClusterLookup;
  const catalog = { generations: () => [] } as unknown as Catalog;
  return diagnosisSource({ catalog, lookup, logger: pino({ level: 'silent' }), now: () => Date.parse('2026-12-07T19:05:00Z') });
}

test('a pod the API server refused to create is diagnosed from the FailedCreate Events that name it', async () => {
  const owner: OwnerRecord = {
    version: 1, kind: 'ReplicaSet', namespace: 'team-q', name: 'flink-tm', uid: 'rs-1', scope: 'cluster',
    firstSeen: '2026-12-07T19:03:57Z', lastSeen: '2026-12-07T19:03:57Z', events: [refused('flink-tm-kzcql'), refused('flink-tm-5j8v7')] as never,
  };
  const input = await source([owner])('team-q', 'flink-tm-kzcql');
  assert.ok(input);
  assert.equal(input.events.length, 1, 'only the Event naming this pod');
  const d = diagnose(input);
  assert.match(JSON.stringify(d.findings), /one-pod/);
  assert.equal(await source([owner])('team-q', 'flink-tm-unknown'), undefined, 'a name no Event mentions stays unknown');
  assert.equal(await source([owner])('team-a', 'flink-tm-kzcql'), undefined, 'another namespace');
});
