import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { jobFromPodName } from '../../../src/kube/flink-names.ts';

test('jobFromPodName: Flink native Kubernetes JobManager and TaskManager pod names', () => {
  const cases: Array<[string, ReturnType<typeof jobFromPodName>]> = [
    ['wordcount-taskmanager-1-1', { clusterId: 'wordcount', component: 'taskmanager' }],
    ['my-flink-job-taskmanager-12-104', { clusterId: 'my-flink-job', component: 'taskmanager' }],
    ['wordcount-7c9b8d4f6d-x2x4z', { clusterId: 'wordcount', component: 'jobmanager' }],
    ['fraud-detection-prod-5d8f9c7b4-qwz2x', { clusterId: 'fraud-detection-prod', component: 'jobmanager' }],
    ['basic-example-taskmanager-6d9b8c-b2c4d', { clusterId: 'basic-example', component: 'taskmanager' }],
    ['redis-0', undefined],
    ['wordcount-taskmanager-x-1', undefined],
    ['wordcount-7c9b8d4f6d-x2x4a', undefined], // 'a' is not in the SafeEncodeString alphabet
    ['plain', undefined],
  ];
  for (const [name, want] of cases) assert.deepEqual(jobFromPodName(name), want, name);
});
