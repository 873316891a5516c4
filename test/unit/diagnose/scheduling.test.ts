/**
 * Unschedulable pods. Messages are verbatim FailedScheduling texts: envelope from FitError.Error() in
 * kubernetes/kubernetes pkg/scheduler/framework/types.go, reasons from the plugins' ErrReason constants
 * (paths per case).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { parseFitError } from '../../../src/diagnose/rules/scheduling.ts';
import { ev, NOW, pod } from './fixtures.ts';

const FLINK_TM = { name: 'flink-main-container', image: 'flink:1.20.1', resources: { requests: { cpu: '4', memory: '8Gi' }, limits: { memory: '8Gi' } } };

test('parseFitError splits counted reasons, PreFilter reasons and the preemption part', () => {
  const cases: { src: string; msg: string; nodes: number; reasons: { count?: number; text: string }[]; preemption?: boolean }[] = [
    {
      src: 'pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go (1.25+), noderesources/fit.go',
      msg: '0/5 nodes are available: 3 Insufficient memory, 2 node(s) had untolerated taint {dedicated: flink}. preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.',
      nodes: 5,
      reasons: [{ count: 3, text: 'Insufficient memory' }, { count: 2, text: 'node(s) had untolerated taint {dedicated: flink}' }],
      preemption: true,
    },
    {
      src: 'tainttoleration/taint_toleration.go 1.18-1.24: "node(s) had taint {%s: %s}, that the pod didn\'t tolerate"',
      msg: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had taint {dedicated: flink}, that the pod didn't tolerate.",
      nodes: 3,
      reasons: [{ count: 1, text: 'Insufficient cpu' }, { count: 2, text: "node(s) had taint {dedicated: flink}, that the pod didn't tolerate" }],
    },
    {
      src: 'volumebinding/volume_binding.go ErrReasonBindConflict PreFilter rejection (no count)',
      msg: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
      nodes: 3,
      reasons: [{ text: 'pod has unbound immediate PersistentVolumeClaims' }],
      preemption: true,
    },
  ];
  for (const c of cases) {
    const fe = parseFitError(c.msg);
    assert.ok(fe, c.src);
    assert.equal(fe.nodes, c.nodes, c.src);
    assert.deepEqual(fe.reasons, c.reasons, c.src);
    assert.equal(fe.preemption !== undefined, !!c.preemption, c.src);
  }
  // pkg/scheduler/schedule_one.go ErrNoNodesAvailable
  assert.deepEqual(parseFitError('no nodes available to schedule pods'), { nodes: 0, reasons: [] });
  assert.equal(parseFitError('running PreBind plugin "VolumeBinding": binding volumes: timed out waiting for the condition'), undefined);
});

interface Case {
  name: string;
  /** Where the message comes from. */
  src: string;
  msg: string;
  spec?: Record<string, unknown>;
  containers?: typeof FLINK_TM[];
  headline: RegExp[];
  fix: RegExp[];
}

