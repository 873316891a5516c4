/**
 * The Flink job story on real JobManager logs (fixtures/flink/jobs, made by
 * scripts/flink-fixtures/make-fixtures.sh from a Flink 1.20.3 session cluster whose jobs fail on purpose), and
 * its joins with Kubernetes pods and Events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { JobLogScanner, MAX_JOBS, MAX_TRANSITIONS, type JobLogSummary } from '../../../src/flink/job-log.ts';
import { scanJobManagerFiles, scanStream } from '../../../src/flink/read-log.ts';
import { jobStory, MAX_STORY_CHARS } from '../../../src/flink/job-story.ts';
import { renderJobText } from '../../../src/flink/render.ts';
import type { EventJson, PodJson } from '../../../src/diagnose/types.ts';

const JOBS = join(import.meta.dirname, '../../../fixtures/flink/jobs');
const NOW = new Date('2026-12-07T19:00:00Z');

async function scan(scenario: string): Promise<JobLogSummary> {
  const root = join(JOBS, scenario);
  return scanJobManagerFiles([{ root, path: join(root, 'jobmanager.log'), name: 'jobmanager.log' }]);
}

/** The line at a byte offset of a fixture file. */
function lineAt(scenario: string, offset: number): string {
  const buf = readFileSync(join(JOBS, scenario, 'jobmanager.log'));
  const end = buf.indexOf(10, offset);
  return buf.subarray(offset, end < 0 ? buf.length : end).toString('utf8');
}

test('map-exception: fixed-delay restarts exhausted, root cause is the innermost Caused by, at its offset', async () => {
  const log = await scan('map-exception');
  assert.equal(log.jobs.length, 1);
  const j = log.jobs[0]!;
  assert.equal(j.name, 'orders-enrich');
  assert.match(j.jobId, /^[0-9a-f]{32}$/);
  assert.equal(j.state, 'FAILED');
  assert.deepEqual(j.transitions.map((t) => t.to), ['RUNNING', 'RESTARTING', 'RUNNING', 'RESTARTING', 'RUNNING', 'RESTARTING', 'RUNNING', 'FAILING', 'FAILED']);
  assert.equal(j.restarts, 3);
  assert.equal(j.restartStrategy?.kind, 'fixed-delay');
  assert.equal(j.restartStrategy?.params['maxNumberRestartAttempts'], 3);
  assert.match(j.exhausted?.text ?? '', /^Recovery is suppressed by FixedDelayRestartBackoffTimeStrategy\(maxNumberRestartAttempts=3, backoffTimeMS=5000\)/);
  assert.match(j.lastFailure?.rootCause ?? '', /^java\.io\.IOException: INJECTED FAILURE \(podlog fixture\): fx rate lookup for \w+ failed after 300 records$/);
  assert.equal(j.lastFailure?.taskManager, 'orders-retry-taskmanager-1-1');
  const place = j.lastFailure!.rootCausePlace!;
  assert.match(lineAt('map-exception', place.offset), /^Caused by: java\.io\.IOException: INJECTED FAILURE/);
  assert.ok(j.checkpoints.completed >= 1);
  assert.equal(j.checkpoints.expired, 0);

  const d = jobStory({ namespace: 'flink-jobs', job: 'orders-retry', log, logSource: { pod: 'orders-retry-5c8d7f9b6-q4v2n', files: ['jobmanager.log'] }, pods: [], events: [], now: NOW });
  assert.equal(d.severity, 'critical');
  assert.match(d.headline, /^Job orders-enrich \([0-9a-f]{32}\) FAILED after 3 restarts \(fixed-delay strategy exhausted\): java\.io\.IOException: INJECTED FAILURE/);
  const root = d.story.find((s) => s.text.startsWith('Root cause'));
  assert.equal(root?.place?.offset, place.offset);
  assert.equal(root?.place?.pod, 'orders-retry-5c8d7f9b6-q4v2n');
  assert.match(d.story.map((s) => s.text).join(' '), /restarted 3 times under the fixed-delay \(3 attempts, 5 s apart\) restart strategy; then the strategy gave up/);
});

