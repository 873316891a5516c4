/**
 * Pods stopped from outside: eviction, active deadline, preemption, kubelet admission, node lost. Texts:
 * kubernetes/kubernetes pkg/kubelet/eviction/helpers.go (nodeLowMessageFmt "The node was low on resource: %v. ",
 * thresholdMetMessageFmt "Threshold quantity: %v, available: %v. ", containerMessageFmt "Container %s was using
 * %s, request is %s, has larger consumption of %v. ", podEphemeralStorageMessageFmt, containerEphemeralStorage-
 * MessageFmt, emptyDirMessageFmt, nodeConditionMessageFmt), pkg/kubelet/active_deadline.go, pkg/scheduler/
 * framework/preemption/preemption.go ("Preempted by pod %v on node %v"), pkg/kubelet/lifecycle/predicate.go
 * ("Node didn't have enough resource: %s, requested: %d, used: %d, capacity: %d"),
 * pkg/controller/util/node/controller_utils.go (NodeNotReady "Node is not ready"),
 * pkg/controller/tainteviction/taint_eviction.go ("Marking for deletion Pod %s").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { ago, ev, NOW, pod } from './fixtures.ts';

const EVICTIONS: { src: string; msg: string; headline: RegExp; fix: RegExp }[] = [
  {
    src: 'helpers.go nodeLowMessageFmt + thresholdMetMessageFmt + containerMessageFmt (memory)',
    msg: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 91044Ki. Container main was using 2464520Ki, request is 1Gi, has larger consumption of memory. ',
    headline: /was evicted on node node-a: the node was low on memory \(threshold 100Mi, available 91044Ki\), and container main used 2464520Ki against a request of 1Gi/,
    fix: /resources\.requests\.memory/,
  },
  {
    src: 'helpers.go nodeLowMessageFmt (ephemeral-storage, nodefs)',
    msg: 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 9812236Ki. Container main was using 30Gi, request is 0, has larger consumption of ephemeral-storage. ',
    headline: /the node was low on disk space \(threshold 10Gi, available 9812236Ki\), and container main used 30Gi against a request of 0/,
    fix: /ephemeral-storage/,
  },
  {
    src: 'helpers.go podEphemeralStorageMessageFmt',
    msg: 'Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. ',
    headline: /its containers together used more local disk than their total ephemeral-storage limit of 2Gi/,
    fix: /resources\.limits\.ephemeral-storage/,
  },
  {
    src: 'helpers.go containerEphemeralStorageMessageFmt',
    msg: 'Container main exceeded its local ephemeral storage limit "1Gi". ',
    headline: /container main wrote more than its 1Gi ephemeral-storage limit/,
    fix: /spec\.containers\[main\]\.resources\.limits\.ephemeral-storage \(now 1Gi\)/,
  },
  {
    src: 'helpers.go emptyDirMessageFmt',
    msg: 'Usage of EmptyDir volume "flink-tmp" exceeds the limit "500Mi". ',
    headline: /its emptyDir volume flink-tmp grew past its 500Mi sizeLimit/,
    fix: /spec\.volumes\[flink-tmp\]\.emptyDir\.sizeLimit \(now 500Mi\)/,
  },
  {
    src: 'helpers.go nodeConditionMessageFmt (admission under pressure)',
    msg: 'The node had condition: [DiskPressure]. ',
    headline: /node had condition DiskPressure/,
    fix: /Free resources on the node/,
  },
  {
    src: 'helpers.go nodeLowMessageFmt (pids)',
    msg: 'The node was low on resource: pids. Threshold quantity: 3276, available: 2910. ',
    headline: /the node was low on process IDs \(threshold 3276, available 2910\)/,
    fix: /processes or threads/,
  },
];

for (const c of EVICTIONS) {
  test(`Evicted: ${c.src}`, () => {
    const p = pod({ phase: 'Failed', reason: 'Evicted', message: c.msg, metadata: { ownerReferences: [{ kind: 'ReplicaSet', name: 'orders-7d9f8b6c4d', controller: true }] } });
    const d = diagnose({ pod: p, events: [ev('Evicted', c.msg)], now: NOW });
    assert.equal(d.findings[0]?.class, 'Evicted', c.src);
    assert.match(d.headline, c.headline, `${c.src}\n${d.headline}`);
    assert.match(d.findings[0]!.fix, c.fix, c.src);
    assert.match(d.findings[0]!.fix, /controller creates a replacement/);
  });
}

test('DeadlineExceeded', () => {
  const p = pod({ phase: 'Failed', reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', spec: { activeDeadlineSeconds: 3600 } });
  const d = diagnose({ pod: p, events: [ev('DeadlineExceeded', 'Pod was active on the node longer than the specified deadline')], now: NOW });
  assert.equal(d.findings[0]?.class, 'DeadlineExceeded');
  assert.match(d.headline, /ran longer than its deadline of 3600s \(spec\.activeDeadlineSeconds\)/);
  assert.match(d.findings[0]!.fix, /spec\.activeDeadlineSeconds \(now 3600s\)/);
});

test('Preempted victim', () => {
  const p = pod({ phase: 'Failed', spec: { priority: 0 }, conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod', lastTransitionTime: ago(2) }] });
  const d = diagnose({ pod: p, events: [ev('Preempted', 'Preempted by pod 0b9e3f52-41c5-4a55-9d0e-8f7d2c1a6b30 on node node-a', { type: 'Normal', component: 'default-scheduler' })], now: NOW });
  assert.equal(d.findings[0]?.class, 'Preempted');
  assert.match(d.headline, /^Pod flink-jobs\/orders-tm-1-1 was preempted on node node-a: the scheduler stopped it to make room for a higher-priority pod \(uid 0b9e3f52-41c5-4a55-9d0e-8f7d2c1a6b30\); this pod has priority 0\.$/);
  assert.match(d.findings[0]!.fix, /spec\.priorityClassName/);
});

test('kubelet admission rejection (OutOfcpu)', () => {
  const p = pod({ phase: 'Failed', reason: 'OutOfcpu', message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 4000, used: 2500, capacity: 4000" });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.match(d.headline, /was rejected by node node-a when it arrived \(OutOfcpu\): the node did not have enough cpu \(requested 4000, used 2500, capacity 4000\)/);
});

test('node lost: NodeNotReady, taint eviction and stuck Terminating', () => {
  const p = pod({ conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ago(25) }, { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: ago(20) }], metadata: { deletionTimestamp: ago(19) }, statuses: [{ name: 'main', ready: false, restartCount: 0, state: { running: { startedAt: ago(100) } } }] });
  const d = diagnose({
    pod: p,
    events: [
      ev('NodeNotReady', 'Node is not ready', { at: ago(25), component: 'node-controller' }),
      ev('TaintManagerEviction', 'Marking for deletion Pod flink-jobs/orders-tm-1-1', { type: 'Normal', at: ago(20), component: 'taint-eviction-controller' }),
    ],
    now: NOW,
  });
  assert.equal(d.findings[0]?.class, 'NodeLost');
  assert.match(d.headline, /node node-a stopped reporting to the control plane \(NodeNotReady\), and Kubernetes is removing the pod from that node; it has been stuck Terminating for 19m/);
  assert.match(d.findings[0]!.fix, /--grace-period=0 --force/);
});

test('phase Unknown on a lost node', () => {
  const p = pod({ phase: 'Unknown', reason: 'NodeLost', message: 'Node node-a which was running pod orders-tm-1-1 is unresponsive' });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'NodeLost');
  assert.match(d.headline, /its state is Unknown/);
});
