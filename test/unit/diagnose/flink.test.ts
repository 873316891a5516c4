/**
 * Flink / JVM failures in log tails. Texts: JVM (java.lang.OutOfMemoryError "Java heap space", "Metaspace",
 * "Direct buffer memory"; java.io.IOException "No space left on device"), Flink flink-runtime
 * (JobMaster/ResourceManager heartbeat listeners: "Heartbeat of TaskManager with id %s timed out."; older "The
 * heartbeat of TaskManager with id %s timed out."; NoResourceAvailableException "Could not acquire the minimum
 * required resources."), and the API's quota text as Flink's KubernetesResourceManagerDriver logs the fabric8
 * KubernetesClientException ("Failure executing: POST at: %s. Message: %s. Received status: …"). The log-line
 * prefixes are Flink's default log4j2 layout (`%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ago, diagnose, NOW, pod, ready } from './fixtures.ts';

const tm = () => pod({ name: 'orders-taskmanager-1-1', metadata: { labels: { type: 'flink-native-kubernetes', component: 'taskmanager' } }, containers: [{ name: 'flink-main-container', image: 'flink:1.20.1' }], conditions: ready(30), statuses: [{ name: 'flink-main-container', ready: true, restartCount: 0, state: { running: { startedAt: ago(30) } } }] });
const jm = () => pod({ name: 'orders-7c9d5b6f4-jx2lq', metadata: { labels: { type: 'flink-native-kubernetes', component: 'jobmanager' } }, containers: [{ name: 'flink-main-container', image: 'flink:1.20.1' }], conditions: ready(30), statuses: [{ name: 'flink-main-container', ready: true, restartCount: 0, state: { running: { startedAt: ago(30) } } }] });

const CASES: { name: string; jm?: boolean; lines: string[]; cls: string; headline: RegExp; fix: RegExp }[] = [
  {
    name: 'heap OOM',
    lines: ['2024-05-01 11:58:01,123 ERROR org.apache.flink.runtime.taskexecutor.TaskManagerRunner       [] - Fatal error occurred while executing the TaskManager. Shutting it down...', 'java.lang.OutOfMemoryError: Java heap space'],
    cls: 'JvmOutOfMemory',
    headline: /^The Flink TaskManager in pod flink-jobs\/orders-taskmanager-1-1: the JVM ran out of heap/,
    fix: /taskmanager\.memory\.task\.heap\.size/,
  },
  {
    name: 'metaspace OOM',
    lines: ['java.lang.OutOfMemoryError: Metaspace. The metaspace out-of-memory error has occurred. This can mean two things: either the job requires a larger size of JVM metaspace to load classes or there is a class loading leak.'],
    cls: 'JvmOutOfMemory',
    headline: /ran out of metaspace/,
    fix: /taskmanager\.memory\.jvm-metaspace\.size/,
  },
  {
    name: 'direct memory OOM',
    lines: ['Caused by: java.lang.OutOfMemoryError: Direct buffer memory. The direct out-of-memory error has occurred. This can mean two things: either job(s) require(s) a larger size of JVM direct memory or there is a direct memory leak.'],
    cls: 'JvmOutOfMemory',
    headline: /direct \(off-heap\) memory/,
    fix: /taskmanager\.memory\.task\.off-heap\.size/,
  },
  {
    name: 'disk full',
    lines: ['Caused by: java.io.IOException: No space left on device'],
    cls: 'DiskFull',
    headline: /the disk is full \(No space left on device\)/,
    fix: /io\.tmp\.dirs/,
  },
  {
    name: 'TaskManager heartbeat timeout (JobManager log)',
    jm: true,
    lines: ['2024-05-01 11:58:01,123 INFO  org.apache.flink.runtime.executiongraph.ExecutionGraph       [] - Source: orders (1/4) switched from RUNNING to FAILED on orders-taskmanager-1-1 @ 10.244.1.7 (dataPort=41234).', 'java.util.concurrent.TimeoutException: Heartbeat of TaskManager with id orders-taskmanager-1-1 timed out.'],
    cls: 'FlinkHeartbeatTimeout',
    headline: /^The Flink JobManager in pod .*lost contact with TaskManager orders-taskmanager-1-1 \(heartbeat timeout\)/,
    fix: /heartbeat\.timeout/,
  },
  {
    name: 'no slots',
    jm: true,
    lines: ['Caused by: org.apache.flink.runtime.jobmanager.scheduler.NoResourceAvailableException: Could not acquire the minimum required resources.'],
    cls: 'FlinkNoResources',
    headline: /could not get enough task slots \(NoResourceAvailableException: Could not acquire the minimum required resources\.\)/,
    fix: /taskmanager\.numberOfTaskSlots/,
  },
  {
    name: 'JobManager denied TaskManager pods by quota',
    jm: true,
    lines: ['2024-05-01 11:58:01,123 WARN  org.apache.flink.kubernetes.KubernetesResourceManagerDriver  [] - Could not create pod orders-taskmanager-1-3, exception: io.fabric8.kubernetes.client.KubernetesClientException: Failure executing: POST at: https://10.96.0.1/api/v1/namespaces/flink-jobs/pods. Message: pods "orders-taskmanager-1-3" is forbidden: exceeded quota: flink-quota, requested: limits.memory=4Gi, used: limits.memory=16Gi, limited: limits.memory=16Gi. Received status: Status(apiVersion=v1, code=403, details=StatusDetails(causes=[], group=null, kind=pods, name=orders-taskmanager-1-3, retryAfterSeconds=null, uid=null, additionalProperties={}), kind=Status, message=pods "orders-taskmanager-1-3" is forbidden: exceeded quota: flink-quota, requested: limits.memory=4Gi, used: limits.memory=16Gi, limited: limits.memory=16Gi, metadata=ListMeta(_continue=null, remainingItemCount=null, resourceVersion=null, selfLink=null, additionalProperties={}), reason=Forbidden, status=Failure, additionalProperties={}).'],
    cls: 'FlinkQuotaDenied',
    headline: /cannot create TaskManager pod orders-taskmanager-1-3: the namespace's ResourceQuota flink-quota is full \(limits\.memory: the pod asks for 4Gi, 16Gi of 16Gi is already used\)\. This shows only in the JobManager's log/,
    fix: /taskmanager\.memory\.process\.size/,
  },
];

for (const c of CASES) {
  test(`Flink: ${c.name}`, () => {
    const p = c.jm ? jm() : tm();
    const d = diagnose({ pod: p, events: [], logTails: [{ container: 'flink-main-container', file: c.jm ? 'jobmanager.log' : 'taskmanager.log', lines: c.lines }], now: NOW });
    assert.equal(d.findings[0]?.class, c.cls);
    assert.match(d.headline, c.headline, d.headline);
    assert.match(d.findings[0]!.fix, c.fix);
    assert.equal(d.findings[0]!.evidence[0]?.source, 'log');
  });
}

test('Flink: a clean log gives a healthy pod', () => {
  const d = diagnose({ pod: tm(), events: [], logTails: [{ container: 'flink-main-container', file: 'taskmanager.log', lines: ['2024-05-01 11:58:01,123 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - Successful registration at resource manager'] }], now: NOW });
  assert.equal(d.severity, 'ok');
});

test('Flink: a crash-looping TaskManager with a heap OOM in its log: the OOM ranks before the CrashLoop and is critical', () => {
  const p = tm();
  p.status!.conditions = [{ type: 'Ready', status: 'False' }];
  p.status!.containerStatuses = [{ name: 'flink-main-container', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=flink-main-container pod=orders-taskmanager-1-1_flink-jobs(6f1c3a2e)' } }, lastState: { terminated: { exitCode: 239, reason: 'Error', startedAt: ago(5), finishedAt: ago(2) } } }];
  const d = diagnose({ pod: p, events: [], logTails: [{ container: 'flink-main-container', file: 'taskmanager.log', lines: ['java.lang.OutOfMemoryError: Java heap space', '2024-05-01 11:58:01,200 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner [] - Terminating TaskManagerRunner with exit code 239.'] }], now: NOW });
  assert.deepEqual(d.findings.map((f) => [f.class, f.severity]), [['JvmOutOfMemory', 'critical'], ['CrashLoopBackOff', 'critical']]);
  assert.match(d.findings[1]!.summary, /exited with exit code 239, Flink's fatal-error exit/);
});
