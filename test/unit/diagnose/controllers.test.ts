/**
 * Pods never created: the owner's FailedCreate Events, diagnosed from Events alone. Texts:
 * kubernetes/kubernetes pkg/controller/controller_utils.go ("Error creating: %v"),
 * pkg/controller/statefulset/stateful_pod_control.go ("create Pod %s in StatefulSet %s failed error: %s"),
 * plugin/pkg/admission/resourcequota/controller.go ("exceeded quota: %s, requested: %s, used: %s, limited: %s";
 * "failed quota: %s: must specify %s"), plugin/pkg/admission/limitranger/admission.go ("maximum %s usage per %s
 * is %s, but limit is %s"); quota and LimitRange examples as printed in
 * https://kubernetes.io/docs/tasks/administer-cluster/manage-resources/quota-memory-cpu-namespace/ and
 * https://kubernetes.io/docs/tasks/administer-cluster/manage-resources/memory-constraint-namespace/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { parseQuotaExceeded, parseQuotaMustSpecify } from '../../../src/diagnose/rules/controllers.ts';
import { ev, NOW, pod } from './fixtures.ts';

const RS = { kind: 'ReplicaSet', name: 'orders-7d9f8b6c4d', uid: 'rs-uid-1', component: 'replicaset-controller' };

const CASES: { src: string; msg: string; owner?: typeof RS; cls: string; headline: RegExp; fix: RegExp }[] = [
  {
    src: 'resourcequota/controller.go "exceeded quota" (ReplicaSet, controller_utils.go "Error creating: %v")',
    msg: 'Error creating: pods "orders-7d9f8b6c4d-x2k9l" is forbidden: exceeded quota: compute-resources, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi',
    cls: 'QuotaExceeded',
    headline: /^ReplicaSet orders-7d9f8b6c4d in namespace flink-jobs cannot create its pods: the namespace's ResourceQuota compute-resources is full \(limits\.memory: the pod asks for 2Gi, 7Gi of 8Gi is already used\)/,
    fix: /resources\.limits\.memory.*spec\.hard of ResourceQuota compute-resources/,
  },
  {
    src: 'resourcequota "must specify" (newer per-container form)',
    msg: 'Error creating: pods "orders-7d9f8b6c4d-abcde" is forbidden: failed quota: mem-cpu-demo: must specify limits.cpu for: app; limits.memory for: app; requests.cpu for: app; requests.memory for: app',
    cls: 'QuotaExceeded',
    headline: /ResourceQuota mem-cpu-demo requires every container to set limits\.cpu, limits\.memory, requests\.cpu and requests\.memory/,
    fix: /resources\.limits\.cpu.*LimitRange/,
  },
  {
    src: 'resourcequota "must specify" (older comma list)',
    msg: 'Error creating: pods "orders-7d9f8b6c4d-abcde" is forbidden: failed quota: compute-resources: must specify limits.cpu,limits.memory,requests.cpu,requests.memory',
    cls: 'QuotaExceeded',
    headline: /requires every container to set limits\.cpu, limits\.memory, requests\.cpu and requests\.memory/,
    fix: /LimitRange/,
  },
  {
    src: 'limitranger/admission.go "maximum %s usage per %s is %s, but limit is %s"',
    msg: 'Error creating: pods "orders-7d9f8b6c4d-abcde" is forbidden: maximum memory usage per Container is 1Gi, but limit is 1536Mi.',
    cls: 'LimitRangeViolation',
    headline: /a LimitRange allows a maximum memory limit of 1Gi per Container, and the pod template sets 1536Mi/,
    fix: /resources\.limits\.memory at or below 1Gi/,
  },
  {
    src: 'stateful_pod_control.go "create Pod %s in StatefulSet %s failed error: %s" + exceeded quota',
    msg: 'create Pod orders-jm-0 in StatefulSet orders-jm failed error: pods "orders-jm-0" is forbidden: exceeded quota: flink-quota, requested: requests.cpu=2, used: requests.cpu=15, limited: requests.cpu=16',
    owner: { kind: 'StatefulSet', name: 'orders-jm', uid: 'sts-uid', component: 'statefulset-controller' },
    cls: 'QuotaExceeded',
    headline: /^StatefulSet orders-jm .*requests\.cpu: the pod asks for 2, 15 of 16 is already used/,
    fix: /resources\.requests\.cpu/,
  },
  {
    src: 'serviceaccount admission "error looking up service account %s/%s: %v"',
    msg: 'Error creating: pods "orders-7d9f8b6c4d-" is forbidden: error looking up service account flink-jobs/flink: serviceaccount "flink" not found',
    cls: 'PodCreateForbidden',
    headline: /its ServiceAccount flink does not exist/,
    fix: /spec\.serviceAccountName/,
  },
];

for (const c of CASES) {
  test(`Events only: ${c.src}`, () => {
    const o = c.owner ?? RS;
    const d = diagnose({ events: [ev('FailedCreate', c.msg, { kind: o.kind, name: o.name, uid: o.uid, component: o.component, count: 14 })], now: NOW });
    assert.equal(d.subject.kind, o.kind);
    assert.equal(d.findings[0]?.class, c.cls, c.src);
    assert.match(d.headline, c.headline, `${c.src}\n${d.headline}`);
    assert.match(d.findings[0]!.fix, c.fix, `${c.src}\n${d.findings[0]!.fix}`);
  });
}

test('parsers', () => {
  assert.deepEqual(parseQuotaExceeded('pods "quota-mem-cpu-demo-2" is forbidden: exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, limited: requests.memory=1Gi'), {
    quota: 'mem-cpu-demo',
    resources: [{ resource: 'requests.memory', requested: '700Mi', used: '600Mi', limited: '1Gi' }],
  });
  assert.deepEqual(parseQuotaMustSpecify('failed quota: q: must specify limits.cpu for: a,b; limits.memory for: a,b')?.resources, ['limits.cpu', 'limits.memory']);
});

test('with the pod present, FailedCreate for other pods of the owner is ignored', () => {
  const d = diagnose({
    pod: pod({ conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T11:00:00Z' }], statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T11:00:00Z' } } }] }),
    events: [ev('FailedCreate', 'Error creating: pods "orders-7d9f8b6c4d-zzzzz" is forbidden: exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10', { ...RS })],
    now: NOW,
  });
  assert.equal(d.findings.length, 0);
  assert.equal(d.severity, 'ok');
});