const CASES: Case[] = [
  {
    name: 'insufficient cpu and memory plus an untolerated taint (1.25+ wording)',
    src: 'noderesources/fit.go "Insufficient %v"; tainttoleration/taint_toleration.go "node(s) had untolerated taint {%s: %s}"',
    msg: '0/5 nodes are available: 3 Insufficient cpu, 3 Insufficient memory, 2 node(s) had untolerated taint {dedicated: flink}. preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.',
    containers: [FLINK_TM],
    headline: [/^Pod flink-jobs\/orders-tm-1-1 cannot be scheduled/, /requests 4 CPUs and 8Gi memory/, /of 5 nodes, 3 lack CPU, 3 lack memory and 2 have the taint dedicated=flink that the pod does not tolerate/, /Preempting lower-priority pods would not help/],
    fix: [/resources\.requests\.cpu \(now 4 CPUs/, /resources\.requests\.memory \(now 8Gi memory/, /toleration \(spec\.tolerations\) for dedicated=flink/, /add nodes/],
  },
  {
    name: 'taint, wording before 1.25',
    src: 'tainttoleration/taint_toleration.go (v1.18-v1.24) "node(s) had taint {%s: %s}, that the pod didn\'t tolerate"',
    msg: "0/3 nodes are available: 3 node(s) had taint {dedicated: flink}, that the pod didn't tolerate.",
    headline: [/of 3 nodes, 3 have the taint dedicated=flink that the pod does not tolerate/],
    fix: [/spec\.tolerations/],
  },
  {
    name: 'taints, wording of older releases',
    src: 'older predicates / tainttoleration ErrReasonNotMatch "node(s) had taints that the pod didn\'t tolerate"',
    msg: "0/3 nodes are available: 3 node(s) had taints that the pod didn't tolerate.",
    headline: [/3 have taints that the pod does not tolerate/],
    fix: [/spec\.tolerations/],
  },
  {
    name: 'node selector mismatch',
    src: 'nodeaffinity/node_affinity.go ErrReasonPod "node(s) didn\'t match Pod\'s node affinity/selector"',
    msg: "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
    spec: { nodeSelector: { disktype: 'ssd' } },
    headline: [/4 do not match the pod's node selector or node affinity/],
    fix: [/spec\.nodeSelector \(now disktype=ssd\)/, /spec\.affinity\.nodeAffinity/],
  },
  {
    name: 'node selector mismatch, older wording',
    src: 'older predicates ErrNodeSelectorNotMatch "node(s) didn\'t match node selector"',
    msg: "0/5 nodes are available: 5 node(s) didn't match node selector.",
    headline: [/5 do not match the pod's node selector/],
    fix: [/spec\.nodeSelector/],
  },
  {
    name: 'pod anti-affinity',
    src: 'interpodaffinity/filtering.go ErrReasonAntiAffinityRulesNotMatch "node(s) didn\'t match pod anti-affinity rules"',
    msg: "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    headline: [/3 run a pod that this pod's anti-affinity rules exclude/],
    fix: [/spec\.affinity\.podAntiAffinity/],
  },
  {
    name: 'existing pods anti-affinity',
    src: 'interpodaffinity/filtering.go ErrReasonExistingAntiAffinityRulesNotMatch "node(s) didn\'t satisfy existing pods anti-affinity rules"',
    msg: "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.",
    headline: [/run pods whose anti-affinity rules exclude this pod/],
    fix: [/podAntiAffinity/],
  },
  {
    name: 'unbound immediate PVC',
    src: 'volumebinding/volume_binding.go "pod has unbound immediate PersistentVolumeClaims"',
    msg: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    headline: [/its PersistentVolumeClaim is not bound to a volume/],
    fix: [/kubectl describe pvc/, /storageClassName/],
  },
  {
    name: 'missing PVC',
    src: 'volumebinding/volume_binding.go `persistentvolumeclaim "%s" not found`',
    msg: '0/3 nodes are available: persistentvolumeclaim "data-postgres-0" not found. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    headline: [/its PersistentVolumeClaim "data-postgres-0" does not exist/],
    fix: [/create PersistentVolumeClaim data-postgres-0|claimName/i],
  },
  {
    name: 'volume node affinity conflict',
    src: 'volumebinding/volume_binding.go ErrReasonNodeConflict "node(s) had volume node affinity conflict"',
    msg: '0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had volume node affinity conflict.',
    headline: [/3 are in another zone or place than the pod's PersistentVolume/],
    fix: [/WaitForFirstConsumer/],
  },
  {
    name: 'topology spread',
    src: 'podtopologyspread/filtering.go ErrReasonConstraintsNotMatch "node(s) didn\'t match pod topology spread constraints"',
    msg: "0/6 nodes are available: 6 node(s) didn't match pod topology spread constraints. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
    headline: [/6 would break the pod's topology spread constraints/],
    fix: [/spec\.topologySpreadConstraints/, /ScheduleAnyway/],
  },
  {
    name: 'topology spread, missing label',
    src: 'podtopologyspread/filtering.go ErrReasonNodeLabelNotMatch "… (missing required label)"',
    msg: "0/4 nodes are available: 4 node(s) didn't match pod topology spread constraints (missing required label).",
    headline: [/4 lack the label the topology spread constraint's topologyKey names/],
    fix: [/topologyKey/],
  },
  {
    name: 'extended resource',
    src: 'noderesources/fit.go "Insufficient %v" with an extended resource name',
    msg: '0/4 nodes are available: 4 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.',
    containers: [{ name: 'trainer', image: 'trainer:1', resources: { limits: { 'nvidia.com/gpu': '2' } } } as unknown as typeof FLINK_TM],
    headline: [/requests 2 nvidia\.com\/gpu/, /4 lack nvidia\.com\/gpu/],
    fix: [/resources\.limits\["nvidia\.com\/gpu"\] \(now 2 nvidia\.com\/gpu/],
  },
  {
    name: 'ephemeral storage',
    src: 'noderesources/fit.go "Insufficient %v" (ephemeral-storage)',
    msg: '0/3 nodes are available: 3 Insufficient ephemeral-storage.',
    containers: [{ name: 'main', image: 'x', resources: { requests: { 'ephemeral-storage': '50Gi' } } } as unknown as typeof FLINK_TM],
    headline: [/requests 50Gi ephemeral storage/, /3 lack ephemeral storage/],
    fix: [/resources\.requests\.ephemeral-storage/],
  },
  {
    name: 'pods per node',
    src: 'noderesources/fit.go: the pods resource is reported with Reason "Too many pods" (not "Insufficient pods")',
    msg: '0/2 nodes are available: 2 Too many pods.',
    headline: [/2 have no free pod slots/],
    fix: [/add nodes/i],
  },
  {
    name: 'control-plane taint and cordoned nodes',
    src: 'tainttoleration (control-plane taint with empty value); nodeunschedulable/node_unschedulable.go "node(s) were unschedulable"',
    msg: '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) were unschedulable. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    headline: [/2 are cordoned/, /1 is a control-plane node/],
    fix: [/uncordon/],
  },
  {
    name: 'no nodes at all',
    src: 'pkg/scheduler/schedule_one.go ErrNoNodesAvailable',
    msg: 'no nodes available to schedule pods',
    headline: [/the cluster has no nodes it could use/],
    fix: [/add nodes|See/],
  },
];

for (const c of CASES) {
  test(`scheduling: ${c.name}`, () => {
    const p = pod({ phase: 'Pending', nodeName: null, ...(c.containers ? { containers: c.containers } : {}), ...(c.spec ? { spec: c.spec } : {}), conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: c.msg }] });
    const d = diagnose({ pod: p, events: [ev('FailedScheduling', c.msg, { count: 7, component: 'default-scheduler' })], now: NOW });
    assert.equal(d.severity, 'critical', c.src);
    assert.equal(d.findings[0]?.class, 'Unschedulable', c.src);
    for (const re of c.headline) assert.match(d.headline, re, `${c.src}\n${d.headline}`);
    for (const re of c.fix) assert.match(d.findings[0]!.fix, re, `${c.src}\n${d.findings[0]!.fix}`);
  });
}

test('scheduling: a scheduled pod does not report its old FailedScheduling as current', () => {
  const msg = '0/3 nodes are available: 3 Insufficient memory.';
  const p = pod({ phase: 'Running', statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T11:30:00Z' } } }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T11:30:05Z' }] });
  const d = diagnose({ pod: p, events: [ev('FailedScheduling', msg, { at: '2024-05-01T11:20:00Z' })], now: NOW });
  assert.equal(d.findings.length, 0);
  assert.equal(d.severity, 'ok');
  assert.equal(d.past[0]?.class, 'Unschedulable');
  assert.match(d.headline, /is healthy.*Earlier it had trouble it recovered from: Unschedulable/);
});

test('scheduling: condition alone (Events expired) still explains; nominated node is reported', () => {
  const msg = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
  const p = pod({ phase: 'Pending', nodeName: null, containers: [FLINK_TM], conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg }] });
  p.status!.nominatedNodeName = 'node-c';
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.match(d.headline, /requests 4 CPUs; of 3 nodes, 3 lack CPU/);
  assert.match(d.headline, /preempting lower-priority pods on node node-c/);
});

test('scheduling: scheduling gates (1.26+ condition reason SchedulingGated)', () => {
  // pkg/scheduler/schedule_one.go / framework: PodReasonSchedulingGated = "SchedulingGated"
  const p = pod({ phase: 'Pending', nodeName: null, conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }] });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'Unschedulable');
  assert.match(d.findings[0]!.fix, /schedulingGates/);
});

