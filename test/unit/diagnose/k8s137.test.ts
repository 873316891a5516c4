/**
 * Message formats of current Kubernetes (seen on 1.37): PersistentVolumeClaim messages with a stray
 * " not found", the scheduler's successful preemption ("preemption: found a potential placement for pod on
 * node %v, preempting %d victims", pkg/scheduler/framework/preemption), and events.k8s.io/v1 Events read
 * through core/v1 (`reportingComponent` set, `source` empty, `firstTimestamp`/`lastTimestamp` null,
 * `eventTime` and `series` set; the preemptor of a `Preempted` Event in `related`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeEvent } from '../../../src/diagnose/events.ts';
import { parseFitError, parsePreemptionPlacement, stripNotFound } from '../../../src/diagnose/rules/scheduling.ts';
import type { EventJson } from '../../../src/diagnose/types.ts';
import { ago, diagnose, ev, NOW, NS, pod, POD, UID } from './fixtures.ts';

const pending = (extra: Record<string, unknown> = {}) => pod({ phase: 'Pending', nodeName: null, spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }], ...extra } });

/** A scheduler Event as `kubectl get events -o json` shows an events.k8s.io/v1 Event on 1.37. */
function v1beta(reason: string, message: string, opts: { type?: string; series?: number; name?: string; uid?: string; related?: { name: string; uid: string } } = {}): EventJson {
  return {
    metadata: { name: `${opts.name ?? POD}.18a2b3c4d5e6f708`, namespace: NS, creationTimestamp: ago(10) },
    involvedObject: { kind: 'Pod', namespace: NS, name: opts.name ?? POD, uid: opts.uid ?? UID },
    reason,
    message,
    type: opts.type ?? 'Warning',
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    eventTime: `${ago(10).replace('Z', '')}.123456Z`,
    ...(opts.series ? { series: { count: opts.series, lastObservedTime: `${ago(1).replace('Z', '')}.654321Z` } } : {}),
    reportingComponent: 'default-scheduler',
    ...(opts.related ? { related: { kind: 'Pod', namespace: NS, name: opts.related.name, uid: opts.related.uid } } : {}),
    action: opts.related ? 'Preempting' : 'Scheduling',
  } as EventJson;
}

test('stray " not found" after PersistentVolumeClaim messages is parsed, not echoed', () => {
  assert.equal(stripNotFound('persistentvolumeclaim "data" not found. not found'), 'persistentvolumeclaim "data" not found');
  assert.deepEqual(parseFitError('pod has unbound immediate PersistentVolumeClaims. not found'), { reasons: [{ text: 'pod has unbound immediate PersistentVolumeClaims' }] });
  const cases: [string, RegExp][] = [
    ['0/3 nodes are available: persistentvolumeclaim "data" not found. not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.', /its PersistentVolumeClaim "data" does not exist/],
    ['persistentvolumeclaim "data" not found. not found', /its PersistentVolumeClaim "data" does not exist/],
    ['0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.', /its PersistentVolumeClaim is not bound to a volume/],
    ['pod has unbound immediate PersistentVolumeClaims. not found', /its PersistentVolumeClaim is not bound to a volume/],
  ];
  for (const [msg, re] of cases) {
    const d = diagnose({ pod: pending(), events: [ev('FailedScheduling', msg, { component: 'default-scheduler' })], now: NOW });
    assert.equal(d.findings[0]?.class, 'Unschedulable', msg);
    assert.match(d.headline, re, msg);
    assert.doesNotMatch(d.headline, /not found\. not found|\. not found/, msg);
  }
});

