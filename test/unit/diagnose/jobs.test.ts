/**
 * Jobs, CronJobs and the rule that no Warning is left unexplained. Messages are verbatim: the Job controller
 * (pkg/controller/job/job_controller.go: the Failed condition's reason and message as a Warning Event,
 * "Deleted pod: %v", "Created pod: %v"; pod_failure_policy.go "Container %s for pod %s/%s failed with exit code
 * %v matching %v rule at index %d"), the CronJob controller (cronjob_controllerv2.go "Missed scheduled time to
 * start a job: %s", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock
 * skew"), the Eviction API (pkg/registry/core/pod/storage/eviction.go DisruptionTarget "Eviction API:
 * evicting"), the kubelet (pkg/kubelet/network/dns/dns.go DNSConfigForming "Nameserver limits were exceeded,
 * some nameservers have been omitted, the applied nameserver line is: %s").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { parsePodFailurePolicy } from '../../../src/diagnose/rules/jobs.ts';
import { ago, ev, NOW, NS, pod, ready } from './fixtures.ts';

const JOB = { kind: 'Job', name: 'nightly-report-28901234', component: 'job-controller' };
const JOB_POD = 'nightly-report-28901234-x7k2p';
const jobOwned = { ownerReferences: [{ kind: 'Job', name: JOB.name, controller: true }] };

test('Job deadline, Events only: the Job is the subject and its deadline the finding (never "no problem found")', () => {
  const events = [
    ev('SuccessfulCreate', `Created pod: ${JOB_POD}`, { ...JOB, type: 'Normal', at: ago(12) }),
    ev('SuccessfulDelete', `Deleted pod: ${JOB_POD}`, { ...JOB, type: 'Normal', at: ago(2) }),
    ev('DeadlineExceeded', 'Job was active longer than specified deadline', { ...JOB, at: ago(2), count: 2 }),
  ];
  const d = diagnose({ events, now: NOW, objects: [{ kind: 'Job', metadata: { name: JOB.name, namespace: NS }, spec: { activeDeadlineSeconds: 600 } }] });
  assert.equal(d.subject.kind, 'Job');
  assert.equal(d.severity, 'critical');
  assert.deepEqual(d.findings.map((f) => f.class), ['DeadlineExceeded']);
  assert.match(d.headline, /^Job nightly-report-28901234 ran longer than its deadline of 600s \(spec\.activeDeadlineSeconds\), so the Job controller failed it and stopped its running pods \(deleted nightly-report-28901234-x7k2p\), 2m ago\.$/);
  assert.match(d.findings[0]!.fix, /Raise the Job's spec\.activeDeadlineSeconds \(now 600s\)/);
  assert.ok(d.findings[0]!.evidence.some((e) => e.ref === 'Warning DeadlineExceeded (x2) on Job/nightly-report-28901234' && e.text === 'Job was active longer than specified deadline'));
});

test('Job backoff limit, from the Job object\'s Failed condition when the Events have expired', () => {
  const job = {
    kind: 'Job', metadata: { name: JOB.name, namespace: NS }, spec: { backoffLimit: 3 },
    status: { failed: 4, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: ago(90) }] },
  };
  const p = pod({ name: JOB_POD, phase: 'Failed', metadata: jobOwned, spec: { restartPolicy: 'Never' }, statuses: [{ name: 'main', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(95), finishedAt: ago(91) } } }] });
  const d = diagnose({ pod: p, events: [], objects: [job], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['ContainerFailed', 'JobFailed']);
  assert.match(d.findings[1]!.summary, /^Job nightly-report-28901234 failed: its pods failed 4 times, past spec\.backoffLimit \(3\), so it starts no more pods, 1h 30m ago\.$/);
  assert.ok(d.findings[1]!.evidence.some((e) => e.ref === 'Job/nightly-report-28901234 status.conditions[Failed].reason' && e.text === 'BackoffLimitExceeded'));
});

test('Job pod failure policy: names the container, its exit code and the rule', () => {
  const msg = `Container main for pod ${NS}/${JOB_POD} failed with exit code 42 matching FailJob rule at index 0`;
  assert.deepEqual(parsePodFailurePolicy(msg), { container: 'main', pod: JOB_POD, exitCode: 42, action: 'FailJob', index: 0 });
  const d = diagnose({ events: [ev('PodFailurePolicy', msg, { ...JOB })], now: NOW });
  assert.equal(d.findings[0]?.class, 'JobFailed');
  assert.match(d.headline, /failed at once: container main of pod nightly-report-28901234-x7k2p exited with exit code 42.*rule 0 \(action FailJob\) of spec\.podFailurePolicy/);
  assert.match(d.findings[0]!.fix, /spec\.podFailurePolicy\.rules\[0\]/);
});

test('CronJob missed schedules and TooManyMissedTimes', () => {
  const CJ = { kind: 'CronJob', name: 'nightly-report', component: 'cronjob-controller' };
  let d = diagnose({ events: [ev('MissSchedule', 'Missed scheduled time to start a job: Wed, 01 May 2024 11:00:00 +0000', { ...CJ, count: 3 })], now: NOW });
  assert.equal(d.findings[0]?.class, 'CronJobMissedSchedule');
  assert.match(d.headline, /^CronJob nightly-report missed 3 scheduled runs \(last: Wed, 01 May 2024 11:00:00 \+0000\)/);
  d = diagnose({ events: [ev('TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew', { ...CJ })], now: NOW });
  assert.equal(d.severity, 'critical');
  assert.match(d.headline, /has stopped starting Jobs: it missed more than 100 scheduled runs/);
  assert.match(d.findings[0]!.fix, /spec\.startingDeadlineSeconds/);
});

test('a pod stuck Terminating because its Job\'s deadline passed is the Job\'s deadline, not a lost node', () => {
  const p = pod({ name: JOB_POD, metadata: { ...jobOwned, deletionTimestamp: ago(20) }, spec: { restartPolicy: 'Never' }, conditions: ready(30), statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(31) } } }] });
  const events = [
    ev('DeadlineExceeded', 'Job was active longer than specified deadline', { ...JOB, at: ago(21) }),
    ev('SuccessfulDelete', `Deleted pod: ${JOB_POD}`, { ...JOB, type: 'Normal', at: ago(21) }),
    ev('Killing', 'Stopping container main', { type: 'Normal', container: 'main', name: JOB_POD, at: ago(20) }),
  ];
  const d = diagnose({ pod: p, events, now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['DeadlineExceeded']);
  assert.match(d.headline, /^Job nightly-report-28901234 ran longer than its deadline .*Pod flink-jobs\/nightly-report-28901234-x7k2p is one of the pods it stopped \(SuccessfulDelete\); it has been terminating for 20m/);
  assert.doesNotMatch(JSON.stringify(d.findings), /NodeNotReady|cut off/);
});

test('without any Job or node evidence a long Terminating pod still points at its node', () => {
  const p = pod({ metadata: { deletionTimestamp: ago(20) }, conditions: ready(30), statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(31) } } }] });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'NodeLost');
});

test('a Warning no rule knows becomes a finding of its own; a healthy pod with one is not "ok"', () => {
  const msg = 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.0.0.10 10.0.0.11 10.0.0.12';
  const p = pod({ conditions: ready(30), statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(31) } } }] });
  const d = diagnose({ pod: p, events: [ev('DNSConfigForming', msg, { count: 14, first: ago(25), at: ago(1) })], now: NOW });
  assert.equal(d.severity, 'info');
  assert.deepEqual(d.findings.map((f) => f.class), ['UnexplainedWarning']);
  assert.match(d.headline, /^Pod flink-jobs\/orders-tm-1-1 is running and ready, but a Warning DNSConfigForming on Pod orders-tm-1-1 is not explained by any known failure: .*"Nameserver limits were exceeded/);
  assert.match(d.headline, /\(14 times over 24m, last 60s ago\)/);
  assert.match(d.findings[0]!.fix, /kubectl describe pod orders-tm-1-1 -n flink-jobs/);
  assert.equal(d.findings[0]!.evidence[0]!.text, msg);
});

test('Warnings explained by a finding do not repeat; a crash loop stays one finding', () => {
  const p = pod({ conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=main pod=x' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(3), finishedAt: ago(2) } } }] });
  const d = diagnose({ pod: p, events: [ev('BackOff', 'Back-off restarting failed container main in pod orders-tm-1-1_flink-jobs(6f1c3a2e)', { container: 'main', count: 9 })], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['CrashLoopBackOff']);
});

test('ReplicaSet ReplicaFailure condition without Events names the quota', () => {
  const rs = {
    kind: 'ReplicaSet', metadata: { name: 'orders-7d9f8b6c4d', namespace: NS },
    status: { conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "orders-7d9f8b6c4d-x2x2x" is forbidden: exceeded quota: compute, requested: requests.memory=8Gi, used: requests.memory=60Gi, limited: requests.memory=64Gi', lastTransitionTime: ago(10) }] },
  };
  const p = pod({ name: 'orders-7d9f8b6c4d-abcde', metadata: { ownerReferences: [{ kind: 'ReplicaSet', name: 'orders-7d9f8b6c4d' }] }, conditions: ready(30), statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(31) } } }] });
  const d = diagnose({ pod: p, events: [], objects: [rs], now: NOW });
  assert.notEqual(d.severity, 'ok');
  assert.equal(d.findings[0]?.class, 'QuotaExceeded');
  assert.match(d.headline, /^ReplicaSet orders-7d9f8b6c4d reports ReplicaFailure=True \(FailedCreate\): it cannot create pods because the namespace's ResourceQuota compute is full/);
});

test('DisruptionTarget by the Eviction API is said in plain words', () => {
  const p = pod({ conditions: [...ready(30), { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: ago(1) }], statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(31) } } }] });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'Disrupted');
  assert.match(d.headline, /is being stopped by Kubernetes: it is being evicted through the Eviction API \(kubectl drain/);
  assert.match(d.findings[0]!.fix, /PodDisruptionBudget/);
});

test('podlog diagnose --objects: a Job List gives the Job\'s deadline for Events that have expired', async () => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { PassThrough, Readable } = await import('node:stream');
  const { runDiagnose } = await import('../../../src/diagnose/cli.ts');
  const dir = await mkdtemp(join(tmpdir(), 'podlog-diagnose-objects-'));
  try {
    const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: JOB.name, namespace: NS }, spec: { activeDeadlineSeconds: 600 }, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', lastTransitionTime: ago(5) }] } };
    await writeFile(join(dir, 'objects.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [job] }));
    await writeFile(join(dir, 'pod.json'), JSON.stringify(pod({ name: JOB_POD, metadata: { ...jobOwned, deletionTimestamp: ago(5) }, conditions: ready(30), statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: ago(31) } } }] })));
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ items: [{ name: 'x' }] }));
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await runDiagnose({ pod: join(dir, 'pod.json'), objects: join(dir, 'objects.json'), now: NOW.toISOString(), output: 'text', stdin: Readable.from(['']), stdout, stderr: new PassThrough() });
    assert.equal(code, 0);
    assert.match(out, /^Job nightly-report-28901234 ran longer than its deadline of 600s/);
    const stderr = new PassThrough();
    let err = '';
    stderr.on('data', (c: Buffer) => (err += c.toString()));
    assert.equal(await runDiagnose({ pod: join(dir, 'pod.json'), objects: join(dir, 'bad.json'), output: 'text', stdin: Readable.from(['']), stdout: new PassThrough(), stderr }), 2);
    assert.match(err, /bad\.json: expected Kubernetes objects with a kind/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Events only about another kind of object: its Warnings are never an all-clear', () => {
  // pkg/kubelet/kubelet_node_status.go / cm: Warning InvalidDiskCapacity "invalid capacity 0 on image filesystem".
  const d = diagnose({ events: [ev('InvalidDiskCapacity', 'invalid capacity 0 on image filesystem', { kind: 'Node', name: 'node-a' })], now: NOW });
  assert.equal(d.subject.kind, 'Node');
  assert.notEqual(d.severity, 'ok');
  assert.match(d.headline, /^A Warning InvalidDiskCapacity on Node node-a is not explained by any known failure: kubelet reported InvalidDiskCapacity — "invalid capacity 0 on image filesystem"/);
});