test('checkpoint-expired: expiries counted, failure-rate exhausted, the story names the checkpoint timeout', async () => {
  const log = await scan('checkpoint-expired');
  const j = log.jobs[0]!;
  assert.equal(j.name, 'ledger-sync');
  assert.equal(j.state, 'FAILED');
  assert.equal(j.checkpoints.completed, 0);
  assert.equal(j.checkpoints.expired, 3);
  assert.equal(j.checkpoints.lastProblem?.kind, 'expired');
  assert.match(lineAt('checkpoint-expired', j.checkpoints.lastProblem!.offset), /Checkpoint 3 of job [0-9a-f]{32} expired before completing\./);
  assert.equal(j.restartStrategy?.kind, 'failure-rate');
  assert.deepEqual(j.restartStrategy?.params, { failuresIntervalMS: 600000, backoffTimeMS: 2000, maxFailuresPerInterval: 2 });
  assert.ok(j.exhausted);
  assert.match(j.lastFailure?.rootCause ?? '', /Exceeded checkpoint tolerable failure threshold/);
  const d = jobStory({ namespace: 'flink-jobs', job: 'ledger-sync', log, pods: [], events: [], now: NOW });
  assert.match(d.headline, /^Job ledger-sync \([0-9a-f]{32}\) FAILED after 2 restarts \(failure-rate strategy exhausted\): its checkpoints kept failing \(expired\)\.$/);
  const text = d.story.map((s) => s.text).join('\n');
  assert.match(text, /3 expired before completing \(longer than execution\.checkpointing\.timeout\)/);
  assert.match(text, /failure-rate \(at most 2 failures per 10 min, 2 s apart\)/);
  assert.match(text, /execution\.checkpointing\.tolerable-failed-checkpoints/);
});

test('not-enough-slots: NoResourceAvailableException, slot pool figures quoted', async () => {
  const log = await scan('not-enough-slots');
  const j = log.jobs[0]!;
  assert.equal(j.name, 'clickstream-sessions');
  assert.equal(j.state, 'FAILED');
  assert.equal(j.slotTimeouts, 1);
  assert.match(j.lastFailure?.rootCause ?? '', /^org\.apache\.flink\.runtime\.jobmanager\.scheduler\.NoResourceAvailableException: Could not acquire the minimum required resources\.$/);
  const d = jobStory({ namespace: 'flink-jobs', job: 'clickstream-sessions', log, pods: [], events: [], now: NOW });
  assert.match(d.headline, /FAILED after 1 restart \(fixed-delay strategy exhausted\): it could not get enough task slots\./);
  assert.match(d.story.map((s) => s.text).join('\n'), /the slot pool had Registered TMs: \d+, registered slots: \d+,? free slots: \d+/);
});

test('the rotated orders-enrich JobManager log (.gz included) reads as one story, oldest file first', async () => {
  const root = join(import.meta.dirname, '../../../fixtures/flink/root');
  const dir = join(root, 'flink-jobs_orders-enrich-6d5f7b9c8-x2kqp_3f6c2a8e-9b1d-4e57-a0c4-7d2e5b91f638/flink-main-container');
  const names = ['jobmanager.log.1.gz', 'jobmanager.log.2', 'jobmanager.log.3', 'jobmanager.log'];
  const log = await scanJobManagerFiles(names.map((name) => ({ root, path: join(dir, name), name })));
  const j = log.jobs[0]!;
  assert.equal(j.first.file, 'jobmanager.log.1.gz');
  assert.equal(j.state, 'FAILED');
  assert.equal(j.restarts, 3);
  assert.match(j.lastFailure?.rootCause ?? '', /INJECTED FAILURE .* failed after 2000 records/);
});

function pod(name: string, component: 'jobmanager' | 'taskmanager', status: PodJson['status']): PodJson {
  return { kind: 'Pod', metadata: { name, namespace: 'flink-jobs', uid: `uid-${name}`, labels: { type: 'flink-native-kubernetes', app: 'orders-retry', component } }, spec: { containers: [{ name: 'flink-main-container' }] }, status };
}