test('scheduling: newest taint wording without the taint, and the DRA sentence before preemption', () => {
  // tainttoleration/taint_toleration.go (recent): fwk.NewStatus(UnschedulableAndUnresolvable, "node(s) had untolerated taint(s)");
  // DRA (dynamicresources plugin) adds "no new claims to deallocate" before the preemption part.
  const msg = "0/6 nodes are available: 3 node(s) didn't match pod affinity rules, 3 node(s) had untolerated taint(s). no new claims to deallocate, preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.";
  const fe = parseFitError(msg);
  assert.deepEqual(fe?.reasons, [{ count: 3, text: "node(s) didn't match pod affinity rules" }, { count: 3, text: 'node(s) had untolerated taint(s)' }]);
  const p = pod({ phase: 'Pending', nodeName: null });
  const d = diagnose({ pod: p, events: [ev('FailedScheduling', msg, { component: 'default-scheduler' })], now: NOW });
  assert.match(d.headline, /3 have taints that the pod does not tolerate/);
  assert.match(d.headline, /3 do not satisfy the pod's affinity rules/);
  assert.match(d.findings[0]!.fix, /spec\.tolerations/);
});

test('scheduling: an unbound claim is explained by the claim\'s own Warning when given', () => {
  // pkg/controller/volume/persistentvolume/pv_controller.go: ProvisioningFailed `storageclass.storage.k8s.io "%s" not found`.
  const msg = '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
  const p = pod({ phase: 'Pending', nodeName: null, spec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'orders-state' } }] } });
  const d = diagnose({ pod: p, events: [ev('FailedScheduling', msg, { component: 'default-scheduler' }), ev('ProvisioningFailed', 'storageclass.storage.k8s.io "fast-ssd" not found', { kind: 'PersistentVolumeClaim', name: 'orders-state', component: 'persistentvolume-controller' })], now: NOW });
  assert.match(d.headline, /PersistentVolumeClaim orders-state: its StorageClass fast-ssd does not exist\./);
  assert.match(d.findings[0]!.fix, /^Create StorageClass fast-ssd or fix spec\.storageClassName of PersistentVolumeClaim orders-state/);
});

