import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { eventCount, eventKey, eventLastSeenMs, mergeEvents, type KubeEvent } from '../../../src/kube/events.ts';

function ev(uid: string, last: string, extra: Partial<KubeEvent> = {}): KubeEvent {
  return { metadata: { uid, name: `p.${uid}`, namespace: 'ns', resourceVersion: `${uid}-${last}`, managedFields: [{ manager: 'kubelet' }] },
    involvedObject: { kind: 'Pod', name: 'p', uid: 'pod-1' }, reason: 'BackOff', lastTimestamp: last, ...extra };
}

test('last seen follows series, then lastTimestamp, eventTime, firstTimestamp', () => {
  assert.equal(eventLastSeenMs(ev('a', '2026-01-01T00:00:05Z', { series: { count: 3, lastObservedTime: '2026-01-01T00:01:00.000000Z' } })), Date.parse('2026-01-01T00:01:00Z'));
  assert.equal(eventLastSeenMs(ev('a', '2026-01-01T00:00:05Z')), Date.parse('2026-01-01T00:00:05Z'));
  assert.equal(eventLastSeenMs({ ...ev('a', ''), lastTimestamp: null, eventTime: '2026-01-01T00:00:07.123456Z' }), Date.parse('2026-01-01T00:00:07.123Z'));
  assert.equal(eventCount(ev('a', 'x', { count: 4 })), 4);
  assert.equal(eventCount(ev('a', 'x', { count: 4, series: { count: 9 } })), 9);
  assert.equal(eventKey({ metadata: { name: 'n', namespace: 'ns' }, involvedObject: {} }), 'ns/n');
});

test('mergeEvents replaces updates of one Event, sorts by last seen, bounds, drops managedFields', () => {
  const t0 = [ev('a', '2026-01-01T00:00:01Z'), ev('b', '2026-01-01T00:00:02Z')];
  const m1 = mergeEvents([], t0, 10);
  assert.equal(m1.changed, true);
  assert.equal(m1.events[0]!.metadata.managedFields, undefined);
  const same = mergeEvents(m1.events, [ev('a', '2026-01-01T00:00:01Z')], 10);
  assert.equal(same.changed, false, 'same resourceVersion is no change');
  const upd = mergeEvents(m1.events, [ev('a', '2026-01-01T00:00:09Z', { count: 7 })], 10);
  assert.deepEqual(upd.events.map((e) => [e.metadata.uid, e.count]), [['b', undefined], ['a', 7]]);
  const bounded = mergeEvents(upd.events, [ev('c', '2026-01-01T00:00:03Z'), ev('d', '2026-01-01T00:00:04Z')], 3);
  assert.deepEqual(bounded.events.map((e) => e.metadata.uid), ['c', 'd', 'a']);
});