test('preemption in progress: "found a potential placement for pod on node …, preempting N victims"', () => {
  const msg = '0/2 nodes are available: 2 Insufficient cpu. preemption: found a potential placement for pod on node node-b, preempting 2 victims';
  assert.deepEqual(parsePreemptionPlacement(parseFitError(msg)?.preemption), { node: 'node-b', victims: 2 });
  const victim = v1beta('Preempted', `Preempted by pod ${UID} on node node-b`, { type: 'Normal', name: 'batch-778c68dbc-n4l8c', uid: 'b0000000-0000-4000-8000-000000000001', related: { name: POD, uid: UID } });
  const d = diagnose({ pod: pending(), events: [ev('FailedScheduling', msg, { component: 'default-scheduler' }), victim], now: NOW });
  assert.equal(d.severity, 'warning');
  assert.match(d.headline, /of 2 nodes, 2 lack CPU\. The scheduler is preempting 2 lower-priority pods on node node-b \(batch-778c68dbc-n4l8c\) to make room; the pod is placed once they have stopped\./);
});

test('events.k8s.io/v1 Events seen through core/v1: reportingComponent, eventTime, series', () => {
  const e = normalizeEvent(v1beta('FailedScheduling', '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.', { series: 7 }));
  assert.equal(e.source, 'default-scheduler');
  assert.equal(e.count, 7);
  assert.equal(e.firstMs, Date.parse(ago(10)) + 123);
  assert.equal(e.lastMs, Date.parse(ago(1)) + 654);
  const d = diagnose({ pod: pending({ volumes: [] }), events: [v1beta('FailedScheduling', '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.', { series: 7 })], now: NOW });
  assert.equal(d.findings[0]?.class, 'Unschedulable');
  assert.match(d.headline, /3 lack memory\. The scheduler has tried 7 times\. Preempting lower-priority pods would not help\./);
  assert.ok(d.timeline.some((t) => t.reason === 'FailedScheduling' && t.count === 7));
});

test('preempted victim: names the preemptor from the Event\'s related object and both PriorityClasses', () => {
  const PRE = 'b7d2c1a6-0000-4000-8000-0000000000ff';
  const victim = pod({ phase: 'Failed', spec: { priorityClassName: 'batch-low', priority: 100 }, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod', lastTransitionTime: ago(2) }] });
  const events = [v1beta('Preempted', `Preempted by pod ${PRE} on node node-a`, { type: 'Normal', related: { name: 'checkout-5d9f-abcde', uid: PRE } })];
  const objects = [{ kind: 'Pod', metadata: { name: 'checkout-5d9f-abcde', namespace: NS, uid: PRE }, spec: { priorityClassName: 'online-critical', priority: 1000000 } }];
  const d = diagnose({ pod: victim, events, objects, now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['Preempted']);
  assert.equal(d.headline, 'Pod flink-jobs/orders-tm-1-1 was preempted on node node-a: the scheduler stopped it to make room for pod checkout-5d9f-abcde of PriorityClass online-critical (priority 1000000); this pod has PriorityClass batch-low (priority 100).');
  assert.match(d.findings[0]!.fix, /spec\.priorityClassName, now batch-low\) at least that of online-critical, or add capacity so checkout-5d9f-abcde fits/);
  // Without `related` (older clusters): the uid is looked up in the Events of the namespace.
  const old = diagnose({ pod: victim, events: [ev('Preempted', `Preempted by pod ${PRE} on node node-a`, { type: 'Normal', component: 'default-scheduler' }), ev('Scheduled', 'Successfully assigned flink-jobs/checkout-5d9f-abcde to node-a', { type: 'Normal', name: 'checkout-5d9f-abcde', uid: PRE })], now: NOW });
  assert.match(old.headline, /to make room for pod checkout-5d9f-abcde;/);
});

test('preempted by the kubelet to admit a critical pod (pkg/kubelet/preemption/preemption.go)', () => {
  const p = pod({ phase: 'Failed', reason: 'Preempting', message: 'Preempted in order to admit critical pod', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message: 'Pod was preempted by Kubelet to accommodate a critical pod.', lastTransitionTime: ago(3) }] });
  const d = diagnose({ pod: p, events: [ev('Preempting', 'Preempted in order to admit critical pod', { at: ago(3) })], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['Preempted']);
  assert.match(d.headline, /^Pod flink-jobs\/orders-tm-1-1 was preempted by the kubelet on node node-a: a critical pod/);
});
