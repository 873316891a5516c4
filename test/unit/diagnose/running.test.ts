/**
 * Running but failing: CrashLoopBackOff with the exit code explained and the last log lines, OOMKilled with
 * the memory limit (also once running again), and probe failures. Texts: kubernetes/kubernetes
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go ("back-off %s restarting failed container=%s pod=%s", Event
 * BackOff "Back-off restarting failed container %s in pod %s", Killing "Container %s failed %s probe, will be
 * restarted"), pkg/kubelet/prober/prober.go ("%s probe failed: %s"), pkg/probe/http/http.go ("HTTP probe failed
 * with statuscode: %d"), Go net/http ("Get %q: dial tcp %s: connect: connection refused", "context deadline
 * exceeded (Client.Timeout exceeded while awaiting headers)"); OOMKilled per
 * https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { explainExitCode } from '../../../src/diagnose/exit-codes.ts';
import { ago, ev, NOW, notReady, pod, ready } from './fixtures.ts';

const BACKOFF = 'back-off 5m0s restarting failed container=main pod=orders-tm-1-1_flink-jobs(6f1c3a2e-0000-4000-8000-000000000001)';
const BACKOFF_EVENT = 'Back-off restarting failed container main in pod orders-tm-1-1_flink-jobs(6f1c3a2e-0000-4000-8000-000000000001)';

function crashing(exitCode: number, reason = 'Error', restarts = 7) {
  return pod({
    conditions: notReady(),
    containers: [{ name: 'main', image: 'registry.example.com/team/app:1.4.2', resources: { limits: { memory: '4Gi' }, requests: { memory: '4Gi', cpu: '1' } } }],
    statuses: [{ name: 'main', ready: false, restartCount: restarts, state: { waiting: { reason: 'CrashLoopBackOff', message: BACKOFF } }, lastState: { terminated: { exitCode, reason, startedAt: ago(3), finishedAt: '2024-05-01T11:57:12Z' } } }],
  });
}

test('exit codes are explained', () => {
  const cases: [number, RegExp][] = [
    [0, /^exited with exit code 0 \(it finished\)$/], [1, /^exited with exit code 1, a generic application error$/], [2, /^exited with exit code 2, usually a usage error$/],
    [126, /^exited with exit code 126: the command was found but could not be executed$/], [127, /^exited with exit code 127: the command was not found$/],
    [128, /could not be started/], [134, /^aborted with exit code 134 \(SIGABRT\)$/], [137, /^was killed with exit code 137 \(SIGKILL\)$/], [139, /^crashed with exit code 139 \(SIGSEGV\), a segmentation fault$/],
    [143, /^was stopped with exit code 143 \(SIGTERM\)$/], [135, /^was killed with exit code 135 \(SIGBUS\)$/], [3, /^exited with exit code 3$/], [239, /exit code 239, Flink's fatal-error exit/], [42, /^exited with exit code 42$/],
    [200, /^was killed with exit code 200|^exited with exit code 200$/],
  ];
  for (const [code, re] of cases) assert.match(explainExitCode(code).phrase, re, String(code));
  assert.match(explainExitCode(137).hint, /out-of-memory killer, a failed liveness probe/);
});

test('CrashLoopBackOff exit 1 with the last log lines', () => {
  const d = diagnose({
    pod: crashing(1),
    events: [ev('BackOff', BACKOFF_EVENT, { container: 'main', count: 31 })],
    logTails: [
      { container: 'main', file: 'gc.log', lines: ['[0.010s][info][gc] Using G1'] },
      { container: 'main', file: 'app.log', lines: ['2024-05-01 11:57:11,002 INFO  Starting', '2024-05-01 11:57:12,118 ERROR Main - Cannot connect to postgres-service:5432: Connection refused', ''] },
    ],
    now: NOW,
  });
  assert.equal(d.findings[0]?.class, 'CrashLoopBackOff');
  assert.match(d.headline, /^Container main of pod flink-jobs\/orders-tm-1-1 keeps crashing \(CrashLoopBackOff, restarted 7 times\): its last run exited with exit code 1, a generic application error, after 12s/);
  assert.match(d.headline, /Last log line: "2024-05-01 11:57:12,118 ERROR Main - Cannot connect to postgres-service:5432: Connection refused"/);
  const log = d.findings[0]!.evidence.find((e) => e.source === 'log');
  assert.equal(log?.ref, 'app.log');
  assert.match(d.findings[0]!.fix, /kubectl logs orders-tm-1-1 -c main --previous/);
});

test('CrashLoopBackOff exit codes 0, 127, 143 give matching fixes', () => {
  const cases: [number, RegExp, RegExp][] = [
    [0, /exited with exit code 0 \(it finished\)/, /restartPolicy Always.*Job/],
    [127, /command was not found/, /command \/ args/],
    [143, /exit code 143 \(SIGTERM\)/, /asked the container to stop/],
    [137, /exit code 137 \(SIGKILL\)/, /resources\.limits\.memory/],
  ];
  for (const [code, h, f] of cases) {
    const d = diagnose({ pod: crashing(code), events: [], now: NOW });
    assert.match(d.headline, h, String(code));
    assert.match(d.findings[0]!.fix, f, String(code));
  }
});

test('OOMKilled in a crash loop names the memory limit, ranks before the CrashLoop', () => {
  const d = diagnose({ pod: crashing(137, 'OOMKilled', 5), events: [ev('BackOff', BACKOFF_EVENT, { container: 'main', count: 12 })], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['OOMKilled', 'CrashLoopBackOff']);
  assert.match(d.headline, /^Container main of pod flink-jobs\/orders-tm-1-1 was killed with exit code 137 \(SIGKILL\) for using more than its 4Gi memory limit \(OOMKilled\) after running 12s; it has restarted 5 times and is in CrashLoopBackOff/);
  assert.match(d.findings[0]!.fix, /Raise spec\.containers\[main\]\.resources\.limits\.memory \(now 4Gi\)/);
  assert.match(d.findings[1]!.summary, /it ran out of memory \(OOMKilled\)/);
});

test('OOMKilled Flink TaskManager running again: no Event needed, Flink memory options in the fix', () => {
  const p = pod({
    conditions: ready(10),
    metadata: { labels: { type: 'flink-native-kubernetes', component: 'taskmanager' } },
    containers: [{ name: 'flink-main-container', image: 'flink:1.20.1', resources: { limits: { memory: '4Gi' }, requests: { memory: '4Gi' } } }],
    statuses: [{ name: 'flink-main-container', ready: true, restartCount: 1, state: { running: { startedAt: ago(10) } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: ago(50), finishedAt: ago(10) } } }],
  });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'OOMKilled');
  assert.equal(d.severity, 'warning');
  assert.match(d.headline, /was killed with exit code 137 \(SIGKILL\) for using more than its 4Gi memory limit .* it is running again since/);
  assert.match(d.findings[0]!.fix, /taskmanager\.memory\.process\.size/);
});

test('OOMKilled long ago on a ready container is past, the pod is healthy', () => {
  const p = pod({
    conditions: ready(180),
    containers: [{ name: 'main', image: 'app:1', resources: { limits: { memory: '1Gi' } } }],
    statuses: [{ name: 'main', ready: true, restartCount: 1, state: { running: { startedAt: ago(180) } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: ago(300), finishedAt: ago(181) } } }],
  });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings.length, 0);
  assert.equal(d.severity, 'ok');
  assert.equal(d.past[0]?.class, 'OOMKilled');
  assert.match(d.headline, /is healthy: its container is running and ready \(up 3h 0m\)\. Earlier it had trouble it recovered from: OOMKilled/);
});

test('liveness kill with 137 is not an OOM', () => {
  const p = crashing(137, 'Error', 3);
  p.spec!.containers![0]!.livenessProbe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10, failureThreshold: 3 };
  const d = diagnose({
    pod: p,
    events: [
      ev('Unhealthy', 'Liveness probe failed: Get "http://10.244.1.7:8080/healthz": dial tcp 10.244.1.7:8080: connect: connection refused', { container: 'main', count: 9 }),
      ev('Killing', 'Container main failed liveness probe, will be restarted', { type: 'Normal', container: 'main', count: 3 }),
      ev('BackOff', BACKOFF_EVENT, { container: 'main', count: 4 }),
    ],
    now: NOW,
  });
  assert.deepEqual(d.findings.map((f) => f.class), ['LivenessProbeFailed', 'CrashLoopBackOff']);
  assert.match(d.headline, /was restarted 3 times because its liveness probe failed: nothing was listening on the probed port/);
  assert.match(d.headline, /not an out-of-memory kill/);
  assert.match(d.findings[0]!.fix, /startupProbe or raise spec\.containers\[main\]\.livenessProbe\.initialDelaySeconds \(now 0s; 30s allowed/);
  assert.match(d.findings[1]!.summary, /its liveness probe failed and the kubelet killed it/);
});

test('liveness timeout → timeoutSeconds', () => {
  const p = crashing(137, 'Error', 2);
  p.spec!.containers![0]!.livenessProbe = { httpGet: { path: '/healthz', port: 8080 }, timeoutSeconds: 1 };
  const d = diagnose({
    pod: p,
    events: [
      ev('Unhealthy', 'Liveness probe failed: Get "http://10.244.1.7:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', { container: 'main', count: 6 }),
      ev('Killing', 'Container main failed liveness probe, will be restarted', { type: 'Normal', container: 'main', count: 2 }),
    ],
    now: NOW,
  });
  assert.match(d.headline, /did not answer within timeoutSeconds \(1s\)/);
  assert.match(d.findings[0]!.fix, /timeoutSeconds \(now 1s\)/);
});

test('startup probe kills → failureThreshold', () => {
  const p = crashing(137, 'Error', 2);
  p.spec!.containers![0]!.startupProbe = { httpGet: { path: '/ready', port: 8081 }, periodSeconds: 10, failureThreshold: 6 };
  const d = diagnose({
    pod: p,
    events: [
      ev('Unhealthy', 'Startup probe failed: HTTP probe failed with statuscode: 503', { container: 'main', count: 12 }),
      ev('Killing', 'Container main failed startup probe, will be restarted', { type: 'Normal', container: 'main', count: 2 }),
    ],
    now: NOW,
  });
  assert.equal(d.findings[0]?.class, 'StartupProbeFailed');
  assert.match(d.headline, /its health endpoint answered HTTP 503/);
  assert.match(d.findings[0]!.fix, /startupProbe\.failureThreshold or periodSeconds \(now 6 × 10s = 60s allowed\)/);
});

test('readiness failing on a running container: warning, no traffic', () => {
  const p = pod({ conditions: notReady(), containers: [{ name: 'main', image: 'app:1', readinessProbe: { httpGet: { path: '/ready', port: 8080 } } }], statuses: [{ name: 'main', ready: false, restartCount: 0, state: { running: { startedAt: ago(20) } } }] });
  const d = diagnose({ pod: p, events: [ev('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { container: 'main', count: 40 })], now: NOW });
  assert.equal(d.findings[0]?.class, 'ReadinessProbeFailed');
  assert.equal(d.severity, 'warning');
  assert.match(d.headline, /is not ready, so it gets no Service traffic: its readiness probe failed 40 times because its health endpoint answered HTTP 503/);
});

test('old docker-era liveness Killing message is recognised', () => {
  // pkg/kubelet/kuberuntime (before 1.14): "Killing container with id docker://%s:Container failed liveness probe.. Container will be killed and recreated."
  const p = crashing(137, 'Error', 2);
  const d = diagnose({ pod: p, events: [ev('Killing', 'Killing container with id docker://main:Container failed liveness probe.. Container will be killed and recreated.', { type: 'Normal', container: 'main' })], now: NOW });
  assert.equal(d.findings[0]?.class, 'LivenessProbeFailed');
});

test('a failed container under restartPolicy Never', () => {
  const p = pod({ phase: 'Failed', spec: { restartPolicy: 'Never' }, statuses: [{ name: 'main', ready: false, restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error', startedAt: ago(10), finishedAt: ago(9) } } }] });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'ContainerFailed');
  assert.match(d.headline, /failed: its last run exited with exit code 2, usually a usage error, after 60s; restartPolicy is Never/);
});

test('startup probe failures during a start that then succeeded are not trouble', () => {
  // A Flink JobManager whose REST endpoint refuses connections for its first seconds (prober.go "Startup probe failed: %s").
  const p = pod({ conditions: ready(5), containers: [{ name: 'flink-main-container', image: 'flink:1.20.1', startupProbe: { httpGet: { path: '/config', port: 8081 }, failureThreshold: 30, periodSeconds: 1 } }], statuses: [{ name: 'flink-main-container', ready: true, started: true, restartCount: 0, state: { running: { startedAt: ago(6) } } }] });
  const events = [ev('Unhealthy', 'Startup probe failed: Get "http://10.244.0.17:8081/config": dial tcp 10.244.0.17:8081: connect: connection refused', { container: 'flink-main-container', count: 5, at: ago(5.5) })];
  const d = diagnose({ pod: p, events, now: NOW });
  assert.equal(d.severity, 'ok');
  assert.deepEqual(d.findings, []);
  assert.deepEqual(d.past, []);
  assert.match(d.headline, /is healthy/);
  // Still starting: reported as a warning with the allowance.
  const p2 = pod({ conditions: notReady(), containers: p.spec!.containers!, statuses: [{ name: 'flink-main-container', ready: false, started: false, restartCount: 0, state: { running: { startedAt: ago(0.5) } } }] });
  const d2 = diagnose({ pod: p2, events: [{ ...events[0]!, lastTimestamp: ago(0.1) }], now: NOW });
  assert.equal(d2.findings[0]?.class, 'StartupProbeFailed');
  assert.match(d2.headline, /has not finished starting: its startup probe failed 5 times so far \(it is restarted after 30s\)/);
});
