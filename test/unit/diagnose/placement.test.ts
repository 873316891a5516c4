/**
 * The object at fault for a pod that cannot be placed: the PersistentVolumeClaim, its StorageClass and
 * provisioner (pv_controller.go Events), the affinity / anti-affinity / topology-spread rule as written in the
 * spec, and the nodes' taints when 1.37's FitError says only "N node(s) had untolerated taint(s)"
 * (pkg/scheduler/framework/plugins/tainttoleration). Messages are verbatim.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tolerates } from '../../../src/diagnose/rules/placement.ts';
import { diagnose, ev, NOW, NS, pod } from './fixtures.ts';

const PREEMPT_NO = ' preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.';
const pending = (spec: Record<string, unknown>) => pod({ phase: 'Pending', nodeName: null, spec });
const PVC_SPEC = { volumes: [{ name: 'state', persistentVolumeClaim: { claimName: 'orders-state' } }] };
const pvcEv = (reason: string, message: string, type = 'Normal') => ev(reason, message, { type, kind: 'PersistentVolumeClaim', name: 'orders-state', component: 'persistentvolume-controller' });

test('unbound claim waiting for its external provisioner names the claim, StorageClass and provisioner', () => {
  const sched = ev('FailedScheduling', '0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found.' + PREEMPT_NO, { component: 'default-scheduler' });
  const ext = pvcEv('ExternalProvisioning', "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.");
  const objects = [
    { kind: 'PersistentVolumeClaim', metadata: { name: 'orders-state', namespace: NS }, spec: { storageClassName: 'gp3' }, status: { phase: 'Pending' } },
    { kind: 'StorageClass', metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'Immediate' },
  ];
  const d = diagnose({ pod: pending(PVC_SPEC), events: [sched, ext], objects, now: NOW });
  assert.match(d.headline, /PersistentVolumeClaim orders-state \(StorageClass gp3, provisioner ebs\.csi\.aws\.com, Immediate\): it waits for provisioner ebs\.csi\.aws\.com to create a volume, which has not happened\./);
  assert.match(d.findings[0]!.fix, /^Check that provisioner ebs\.csi\.aws\.com runs and is registered/);
  assert.ok(d.findings[0]!.evidence.some((e) => e.ref === 'StorageClass/gp3 provisioner' && e.text === 'ebs.csi.aws.com'));
});

test('provisioning failed: the provisioner\'s words are quoted', () => {
  const sched = ev('FailedScheduling', '0/4 nodes are available: pod has unbound immediate PersistentVolumeClaims.' + PREEMPT_NO, { component: 'default-scheduler' });
  const failed = pvcEv('ProvisioningFailed', 'failed to provision volume with StorageClass "gp3": rpc error: code = Internal desc = Could not create volume "pvc-1b2c": could not create volume in EC2: UnauthorizedOperation: You are not authorized to perform this operation.', 'Warning');
  const d = diagnose({ pod: pending(PVC_SPEC), events: [sched, failed], now: NOW });
  assert.match(d.headline, /PersistentVolumeClaim orders-state \(StorageClass gp3\): creating its volume failed: "failed to provision volume with StorageClass \\"gp3\\"|PersistentVolumeClaim orders-state \(StorageClass gp3\): creating its volume failed: "failed to provision volume with StorageClass "gp3": rpc error/);
  assert.deepEqual(d.findings.map((f) => f.class), ['Unschedulable']);
});

test('WaitForFirstConsumer with no matching local PersistentVolume', () => {
  const sched = ev('FailedScheduling', "0/4 nodes are available: 4 node(s) didn't find available persistent volumes to bind." + PREEMPT_NO, { component: 'default-scheduler' });
  const wffc = pvcEv('WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
  const objects = [
    { kind: 'PersistentVolumeClaim', metadata: { name: 'orders-state', namespace: NS }, spec: { storageClassName: 'local-storage' }, status: { phase: 'Pending' } },
    { kind: 'StorageClass', metadata: { name: 'local-storage' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' },
  ];
  const d = diagnose({ pod: pending(PVC_SPEC), events: [sched, wffc], objects, now: NOW });
  assert.match(d.headline, /PersistentVolumeClaim orders-state \(StorageClass local-storage, provisioner kubernetes\.io\/no-provisioner, WaitForFirstConsumer\): its StorageClass creates no volumes, it binds when the pod is placed, and no PersistentVolume of class local-storage fits a node the pod may use\./);
  assert.match(d.findings[0]!.fix, /^Create a PersistentVolume with storageClassName local-storage/);
});

test('anti-affinity, affinity, topology spread and node affinity name the rule as written', () => {
  const spec = {
    affinity: {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1a'] }] }] } },
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'orders' } }, topologyKey: 'kubernetes.io/hostname' }] },
    },
    topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'orders' } } }],
  };
  // interpodaffinity ErrReasonAntiAffinityRulesNotMatch, podtopologyspread ErrReasonConstraintsNotMatch, nodeaffinity ErrReasonPod.
  const msg = "0/6 nodes are available: 2 node(s) didn't match pod anti-affinity rules, 2 node(s) didn't match pod topology spread constraints, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/6 nodes are available: 2 No preemption victims found for incoming pod, 4 Preemption is not helpful for scheduling.";
  const d = diagnose({ pod: pending(spec), events: [ev('FailedScheduling', msg, { component: 'default-scheduler' })], now: NOW });
  assert.ok(d.headline.length <= 400);
  assert.match(d.findings[0]!.summary, /a pod that this pod's anti-affinity rules exclude \(keep away from pods with app=orders per kubernetes\.io\/hostname\)/);
  assert.match(d.findings[0]!.summary, /topology spread constraints \(maxSkew 1 per topology\.kubernetes\.io\/zone over pods with app=orders\)/);
  assert.match(d.findings[0]!.summary, /node affinity \(requires topology\.kubernetes\.io\/zone In \[eu-west-1a\]\)/);
  const aff = diagnose({ pod: pending({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['cache'] }] }, topologyKey: 'topology.kubernetes.io/zone' }] } } }), events: [ev('FailedScheduling', "0/3 nodes are available: 3 node(s) didn't match pod affinity rules." + ' preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.', { component: 'default-scheduler' })], now: NOW });
  assert.match(aff.headline, /do not satisfy the pod's affinity rules \(run next to pods with app In \[cache\] per topology\.kubernetes\.io\/zone\)/);
});

test('"N node(s) had untolerated taint(s)": the taints come from the Node objects', () => {
  const nodes = [
    { kind: 'Node', metadata: { name: 'gpu-1' }, spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] } },
    { kind: 'Node', metadata: { name: 'gpu-2' }, spec: { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }, { key: 'example.com/maintenance', effect: 'PreferNoSchedule' }] } },
    { kind: 'Node', metadata: { name: 'cp-1' }, spec: { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } },
    { kind: 'Node', metadata: { name: 'batch-1' }, spec: { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] } },
  ];
  const spec = { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }] };
  const msg = '0/4 nodes are available: 1 Insufficient memory, 3 node(s) had untolerated taint(s).' + PREEMPT_NO;
  const d = diagnose({ pod: pending(spec), events: [ev('FailedScheduling', msg, { component: 'default-scheduler' })], objects: nodes, now: NOW });
  assert.match(d.headline, /3 have taints the pod does not tolerate: nvidia\.com\/gpu=present:NoSchedule \(2 nodes\), node-role\.kubernetes\.io\/control-plane:NoSchedule \(1 node\)/);
  assert.match(d.findings[0]!.fix, /toleration \(spec\.tolerations\) for nvidia\.com\/gpu=present:NoSchedule \(\{key: "nvidia\.com\/gpu", operator: "Equal", value: "present", effect: "NoSchedule"\}\)/);
  assert.ok(tolerates([{ operator: 'Exists' }], { key: 'any', effect: 'NoExecute' }));
  assert.ok(!tolerates([{ key: 'dedicated', operator: 'Equal', value: 'flink', effect: 'NoSchedule' }], { key: 'dedicated', value: 'batch', effect: 'NoSchedule' }));
});
