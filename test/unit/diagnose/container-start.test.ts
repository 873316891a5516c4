/**
 * Containers that cannot be created or started, and init containers that fail. Texts:
 * kubernetes/kubernetes pkg/kubelet/kubelet_pods.go (`configmap "%s" not found` / `secret "%s" not found` as the
 * API NotFound error, "couldn't find key %s in ConfigMap %s/%s", "couldn't find key %s in Secret %s/%s"),
 * pkg/kubelet/kuberuntime/security_context_others.go ("container has runAsNonRoot and image will run as root
 * (pod: %q, container: %s)"), kuberuntime_container.go (Event Failed "Error: %v"), runc
 * libcontainer/standard_init_linux.go / containerd ("OCI runtime create failed: runc create failed: unable to
 * start container process: exec: %q: executable file not found in $PATH: unknown", "permission denied",
 * "exec format error"), https://kubernetes.io/docs/concepts/workloads/pods/init-containers/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { ago, ev, NOW, pod } from './fixtures.ts';

const cfgErr = (message: string) => [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message } } }];
const OCI = 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ';

const CONFIG_CASES = [
  { src: 'kubelet_pods.go → API NotFound for ConfigMap', msg: 'configmap "flink-config" not found', headline: /the ConfigMap "flink-config" it reads does not exist/, fix: /Create the ConfigMap flink-config/ },
  { src: 'kubelet_pods.go → API NotFound for Secret', msg: 'secret "db-credentials" not found', headline: /the Secret "db-credentials" it reads does not exist/, fix: /Create the Secret db-credentials/ },
  { src: 'kubelet_pods.go "couldn\'t find key %s in Secret %s/%s"', msg: "couldn't find key password in Secret flink-jobs/db-credentials", headline: /the Secret "db-credentials" has no key "password"/, fix: /secretKeyRef\.key/ },
  { src: 'kubelet_pods.go "couldn\'t find key %s in ConfigMap %s/%s"', msg: "couldn't find key JOB_ARGS in ConfigMap flink-jobs/orders", headline: /the ConfigMap "orders" has no key "JOB_ARGS"/, fix: /configMapKeyRef\.key/ },
  { src: 'security_context_others.go verifyRunAsNonRoot', msg: 'container has runAsNonRoot and image will run as root (pod: "orders-tm-1-1_flink-jobs(6f1c3a2e-0000-4000-8000-000000000001)", container: main)', headline: /must run as non-root \(runAsNonRoot\) but the image runs as root/, fix: /securityContext\.runAsUser/ },
];

for (const c of CONFIG_CASES) {
  test(`CreateContainerConfigError: ${c.msg}`, () => {
    const d = diagnose({ pod: pod({ phase: 'Pending', statuses: cfgErr(c.msg) }), events: [ev('Failed', `Error: ${c.msg}`, { container: 'main', count: 6 })], now: NOW });
    assert.equal(d.findings[0]?.class, 'CreateContainerConfigError', c.src);
    assert.match(d.headline, /^Container main of pod flink-jobs\/orders-tm-1-1 cannot be created: /);
    assert.match(d.headline, c.headline, c.src);
    assert.match(d.findings[0]!.fix, c.fix, c.src);
    assert.ok(d.findings[0]!.evidence.some((e) => e.ref.endsWith('state.waiting.message') && e.text === c.msg), 'quotes the status field');
  });
}

const START_CASES = [
  { src: 'runc: exec: %q: executable file not found in $PATH', msg: `${OCI}exec: "flink-entrypoint.sh": executable file not found in $PATH: unknown`, headline: /its command "flink-entrypoint\.sh" does not exist in the image/, fix: /command \/ args/ },
  { src: 'runc: exec: %q: permission denied', msg: `${OCI}exec: "/opt/app/run.sh": permission denied: unknown`, headline: /its command "\/opt\/app\/run\.sh" is not executable \(permission denied\)/, fix: /chmod \+x/ },
  { src: 'runc: exec format error (image for another architecture)', msg: `${OCI}exec: "/docker-entrypoint.sh": exec format error: unknown`, headline: /built for another CPU architecture/, fix: /kubernetes\.io\/arch/ },
];

for (const c of START_CASES) {
  test(`StartError: ${c.src}`, () => {
    const p = pod({
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'False' }],
      statuses: [{ name: 'main', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=main pod=orders-tm-1-1_flink-jobs(6f1c3a2e-0000-4000-8000-000000000001)' } }, lastState: { terminated: { exitCode: 128, reason: 'StartError', message: c.msg, startedAt: '1970-01-01T00:00:00Z', finishedAt: ago(2) } } }],
    });
    const d = diagnose({ pod: p, events: [ev('Failed', `Error: ${c.msg}`, { container: 'main', count: 5 })], now: NOW });
    assert.equal(d.findings[0]?.class, 'StartError', c.src);
    assert.match(d.headline, c.headline, `${c.src}\n${d.headline}`);
    assert.match(d.headline, /tried 5 times/);
    assert.match(d.findings[0]!.fix, c.fix, c.src);
    assert.ok(!d.findings.some((f) => f.class === 'CrashLoopBackOff'), 'the crash loop is explained by the start error, not repeated');
  });
}

test('CreateContainerError: a runtime error is quoted', () => {
  // kuberuntime_container.go: waiting reason CreateContainerError; containerd's name-reservation error.
  const msg = 'failed to reserve container name "main_orders-tm-1-1_flink-jobs_6f1c3a2e-0000-4000-8000-000000000001_0": name "main_orders-tm-1-1_flink-jobs_6f1c3a2e-0000-4000-8000-000000000001_0" is reserved for "5b1e0c"';
  const d = diagnose({ pod: pod({ phase: 'Pending', statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerError', message: msg } } }] }), events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'CreateContainerError');
  assert.match(d.headline, /failed to reserve container name/);
});

test('init container failing blocks the pod (Init:CrashLoopBackOff)', () => {
  const p = pod({
    phase: 'Pending',
    initContainers: [{ name: 'wait-for-db', image: 'busybox:1.36', command: ['sh', '-c', 'until nc -z db 5432; do sleep 2; done'] }],
    initStatuses: [{ name: 'wait-for-db', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=wait-for-db pod=orders-tm-1-1_flink-jobs(6f1c3a2e)' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(3), finishedAt: ago(2) } } }],
    statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  });
  const d = diagnose({ pod: p, events: [], logTails: [{ container: 'wait-for-db', file: 'init.log', lines: ['nc: bad address \'db\''] }], now: NOW });
  assert.equal(d.findings[0]?.class, 'InitContainerFailed');
  assert.match(d.headline, /^Init container wait-for-db of pod flink-jobs\/orders-tm-1-1 exited with exit code 1, a generic application error, and has failed 4 times, so the pod's main containers never start/);
  assert.match(d.headline, /nc: bad address 'db'/);
});

test('ranking: a missing Secret comes before the CrashLoop it causes in the other container', () => {
  const p = pod({
    phase: 'Running',
    containers: [{ name: 'main', image: 'app:1' }, { name: 'proxy', image: 'proxy:1' }],
    conditions: [{ type: 'Ready', status: 'False' }],
    statuses: [
      { name: 'proxy', ready: false, restartCount: 6, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=proxy pod=orders-tm-1-1_flink-jobs(6f1c3a2e)' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(4), finishedAt: ago(3) } } },
      { name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "orders-tls" not found' } } },
    ],
  });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['CreateContainerConfigError', 'CrashLoopBackOff']);
  assert.match(d.headline, /Secret "orders-tls"/);
});

test('postStart hook failure', () => {
  // kuberuntime_container.go: "Exec lifecycle hook (%v) for Container %q in Pod %q failed - error: %v, message: %q"; Event FailedPostStartHook.
  const msg = 'Exec lifecycle hook ([/bin/sh -c /opt/flink/bin/register.sh]) for Container "main" in Pod "orders-tm-1-1_flink-jobs(6f1c3a2e)" failed - error: command \'/bin/sh -c /opt/flink/bin/register.sh\' exited with 127: , message: "/bin/sh: /opt/flink/bin/register.sh: not found\\n"';
  const p = pod({ conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container=main pod=orders-tm-1-1_flink-jobs(6f1c3a2e)' } }, lastState: { terminated: { exitCode: 137, reason: 'PostStartHookError', message: msg, startedAt: ago(2), finishedAt: ago(2) } } }] });
  const d = diagnose({ pod: p, events: [ev('FailedPostStartHook', msg, { container: 'main' })], now: NOW });
  assert.deepEqual(d.findings.map((f) => f.class), ['StartError']);
  assert.match(d.headline, /is killed right after it starts because its postStart hook fails/);
  assert.match(d.findings[0]!.fix, /lifecycle\.postStart/);
});

test('executable not found: quotes command and args, names the spec field and what overrides the image', () => {
  // runc via containerd: 'exec: "%s": executable file not found in $PATH' inside the StartError message.
  const msg = 'failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "pyhton": executable file not found in $PATH: unknown';
  const containers = [{ name: 'main', image: 'python:3.12-slim', command: ['pyhton'], args: ['-m', 'app.server', '--port', '8080'] }];
  const p = pod({ containers, conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=main pod=x' } }, lastState: { terminated: { exitCode: 128, reason: 'StartError', message: msg, startedAt: '1970-01-01T00:00:00Z', finishedAt: ago(1) } } }] });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'StartError');
  assert.match(d.headline, /its command "pyhton" does not exist in the image \(it is spec\.containers\[main\]\.command\[0\]\); its command \["pyhton"\] with args \["-m","app\.server","--port","8080"\] replace the image's ENTRYPOINT and CMD; tried 3 times\.$/);
  assert.match(d.findings[0]!.fix, /^Fix spec\.containers\[main\]\.command\[0\] \("pyhton"\): a typo, or a program missing from the image\./);
  assert.ok(d.findings[0]!.evidence.some((e) => e.source === 'spec' && e.ref === 'spec.containers[main].command' && e.text === '["pyhton"]'));
});

test('exit code 127 from a shell: args alone replace only CMD, the image ENTRYPOINT still runs', () => {
  const containers = [{ name: 'main', image: 'registry.example.com/team/app:1.4.2', args: ['/opt/app/bin/strat.sh'] }];
  const p = pod({ containers, conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=main pod=x' } }, lastState: { terminated: { exitCode: 127, reason: 'Error', startedAt: ago(2), finishedAt: ago(2) } } }] });
  const d = diagnose({ pod: p, events: [], logTails: [{ container: 'main', file: 'stdio-0.cri.log', lines: ['/docker-entrypoint.sh: line 12: /opt/app/bin/strat.sh: No such file or directory'] }], now: NOW });
  assert.equal(d.findings[0]?.class, 'CrashLoopBackOff');
  assert.match(d.headline, /exited with exit code 127: the command was not found, after 0s\. Its args \["\/opt\/app\/bin\/strat\.sh"\] replace only the image's CMD; the image's ENTRYPOINT still runs first\. Last log line: /);
  assert.ok(d.findings[0]!.evidence.some((e) => e.ref === 'spec.containers[main].args'));
});

test('init container: names what it waits for from its until-nc loop, and the Service to check', () => {
  const p = pod({
    phase: 'Pending',
    initContainers: [{ name: 'wait-for-db', image: 'busybox:1.36', command: ['sh', '-c', 'until nc -z postgres.data.svc.cluster.local 5432; do echo waiting for postgres; sleep 2; done'] }],
    initStatuses: [{ name: 'wait-for-db', ready: false, restartCount: 0, state: { running: { startedAt: ago(25) } } }],
    statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  });
  const d = diagnose({ pod: p, events: [], logTails: [{ container: 'wait-for-db', file: 'stdio-0.cri.log', lines: ['waiting for postgres', 'waiting for postgres'] }], now: NOW });
  assert.equal(d.findings[0]?.class, 'InitContainerFailed');
  assert.equal(d.severity, 'warning');
  assert.equal(d.headline, 'Init container wait-for-db of pod flink-jobs/orders-tm-1-1 has been running for 25m and has not finished, so the pod\'s main containers have not started. It was waiting for postgres.data.svc.cluster.local:5432 to accept connections (`until nc -z postgres.data.svc.cluster.local 5432` in spec.initContainers[wait-for-db].command). Its last log line: "waiting for postgres".');
  assert.match(d.findings[0]!.fix, /^Check Service postgres in namespace data: it must exist and have ready endpoints on port 5432/);
});

test('init container that failed on a name that does not resolve', () => {
  const p = pod({
    phase: 'Pending',
    initContainers: [{ name: 'wait-for-db', image: 'busybox:1.36', command: ['sh', '-c'], args: ['nslookup orders-db'] }],
    initStatuses: [{ name: 'wait-for-db', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=wait-for-db pod=x' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: ago(2), finishedAt: ago(2) } } }],
    statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  });
  const d = diagnose({ pod: p, events: [], logTails: [{ container: 'wait-for-db', file: 'stdio-0.cri.log', lines: ["** server can't find orders-db.flink-jobs.svc.cluster.local: NXDOMAIN"] }], now: NOW });
  assert.match(d.headline, /^Init container wait-for-db of pod flink-jobs\/orders-tm-1-1 exited with exit code 1, a generic application error, and has failed 3 times, so the pod's main containers never start\. It was waiting for the name orders-db to resolve \(`nslookup orders-db` in spec\.initContainers\[wait-for-db\]\.command\)\./);
  assert.match(d.findings[0]!.fix, /^The name orders-db does not resolve: create Service orders-db in namespace flink-jobs/);
});