test('scheduling: cluster-autoscaler Events are mentioned', () => {
  // cluster-autoscaler processors/status/eventing_scale_up_processor.go: "pod didn't trigger scale-up: %s", "pod triggered scale-up: %v".
  const msg = '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
  const p = pod({ phase: 'Pending', nodeName: null });
  const no = diagnose({ pod: p, events: [ev('FailedScheduling', msg, { component: 'default-scheduler' }), ev('NotTriggerScaleUp', "pod didn't trigger scale-up: 1 max node group size reached", { type: 'Normal', component: 'cluster-autoscaler' })], now: NOW });
  assert.match(no.headline, /The cluster autoscaler will not add a node: 1 max node group size reached\./);
  const yes = diagnose({ pod: p, events: [ev('FailedScheduling', msg, { component: 'default-scheduler' }), ev('TriggeredScaleUp', 'pod triggered scale-up: [{eks-flink-ng 2->3 (max: 10)}]', { type: 'Normal', component: 'cluster-autoscaler' })], now: NOW });
  assert.match(yes.headline, /The cluster autoscaler is adding a node \(pod triggered scale-up: \[\{eks-flink-ng 2->3 \(max: 10\)\}\]\)/);
});

test('scheduling: the kube-scheduler FitError is preferred over another component\'s FailedScheduling', () => {
  const fit = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.';
  const other = 'Failed to schedule pod, incompatible with nodepool "default", no instance type satisfied resources {"cpu":"16200m","pods":"4"}'; // Karpenter-style text (shape)
  const d = diagnose({ pod: pod({ phase: 'Pending', nodeName: null }), events: [ev('FailedScheduling', fit, { component: 'default-scheduler', at: '2024-05-01T11:58:00Z' }), ev('FailedScheduling', other, { component: 'karpenter', at: '2024-05-01T11:59:00Z' })], now: NOW });
  assert.match(d.headline, /of 3 nodes, 3 lack CPU/);
  assert.match(d.headline, /karpenter says: Failed to schedule pod, incompatible with nodepool "default"/);
});
