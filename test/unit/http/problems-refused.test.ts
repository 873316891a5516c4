import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAILED_CREATE_CURRENT_MS, refusedPods } from '../../../src/http/routes/problems.ts';
import type { OwnerRecord } from '../../../src/kube/records.ts';

const NOW = Date.parse('2026-12-07T19:05:00Z');

// Messages as kube-controller-manager 1.37's controllers write them.
function ev(reason: string, type: string, message: string, last: string): never {
  return { metadata: { name: `x.${reason}.${last}`, namespace: 'team-q' }, involvedObject: { kind: 'ReplicaSet', namespace: 'team-q', name: 'rs', uid: 'u' },
    reason, type, message, count: 1, lastTimestamp: last, firstTimestamp: last } as never;
}
const quota = (pod: string, last: string) => ev('FailedCreate', 'Warning', `Error creating: pods "${pod}" is forbidden: exceeded quota: one-pod, requested: pods=1, used: pods=1, limited: pods=1`, last);

function owner(kind: string, name: string, events: never[], extra: Partial<OwnerRecord> = {}): OwnerRecord {
  return { version: 1, kind, namespace: 'team-q', name, uid: `${name}-uid`, scope: 'cluster', firstSeen: '2026-12-07T18:00:00Z', lastSeen: '2026-12-07T19:04:00Z', events, ...extra };
}

test('one refused pod per owner: the newest current FailedCreate names it', () => {
  const got = refusedPods([
    owner('ReplicaSet', 'web-1', [quota('web-1-aaaaa', '2026-12-07T19:00:00Z'), quota('web-1-bbbbb', '2026-12-07T19:04:00Z')]),
    owner('StatefulSet', 'db', [ev('FailedCreate', 'Warning', 'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: exceeded quota: one-pod', '2026-12-07T19:04:30Z')]),
  ], NOW);
  assert.deepEqual(got, [
    { namespace: 'team-q', name: 'web-1-bbbbb', owner: { kind: 'ReplicaSet', name: 'web-1', uid: 'web-1-uid' } },
    { namespace: 'team-q', name: 'db-0', owner: { kind: 'StatefulSet', name: 'db', uid: 'db-uid' } },
  ]);
});

test('not current: too old, created since, owner deleted, or not an owner kind that creates pods', () => {
  const old = new Date(NOW - FAILED_CREATE_CURRENT_MS - 1000).toISOString();
  assert.deepEqual(refusedPods([
    owner('ReplicaSet', 'old', [quota('old-aaaaa', old)]),
    owner('ReplicaSet', 'recovered', [quota('recovered-aaaaa', '2026-12-07T19:00:00Z'), ev('SuccessfulCreate', 'Normal', 'Created pod: recovered-ccccc', '2026-12-07T19:02:00Z')]),
    owner('Job', 'gone', [quota('gone-aaaaa', '2026-12-07T19:00:00Z')], { deletedAt: '2026-12-07T19:03:00Z' }),
    owner('Deployment', 'dep', [quota('dep-aaaaa', '2026-12-07T19:00:00Z')]),
  ], NOW), []);
});
