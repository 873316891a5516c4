import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { kubeDefaults } from '../../../src/kube/config.ts';
import type { PodRecord } from '../../../src/kube/records.ts';
import { podRecordSummary } from '../../../src/kube/summary.ts';

test('podRecordSummary: job, priority, state, restarts and exit codes of an OOMKilled, deleted TaskManager', () => {
  const rec: PodRecord = {
    version: 1, kind: 'Pod', namespace: 'flink', name: 'wc-taskmanager-1-1', uid: 'u1', scope: 'node', node: 'node-a',
    firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T01:00:00.000Z', deletedAt: '2026-01-01T01:00:00.000Z', events: [],
    pod: {
      metadata: { name: 'wc-taskmanager-1-1', labels: { app: 'wc', component: 'taskmanager', type: 'flink-native-kubernetes', 'podlog.io/priority': 'P1' } },
      status: {
        phase: 'Failed',
        initContainerStatuses: [{ name: 'init', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
        containerStatuses: [{ name: 'flink-main-container', restartCount: 2,
          state: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:59:00Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', signal: 9 } } }],
      },
    },
  };
  const s = podRecordSummary(rec, kubeDefaults());
  assert.equal(s.job, 'wc');
  assert.equal(s.component, 'taskmanager');
  assert.equal(s.priority, 'P1');
  assert.equal(s.state, 'deleted');
  assert.equal(s.phase, 'Failed');
  assert.equal(s.restarts, 2);
  assert.deepEqual(s.exitCodes, [0, 137]);
  assert.equal(s.terminations.filter((t) => t.reason === 'OOMKilled').length, 2);
  assert.equal(s.terminations.find((t) => t.last)!.signal, 9);
  assert.equal(s.node, 'node-a');
  assert.equal(podRecordSummary({ ...rec, deletedAt: undefined, pod: { metadata: {}, status: { phase: 'Running' } } }, kubeDefaults()).state, 'running');
  assert.equal(podRecordSummary({ ...rec, deletedAt: undefined, pod: undefined }, kubeDefaults()).state, 'unknown');
});
