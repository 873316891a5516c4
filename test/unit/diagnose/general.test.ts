/**
 * Healthy pods, the recovery cut, Event shapes (core/v1 and events.k8s.io/v1), Normal Events across Kubernetes
 * versions (kubelet "Created container %s" before 1.32, "Created container: %s" since — pkg/kubelet/kuberuntime/
 * kuberuntime_container.go), quantities (k8s.io/apimachinery/pkg/api/resource/quantity.go), rendering.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rankFindings } from '../../../src/diagnose/index.ts';
import { diagnose } from './fixtures.ts';
import { normalizeEvent, eventsFrom } from '../../../src/diagnose/events.ts';
import { describeAmount, formatBytes, parseQuantity } from '../../../src/kube/quantity.ts';
import { renderText } from '../../../src/diagnose/render.ts';
import type { Finding } from '../../../src/diagnose/types.ts';
import { ago, ev, NOW, pod, ready, UID } from './fixtures.ts';

const running = (minutes: number) => [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(minutes) } } }];

test('healthy pod with only Normal Events of any Kubernetes version', () => {
  const events = [
    ev('Scheduled', 'Successfully assigned flink-jobs/orders-tm-1-1 to node-a', { type: 'Normal', component: 'default-scheduler', at: ago(60) }),
    ev('Pulled', 'Container image "registry.example.com/team/app:1.4.2" already present on machine', { type: 'Normal', container: 'main', at: ago(60) }),
    ev('Created', 'Created container main', { type: 'Normal', container: 'main', at: ago(60) }),
    ev('Created', 'Created container: main', { type: 'Normal', container: 'main', at: ago(60) }),
    ev('Started', 'Started container main', { type: 'Normal', container: 'main', at: ago(60) }),
  ];
  const d = diagnose({ pod: pod({ conditions: ready(59), statuses: running(60) }), events, now: NOW });
  assert.equal(d.severity, 'ok');
  assert.deepEqual(d.findings, []);
  assert.equal(d.headline, 'Pod flink-jobs/orders-tm-1-1 is healthy: its container is running and ready (up 60m).');
});

test('recovered pod: Events older than the latest recovery are past, not current', () => {
  const events = [
    ev('BackOff', 'Back-off restarting failed container main in pod orders-tm-1-1_flink-jobs(6f1c3a2e-0000-4000-8000-000000000001)', { container: 'main', at: ago(40), count: 5 }),
    ev('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { container: 'main', at: ago(35), count: 30 }),
    ev('FailedMount', 'MountVolume.SetUp failed for volume "tls" : secret "orders-tls" not found', { at: ago(50) }),
  ];
  const d = diagnose({ pod: pod({ conditions: ready(30), statuses: running(32) }), events, now: NOW });
  assert.equal(d.severity, 'ok');
  assert.equal(d.findings.length, 0);
  assert.deepEqual(d.past.map((f) => f.class).sort(), ['CrashLoopBackOff', 'ReadinessProbeFailed', 'VolumeMountFailed']);
  assert.ok(d.past.every((f) => f.past && f.severity === 'info'));
  assert.match(d.headline, /^Pod flink-jobs\/orders-tm-1-1 is healthy: .* Earlier it had trouble it recovered from: /);
  assert.ok(d.timeline.filter((t) => t.kind === 'event').every((t) => t.past));
});

test('Succeeded pod is healthy', () => {
  const d = diagnose({ pod: pod({ phase: 'Succeeded', statuses: [{ name: 'main', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: ago(10), finishedAt: ago(5) } } }] }), events: [], now: NOW });
  assert.equal(d.severity, 'ok');
  assert.match(d.headline, /completed successfully/);
});

test('events.k8s.io/v1 shape is normalised (note, regarding, deprecatedCount, series)', () => {
  const e = normalizeEvent({
    regarding: { kind: 'Pod', namespace: 'flink-jobs', name: 'orders-tm-1-1', uid: UID, fieldPath: 'spec.containers{main}' },
    note: 'Back-off restarting failed container main in pod orders-tm-1-1_flink-jobs(6f1c3a2e)',
    reason: 'BackOff',
    type: 'Warning',
    eventTime: '2024-05-01T11:00:00.000000Z',
    series: { count: 17, lastObservedTime: '2024-05-01T11:55:00.000000Z' },
    reportingController: 'kubelet',
    deprecatedCount: 3,
  });
  assert.equal(e.message.startsWith('Back-off restarting'), true);
  assert.equal(e.count, 17);
  assert.equal(e.container, 'main');
  assert.equal(e.lastMs, Date.parse('2024-05-01T11:55:00Z'));
  assert.equal(e.firstMs, Date.parse('2024-05-01T11:00:00Z'));
  assert.equal(e.source, 'kubelet');
  assert.equal(eventsFrom({ kind: 'EventList', items: [{ reason: 'x' }] }).length, 1);
  assert.equal(eventsFrom([{ reason: 'x' }, { reason: 'y' }]).length, 2);
  assert.equal(eventsFrom({ reason: 'x' }).length, 1);
  assert.equal(eventsFrom('nope').length, 0);
});

test('Events only, about a pod: subject is the pod with the newest Warning', () => {
  const msg = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
  const d = diagnose({ events: [ev('FailedScheduling', msg, { component: 'default-scheduler' }), ev('Scheduled', 'Successfully assigned x', { type: 'Normal', name: 'other-pod', at: ago(30) })], now: NOW });
  assert.equal(d.subject.name, 'orders-tm-1-1');
  assert.match(d.headline, /cannot be scheduled: of 3 nodes, 3 lack memory/);
});

test('no input', () => {
  const d = diagnose({ events: [], now: NOW });
  assert.match(d.headline, /Nothing to diagnose/);
});

test('ranking is root cause first and stable', () => {
  const f = (cls: Finding['class'], severity: Finding['severity'] = 'critical'): Finding => ({ class: cls, severity, summary: cls, evidence: [], fix: '' });
  assert.deepEqual(rankFindings([f('CrashLoopBackOff'), f('ReadinessProbeFailed', 'warning'), f('OOMKilled'), f('CreateContainerConfigError'), f('Unschedulable'), f('QuotaExceeded')]).map((x) => x.class),
    ['QuotaExceeded', 'Unschedulable', 'CreateContainerConfigError', 'OOMKilled', 'CrashLoopBackOff', 'ReadinessProbeFailed']);
});

test('quantities', () => {
  assert.equal(parseQuantity('8Gi'), 8 * 2 ** 30);
  assert.equal(parseQuantity('500m'), 0.5);
  assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
  assert.equal(parseQuantity('2e3'), 2000);
  assert.equal(parseQuantity('100M'), 1e8);
  assert.equal(parseQuantity(4), 4);
  assert.equal(parseQuantity('abc'), undefined);
  assert.equal(formatBytes(8 * 2 ** 30), '8Gi');
  assert.equal(formatBytes(1536 * 2 ** 20), '1.5Gi');
  assert.equal(describeAmount('cpu', '4'), '4 CPUs');
  assert.equal(describeAmount('cpu', '500m'), '500m CPU');
  assert.equal(describeAmount('memory', '8Gi'), '8Gi memory');
  assert.equal(describeAmount('memory', '1G'), '953.67Mi memory');
});

test('renderText: headline first, evidence quoted, fix, timeline', () => {
  const d = diagnose({ pod: pod({ phase: 'Pending', statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "db-credentials" not found' } } }] }), events: [ev('Failed', 'Error: secret "db-credentials" not found', { container: 'main', count: 6 })], now: NOW });
  const t = renderText(d);
  assert.ok(t.startsWith('Container main of pod flink-jobs/orders-tm-1-1 cannot be created: the Secret "db-credentials" it reads does not exist.\n'));
  assert.match(t, /Event Warning Failed \(x6\) on Pod\/orders-tm-1-1 container main \[2024-05-01T11:59:00Z\]: "Error: secret \\"db-credentials\\" not found"|Event Warning Failed \(x6\) on Pod\/orders-tm-1-1 container main \[2024-05-01T11:59:00Z\]: "Error: secret "db-credentials" not found"/);
  assert.match(t, /   Fix: Create the Secret db-credentials/);
  assert.match(t, /Timeline \(oldest first\):/);
  assert.ok(t.endsWith('\n'));
});

test('renderText neutralises terminal control characters from pod-written text', () => {
  const d = diagnose({
    pod: pod({ conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=main pod=x' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(2), finishedAt: ago(1) } } }] }),
    events: [],
    logTails: [{ container: 'main', file: 'app.log', lines: ['ERROR boom \u001b]0;owned\u0007 \u001b[2J'] }],
    now: NOW,
  });
  const t = renderText(d);
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(t));
  assert.match(t, /ERROR boom \uFFFD\]0;owned\uFFFD/);
});

test('pending while a large image is still being pulled', () => {
  // image_manager.go Normal Pulling "Pulling image %q" with no Pulled/Failed after it.
  const p = pod({ phase: 'Pending', statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });
  const d = diagnose({ pod: p, events: [ev('Pulling', 'Pulling image "flink:1.20.1-java17"', { type: 'Normal', container: 'main', at: ago(14) })], now: NOW });
  assert.equal(d.findings.length, 0);
  assert.equal(d.severity, 'warning');
  assert.match(d.headline, /is still pulling image flink:1\.20\.1-java17 for container main: started 14m ago/);
});

test('a pod being deleted', () => {
  const p = pod({ conditions: ready(30), metadata: { deletionTimestamp: ago(1) }, statuses: running(30) });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.match(d.headline, /is being deleted \(requested 60s ago\)/);
});

test('CrashLoopBackOff without a recorded last state does not invent an exit code', () => {
  const p = pod({ conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=main pod=x' } } }] });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.match(d.headline, /the exit code of its last run is no longer recorded/);
});

test('a namespace-wide EventList: other pods\' Events stay out of the findings and the timeline', () => {
  const p = pod({ conditions: ready(30), statuses: running(30) });
  const d = diagnose({
    pod: p,
    events: [
      ev('BackOff', 'Back-off restarting failed container main in pod other-0_flink-jobs(x)', { name: 'other-0', uid: 'other-uid', container: 'main' }),
      ev('FailedScheduling', '0/3 nodes are available: 3 Insufficient cpu.', { name: 'other-1', uid: 'other-uid-1' }),
      ev('Started', 'Started container main', { type: 'Normal', container: 'main', at: ago(30) }),
    ],
    now: NOW,
  });
  assert.equal(d.severity, 'ok');
  assert.deepEqual(d.past, []);
  assert.ok(d.timeline.every((t) => t.object === 'Pod/orders-tm-1-1'), JSON.stringify(d.timeline));
});

test('an unready pod: Events from long before it became unready are past', () => {
  const p = pod({
    conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', lastTransitionTime: ago(20) }],
    statuses: [{ name: 'main', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=main pod=x' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(3), finishedAt: ago(2) } } }],
  });
  const d = diagnose({ pod: p, events: [ev('Unhealthy', 'Liveness probe failed: HTTP probe failed with statuscode: 500', { container: 'main', at: ago(3 * 24 * 60), count: 40 }), ev('Killing', 'Container main failed liveness probe, will be restarted', { type: 'Normal', container: 'main', at: ago(3 * 24 * 60), count: 3 })], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['CrashLoopBackOff']);
  assert.match(d.headline, /exited with exit code 1, a generic application error/);
  assert.deepEqual(d.past.map((f) => f.class), ['LivenessProbeFailed']);
});
