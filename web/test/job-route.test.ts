/** Hash routes of the job view and of Flink HistoryServer log links: parse and format are inverse. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRoute, parseRoute } from '../src/route.ts';

test('job view route', () => {
  assert.deepEqual(parseRoute('#/ns/flink-jobs/job/orders-retry'), { kind: 'job', namespace: 'flink-jobs', job: 'orders-retry' });
  assert.equal(formatRoute({ kind: 'job', namespace: 'flink-jobs', job: 'orders-retry' }), '#/ns/flink-jobs/job/orders-retry');
});

test('Flink log link routes; a malformed job id is not one', () => {
  const id = 'bc00db946403cc4e3a185499b566aacd';
  assert.deepEqual(parseRoute(`#/flink/jobs/${id}`), { kind: 'flink', jobId: id });
  assert.deepEqual(parseRoute(`#/flink/jobs/${id.toUpperCase()}/taskmanagers/orders-retry-taskmanager-1-1`), { kind: 'flink', jobId: id, taskManager: 'orders-retry-taskmanager-1-1' });
  assert.equal(formatRoute({ kind: 'flink', jobId: id, taskManager: 'tm-1' }), `#/flink/jobs/${id}/taskmanagers/tm-1`);
  assert.deepEqual(parseRoute('#/flink/jobs/not-an-id'), { kind: 'home' });
});