test('Kubernetes: Pending TaskManagers while the job waits for slots give one sentence with the scheduler\'s reason', async () => {
  const log = await scan('not-enough-slots');
  const pending = (n: number) => pod(`orders-retry-taskmanager-1-${n}`, 'taskmanager', { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/12 nodes are available: 12 Insufficient memory.' }] });
  const events: EventJson[] = [{ reason: 'FailedScheduling', type: 'Warning', message: '0/12 nodes are available: 12 Insufficient memory. preemption: 0/12 nodes are available: 12 No preemption victims found for incoming pod.', involvedObject: { kind: 'Pod', name: 'orders-retry-taskmanager-1-2', namespace: 'flink-jobs' }, lastTimestamp: '2026-12-07T18:21:55Z', count: 4 }];
  const d = jobStory({ namespace: 'flink-jobs', job: 'orders-retry', log, pods: [pending(1), pending(2), pending(3), pending(4)], events, now: NOW });
  const s = d.story.find((x) => x.text.includes('Pending'));
  assert.match(s?.text ?? '', /^The job could not get slots: its 4 TaskManager pods are Pending — 0\/12 nodes are available: 12 Insufficient memory/);
  assert.match(d.headline, /could not get slots: 4 TaskManager pods are Pending/);
  assert.equal(d.pods.length, 4);
  assert.ok(d.pods.every((p) => p.role === 'taskmanager'));
});

test('Kubernetes: an OOMKilled TaskManager is tied to the restart it caused; a crashed JobManager shows its last lines', async () => {
  const log = await scan('map-exception');
  const j = log.jobs[0]!;
  const restart = j.transitions.find((t) => t.to === 'RESTARTING')!;
  const restartMs = Date.parse(`${restart.at!.slice(0, 10)}T${restart.at!.slice(11, 19)}Z`);
  const oom = pod('orders-retry-taskmanager-1-2', 'taskmanager', {
    phase: 'Running',
    containerStatuses: [{ name: 'flink-main-container', ready: true, restartCount: 1, state: { running: { startedAt: new Date(restartMs + 20_000).toISOString() } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: new Date(restartMs - 2_000).toISOString() } } }],
  });
  const jm = pod('orders-retry-5c8d7f9b6-q4v2n', 'jobmanager', {
    phase: 'Running',
    containerStatuses: [{ name: 'flink-main-container', ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2026-12-07T18:30:00Z' } } }],
  });
  const d = jobStory({ namespace: 'flink-jobs', job: 'orders-retry', log, logSource: { pod: 'orders-retry-5c8d7f9b6-q4v2n', files: ['jobmanager.log'] }, pods: [oom, jm], events: [], now: NOW });
  const tm = d.story.find((s) => s.text.startsWith('TaskManager pod orders-retry-taskmanager-1-2'));
  assert.match(tm?.text ?? '', /was OOMKilled \(exit code 137, SIGKILL\).*; the job restarted at \d\d:\d\d:\d\d because of it\./);
  assert.equal(tm?.place?.offset, restart.offset);
  const crash = d.story.find((s) => s.text.startsWith('The JobManager pod'));
  assert.match(crash?.text ?? '', /crashed: Error \(exit code 1\) at 18:30:00\. Its log ends with:\n/);
  assert.ok(crash!.text.includes(log.tail[log.tail.length - 1]!.slice(0, 100)));
  assert.equal(d.severity, 'critical');
});

test('bounded memory: many jobs, many transitions and a huge line keep the summary bounded', async () => {
  const s = new JobLogScanner();
  const lines: string[] = [];
  for (let i = 0; i < MAX_JOBS + 20; i++) {
    const id = i.toString(16).padStart(32, '0');
    lines.push(`2026-01-01 00:00:00,000 INFO  org.apache.flink.runtime.dispatcher.StandaloneDispatcher     [] - Submitting job 'j${i}' (${id}).`);
    for (let k = 0; k < MAX_TRANSITIONS; k++) {
      lines.push(`2026-01-01 00:00:01,000 INFO  org.apache.flink.runtime.executiongraph.ExecutionGraph       [] - Job j${i} (${id}) switched from state RUNNING to RESTARTING.`);
    }
  }
  lines.push(`2026-01-01 00:00:02,000 ERROR x [] - ${'y'.repeat(5_000_000)}`);
  await scanStream(Readable.from([Buffer.from(lines.join('\n') + '\n')]), 'jobmanager.log', s);
  const sum = s.summary();
  assert.equal(sum.jobs.length, MAX_JOBS);
  assert.equal(sum.jobsDropped, 20);
  assert.ok(sum.jobs.every((j) => j.transitions.length <= MAX_TRANSITIONS && j.transitionCount === MAX_TRANSITIONS));
  assert.ok(sum.tail.every((l) => l.length <= 500));
  assert.equal(sum.jobs[sum.jobs.length - 1]!.name, `j${MAX_JOBS + 19}`);
});

test('the story stays within its prose budget and renders as text', async () => {
  const log = await scan('map-exception');
  const d = jobStory({ namespace: 'flink-jobs', job: 'orders-retry', log, pods: [], events: [], now: NOW });
  const prose = d.headline.length + d.story.reduce((n, s) => n + s.text.length, 0);
  assert.ok(prose <= MAX_STORY_CHARS, `${prose} characters`);
  const text = renderJobText(d);
  assert.match(text, /^Job orders-enrich .* FAILED/);
  assert.match(text, /What happened:\n- Job orders-enrich/);
  assert.match(text, /\[jobmanager\.log:\d+ @\d+\]/);
});

test('a log that names no job, and no log at all, say so', () => {
  const s = new JobLogScanner();
  s.feed('2026-01-01 00:00:00,000 INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint        [] - Starting StandaloneSessionClusterEntrypoint.', { file: 'jobmanager.log', offset: 0 });
  const d1 = jobStory({ namespace: 'ns', job: 'c', log: s.summary(), pods: [], events: [], now: NOW });
  assert.match(d1.headline, /names no job yet/);
  const d2 = jobStory({ namespace: 'ns', job: 'c', pods: [], events: [], now: NOW });
  assert.match(d2.headline, /^No JobManager log of Flink cluster ns\/c is held here/);
  assert.equal(d2.severity, 'info');
});

test('a JobManager that crashed and started again: its last lines are those before the new start', async () => {
  const lines = readFileSync(join(JOBS, 'map-exception', 'jobmanager.log'), 'utf8').split('\n');
  const crash = '2026-12-07 18:20:50,000 ERROR org.apache.flink.runtime.entrypoint.ClusterEntrypoint        [] - Fatal error occurred in the cluster entrypoint.\njava.lang.OutOfMemoryError: Java heap space';
  const text = [...lines.slice(0, 300), crash, ...lines.slice(0, 120)].join('\n') + '\n';
  const s = new JobLogScanner();
  await scanStream(Readable.from([Buffer.from(text)]), 'jobmanager.log', s);
  const log = s.summary();
  assert.equal(log.starts, 2);
  assert.equal(log.tailBeforeRestart?.at(-1), 'java.lang.OutOfMemoryError: Java heap space');
  const jm = pod('orders-retry-5c8d7f9b6-q4v2n', 'jobmanager', {
    phase: 'Running',
    containerStatuses: [{ name: 'flink-main-container', ready: true, restartCount: 1, state: { running: { startedAt: '2026-12-07T18:20:55Z' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-12-07T18:20:51Z' } } }],
  });
  const d = jobStory({ namespace: 'flink-jobs', job: 'orders-retry', log, pods: [jm], events: [], now: NOW });
  const s2 = d.story.find((x) => x.text.startsWith('The JobManager pod'));
  assert.match(s2?.text ?? '', /crashed: OOMKilled \(exit code 137, SIGKILL\) at 18:20:51\. Its log ends with:\n(?:.*\n)*  java\.lang\.OutOfMemoryError: Java heap space$/);
});

test('TaskManagers the JobManager lost are named; an evicted one is tied to the restart it caused', async () => {
  const root = join(import.meta.dirname, '../../../fixtures/flink/root');
  const dir = join(root, 'flink-jobs_fraud-detector-7c9d4f6b5-m8wzt_5b1e7d23-a4c9-4f06-8e3b-2d9a6f4c1e85/flink-main-container');
  const log = await scanJobManagerFiles(['jobmanager.log.1', 'jobmanager.log.2', 'jobmanager.log'].map((name) => ({ root, path: join(dir, name), name })));
  const j = log.jobs[0]!;
  assert.equal(j.state, 'FINISHED');
  assert.equal(j.restarts, 2);
  assert.ok(log.taskManagerLosses.some((l) => l.taskManager === 'fraud-detector-taskmanager-1-2'));
  const plain = jobStory({ namespace: 'flink-jobs', job: 'fraud-detector', log, pods: [], events: [], now: NOW });
  assert.match(plain.headline, /^Job fraud-detector \([0-9a-f]{32}\) FINISHED after 2 restarts\.$/);
  assert.ok(plain.story.some((s) => /^The JobManager lost TaskManager fraud-detector-taskmanager-1-2 at \d\d:\d\d:\d\d \("TaskManager with id fraud-detector-taskmanager-1-2 is no longer reachable\."\)/.test(s.text)));
  const restart = j.transitions.find((t) => t.to === 'RESTARTING')!;
  const at = new Date(Date.parse(`${restart.at!.slice(0, 10)}T${restart.at!.slice(11, 19)}Z`) - 1_000).toISOString();
  const evicted = pod('fraud-detector-taskmanager-1-2', 'taskmanager', { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 63Mi.', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: at }] });
  const d = jobStory({ namespace: 'flink-jobs', job: 'fraud-detector', log, pods: [evicted], events: [], now: NOW });
  const s = d.story.find((x) => x.text.startsWith('TaskManager pod fraud-detector-taskmanager-1-2'));
  assert.match(s?.text ?? '', /was evicted by its node \("The node was low on resource: memory\. .*"\) at \d\d:\d\d:\d\d; the job restarted at \d\d:\d\d:\d\d because of it\./);
  assert.ok(!d.story.some((x) => x.text.startsWith('The JobManager lost TaskManager fraud-detector-taskmanager-1-2')), 'explained by the eviction');
});

test('the state path folds repeated restarts', async () => {
  const log = await scan('map-exception');
  const d = jobStory({ namespace: 'flink-jobs', job: 'orders-retry', log, pods: [], events: [], now: NOW });
  assert.ok(d.story.some((s) => s.text === 'States: CREATED → (RUNNING → RESTARTING) ×3 → RUNNING → FAILING → FAILED.'));
  assert.deepEqual(d.jobs[0]!.transitions.map((t) => t.to).slice(-2), ['FAILING', 'FAILED']);
});

test('the root cause is the innermost cause of the main chain, not of a suppressed exception', () => {
  const s = new JobLogScanner();
  const id = 'ab'.repeat(16);
  const lines = [
    `2026-01-01 00:00:00,000 INFO  org.apache.flink.runtime.executiongraph.ExecutionGraph       [] - Job j (${id}) switched from state RUNNING to FAILING.`,
    'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy',
    '\tat org.apache.flink.runtime.executiongraph.failover.ExecutionFailureHandler.handleFailure(ExecutionFailureHandler.java:219)',
    'Caused by: java.lang.IllegalStateException: sink closed',
    '\tat com.example.Sink.write(Sink.java:10)',
    '\tSuppressed: java.io.IOException: close failed',
    '\t\tat com.example.Sink.close(Sink.java:20)',
    '\tCaused by: java.net.SocketException: Broken pipe',
    '\t\t... 3 more',
    `2026-01-01 00:00:01,000 INFO  org.apache.flink.runtime.executiongraph.ExecutionGraph       [] - Job j (${id}) switched from state FAILING to FAILED.`,
  ];
  let offset = 0;
  for (const l of lines) {
    s.feed(l, { file: 'jobmanager.log', offset });
    offset += Buffer.byteLength(l) + 1;
  }
  const j = s.summary().jobs[0]!;
  assert.equal(j.lastFailure?.rootCause, 'java.lang.IllegalStateException: sink closed');
  assert.equal(j.restartStrategy, undefined);
  assert.equal(j.exhausted?.text, 'Recovery is suppressed by NoRestartBackoffTimeStrategy');
});
