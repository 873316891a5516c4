import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFileName, parsePodDirName, formatPodDirName } from '../../../src/store/layout.ts';

const UID = '0b0f3f0e-6f2c-4e3a-9c1d-2a7e8b9c0d11';

test('pod folder names: <namespace>_<pod>_<uid>', () => {
  const cases: [string, ReturnType<typeof parsePodDirName>][] = [
    [`flink-jobs_orders-enrich-taskmanager-1-1_${UID}`, { namespace: 'flink-jobs', name: 'orders-enrich-taskmanager-1-1', uid: UID }],
    [`default_web.v2-0_${UID}`, { namespace: 'default', name: 'web.v2-0', uid: UID }],
    [`a_b_${UID}`, { namespace: 'a', name: 'b', uid: UID }],
    [`Flink_pod_${UID}`, undefined], // upper case is not a DNS-1123 label
    [`ns_pod_not-a-uid`, undefined],
    [`ns_pod_extra_${UID}`, undefined],
    [`ns_pod`, undefined],
    [`.._pod_${UID}`, undefined],
    [`ns_-pod_${UID}`, undefined],
    [`${'a'.repeat(64)}_pod_${UID}`, undefined], // namespace longer than 63
    ['', undefined],
  ];
  for (const [name, want] of cases) assert.deepEqual(parsePodDirName(name), want, name);
  assert.equal(formatPodDirName({ namespace: 'a', name: 'b', uid: UID }), `a_b_${UID}`);
});

test('file kinds: live, rotated, compressed', () => {
  const cases: [string, string][] = [
    ['taskmanager.log', 'live'],
    ['jobmanager.out', 'live'],
    ['gc.log', 'live'],
    ['gc.log.0.current', 'live'],
    ['taskmanager.log.1', 'rotated'],
    ['taskmanager.log.10', 'rotated'],
    ['gc.log.0', 'rotated'],
    ['app.log-20240501', 'rotated'],
    ['app.2024-05-01.log', 'rotated'],
    ['app.log.2024-05-01-1', 'rotated'],
    ['taskmanager.log.2.gz', 'compressed'],
    ['app.log-20240501.gz', 'compressed'],
    ['0.log', 'live'],
  ];
  for (const [name, kind] of cases) assert.equal(classifyFileName(name), kind, name);
});
