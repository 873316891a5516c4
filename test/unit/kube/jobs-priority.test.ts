import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { kubeDefaults } from '../../../src/kube/config.ts';
import { jobOf } from '../../../src/kube/jobs.ts';
import { createPriorityResolver, parsePriority, priorityOf } from '../../../src/kube/priority.ts';
import type { PodRecord, PodRecords } from '../../../src/kube/records.ts';

const cfg = kubeDefaults({ namespacePriorities: { 'flink-prod': 'P1' } });

test('jobOf: Flink labels, configured keys, pod-name fallback', () => {
  assert.deepEqual(jobOf({ labels: { app: 'wc', component: 'jobmanager', type: 'flink-native-kubernetes' } }, cfg), { id: 'wc', component: 'jobmanager', source: 'flink-labels' });
  assert.deepEqual(jobOf({ labels: { 'app.kubernetes.io/instance': 'etl', component: 'worker' } }, cfg), { id: 'etl', component: 'worker', source: 'label' });
  assert.deepEqual(jobOf({ labels: { 'batch.kubernetes.io/job-name': 'nightly' } }, cfg), { id: 'nightly', source: 'label' });
  assert.deepEqual(jobOf({ labels: {}, name: 'wc-taskmanager-1-2' }, cfg), { id: 'wc', component: 'taskmanager', source: 'pod-name' });
  assert.equal(jobOf({ labels: {} }, cfg), undefined);
  assert.deepEqual(jobOf({ labels: { team: 'x' } }, kubeDefaults({ jobLabelKeys: ['team'] })), { id: 'x', source: 'label' });
});

test('priorityOf: label, then annotation, then namespace default, then default; invalid ignored', () => {
  assert.equal(priorityOf({ 'podlog.io/priority': 'P0' }, { 'podlog.io/priority': 'P3' }, 'x', cfg), 'P0');
  assert.equal(priorityOf({}, { 'podlog.io/priority': ' p2 ' }, 'x', cfg), 'P2');
  assert.equal(priorityOf({ 'podlog.io/priority': 'urgent' }, {}, 'flink-prod', cfg), 'P1');
  assert.equal(priorityOf({}, {}, 'other', cfg), undefined);
  assert.equal(priorityOf({}, {}, 'other', kubeDefaults({ defaultPriority: 'P3' })), 'P3');
  assert.equal(priorityOf({ prio: 'P0' }, {}, 'other', kubeDefaults({ priorityKey: 'prio' })), 'P0');
  assert.equal(parsePriority('P4'), undefined);
});

test('createPriorityResolver: by exact generation, with a namespace/name fallback', () => {
  const rec: PodRecord = { version: 1, kind: 'Pod', namespace: 'flink-prod', name: 'wc-taskmanager-1-1', uid: 'u1', scope: 'node', firstSeen: '', lastSeen: '', events: [],
    pod: { metadata: { name: 'wc-taskmanager-1-1', labels: { app: 'wc', component: 'taskmanager', type: 'flink-native-kubernetes' }, annotations: { 'podlog.io/priority': 'P0' } } } };
  const records: PodRecords = { get: (ns, n, uid) => (uid === 'u1' && n === rec.name ? rec : undefined), list: () => [rec], onChange: () => () => undefined };
  const resolve = createPriorityResolver(records, cfg);
  assert.deepEqual(resolve({ namespace: 'flink-prod', name: 'wc-taskmanager-1-1', uid: 'u1' }),
    { priority: 'P0', jobId: 'wc', labels: rec.pod!.metadata!.labels, annotations: { 'podlog.io/priority': 'P0' }, recorded: true });
  assert.deepEqual(resolve({ namespace: 'flink-prod', name: 'wc-taskmanager-1-2', uid: 'u2' }), { priority: 'P1', jobId: 'wc', labels: {}, annotations: {}, recorded: false });
  assert.equal(resolve({ namespace: 'dev', name: 'redis-0', uid: 'u3' }), undefined);
});
