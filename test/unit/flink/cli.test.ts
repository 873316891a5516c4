/** `podlog diagnose --job NS/JOB` offline: a real JobManager log (fixtures/flink/jobs) plus pods and Events JSON files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { runJobDiagnose } from '../../../src/flink/cli.ts';

const LOG = join(import.meta.dirname, '../../../fixtures/flink/jobs/not-enough-slots/jobmanager.log');

async function run(opts: Partial<Parameters<typeof runJobDiagnose>[0]>): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await runJobDiagnose({ job: 'flink-jobs/clickstream-sessions', jobManagerLogs: [], output: 'text', now: '2026-12-07T19:00:00Z', stdout, stderr, ...opts });
  return { code, out, err };
}

test('a JobManager log, a PodList and an EventList give the story with the Pending TaskManagers', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-jobcli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const labels = (component: string) => ({ type: 'flink-native-kubernetes', app: 'clickstream-sessions', component });
  writeFileSync(join(dir, 'pods.json'), JSON.stringify({
    kind: 'List',
    items: [
      { kind: 'Pod', metadata: { name: 'clickstream-sessions-6f2a8d4c9-t3r7m', namespace: 'flink-jobs', labels: labels('jobmanager') }, spec: { containers: [{ name: 'flink-main-container' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'flink-main-container', ready: true, restartCount: 0, state: { running: { startedAt: '2026-12-07T18:21:40Z' } } }] } },
      ...[2, 3].map((n) => ({ kind: 'Pod', metadata: { name: `clickstream-sessions-taskmanager-1-${n}`, namespace: 'flink-jobs', labels: labels('taskmanager') }, spec: { containers: [{ name: 'flink-main-container' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } })),
    ],
  }));
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ kind: 'EventList', items: [{ reason: 'FailedScheduling', type: 'Warning', message: '0/12 nodes are available: 12 Insufficient memory.', involvedObject: { kind: 'Pod', name: 'clickstream-sessions-taskmanager-1-2', namespace: 'flink-jobs' }, lastTimestamp: '2026-12-07T18:21:50Z' }] }));
  writeFileSync(join(dir, 'jobmanager.log.gz'), gzipSync(readFileSync(LOG)));
  const r = await run({ jobManagerLogs: [join(dir, 'jobmanager.log.gz')], pods: join(dir, 'pods.json'), events: join(dir, 'events.json') });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Job clickstream-sessions \([0-9a-f]{32}\) could not get slots: 2 TaskManager pods are Pending — 0\/12 nodes are available: 12 Insufficient memory\.\n/);
  assert.match(r.out, /Subject: Flink job flink-jobs\/clickstream-sessions, JobManager pod clickstream-sessions-6f2a8d4c9-t3r7m\./);
  assert.match(r.out, /NoResourceAvailableException: Could not acquire the minimum required resources\.  \[clickstream-sessions-6f2a8d4c9-t3r7m jobmanager\.log\.gz:\d+ @\d+\]/);
  assert.match(r.out, /\nPods:\n- \[critical\] clickstream-sessions-taskmanager-1-2 \(taskmanager, Pending\)/);
  const json = await run({ jobManagerLogs: [LOG], output: 'json' });
  assert.equal(json.code, 0);
  const d = JSON.parse(json.out);
  assert.equal(d.jobs[0].name, 'clickstream-sessions');
  assert.equal(d.jobs[0].state, 'FAILED');
});

test('bad input exits 2 with the file named', async () => {
  const noJob = await run({ job: 'clickstream-sessions', jobManagerLogs: [LOG] });
  assert.equal(noJob.code, 2);
  assert.match(noJob.err, /--job: expected NAMESPACE\/JOB/);
  const missing = await run({ jobManagerLogs: ['/nonexistent/jobmanager.log'] });
  assert.equal(missing.code, 2);
  assert.match(missing.err, /jobmanager\.log: cannot read the JobManager log: no such file/);
  const nothing = await run({});
  assert.equal(nothing.code, 2);
  assert.match(nothing.err, /give --jobmanager-log FILE/);
});
