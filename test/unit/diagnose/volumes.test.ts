/**
 * Volumes and sandbox. Texts: kubernetes/kubernetes pkg/volume/util/operationexecutor/operation_generator.go
 * ("MountVolume.SetUp failed for volume %q : %v", "MountVolume.MountDevice failed for volume %q : %v",
 * "Multi-Attach error for volume %q Volume is already used by pod(s) %s"), pkg/kubelet/volumemanager/
 * volume_manager.go ("Unable to attach or mount volumes: unmounted volumes=%v, unattached volumes=%v: %s"),
 * pkg/volume/csi/csi_attacher.go / csi_plugin.go ("driver name %s not found in the list of registered CSI
 * drivers"), mount.nfs(8) output, pkg/kubelet/kuberuntime/kuberuntime_manager.go ("Failed to create pod
 * sandbox: %v"), pkg/kubelet/kubelet.go (NetworkNotReady "network is not ready: %v"), containernetworking/plugins
 * host-local IPAM ("no IP addresses available in range set: %s"), aws/amazon-vpc-cni-k8s ("add cmd: failed to
 * assign an IP address to container").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { ago, ev, NOW, pod } from './fixtures.ts';

const VOLUMES = [
  { name: 'flink-config-volume', configMap: { name: 'flink-config-orders' } },
  { name: 'tls', secret: { secretName: 'orders-tls' } },
  { name: 'data', persistentVolumeClaim: { claimName: 'orders-state' } },
  { name: 'shared', nfs: { server: '10.0.0.9', path: '/exports/flink' } },
];

const creating = () => pod({ phase: 'Pending', spec: { volumes: VOLUMES }, statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] });

const CASES: { src: string; reason: string; msg: string; cls: string; headline: RegExp; fix: RegExp }[] = [
  { src: 'operation_generator.go MountVolume.SetUp + API NotFound (ConfigMap)', reason: 'FailedMount', msg: 'MountVolume.SetUp failed for volume "flink-config-volume" : configmap "flink-config-orders" not found', cls: 'VolumeMountFailed', headline: /cannot start because the ConfigMap "flink-config-orders" for volume flink-config-volume \(ConfigMap flink-config-orders\) does not exist/, fix: /Create ConfigMap flink-config-orders/ },
  { src: 'operation_generator.go MountVolume.SetUp + API NotFound (Secret)', reason: 'FailedMount', msg: 'MountVolume.SetUp failed for volume "tls" : secret "orders-tls" not found', cls: 'VolumeMountFailed', headline: /the Secret "orders-tls" for volume tls \(Secret orders-tls\) does not exist/, fix: /secret\.secretName/ },
  { src: 'volume_manager.go "Unable to attach or mount volumes: …"', reason: 'FailedMount', msg: 'Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[data kube-api-access-8xj2k]: timed out waiting for the condition', cls: 'VolumeMountFailed', headline: /volume data \(PersistentVolumeClaim orders-state\) did not get mounted in time/, fix: /kubectl describe pvc/ },
  { src: 'operation_generator.go Multi-Attach (RWO volume still attached elsewhere)', reason: 'FailedAttachVolume', msg: 'Multi-Attach error for volume "pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789" Volume is already used by pod(s) orders-tm-1-0', cls: 'VolumeAttachFailed', headline: /can be attached to one node at a time and is still attached elsewhere \(used by pod\(s\) orders-tm-1-0\)/, fix: /ReadWriteOnce/ },
  { src: 'mount.nfs timeout carried in MountVolume.SetUp', reason: 'FailedMount', msg: 'MountVolume.SetUp failed for volume "shared" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t nfs 10.0.0.9:/exports/flink /var/lib/kubelet/pods/6f1c3a2e/volumes/kubernetes.io~nfs/shared\nOutput: mount.nfs: Connection timed out', cls: 'VolumeMountFailed', headline: /volume shared \(NFS 10\.0\.0\.9:\/exports\/flink\) cannot be mounted: the NFS server does not answer/, fix: /NFS server/ },
  { src: 'csi_attacher.go: driver not registered', reason: 'FailedMount', msg: 'MountVolume.MountDevice failed for volume "pvc-0a1b2c3d" : kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: driver name ebs.csi.aws.com not found in the list of registered CSI drivers', cls: 'VolumeMountFailed', headline: /the CSI driver ebs\.csi\.aws\.com for volume pvc-0a1b2c3d is not running on this node/, fix: /DaemonSet/ },
  { src: 'host-local IPAM exhaustion', reason: 'FailedCreatePodSandBox', msg: 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "3c4f9a2b": plugin type="bridge" failed (add): failed to allocate for range 0: no IP addresses available in range set: 10.244.1.1-10.244.1.254', cls: 'SandboxFailed', headline: /no IP address is free for it on node node-a \(CNI plugin bridge\)/, fix: /IP range/ },
  { src: 'AWS VPC CNI IP exhaustion', reason: 'FailedCreatePodSandBox', msg: 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "9d8e7f": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address to container', cls: 'SandboxFailed', headline: /no IP address is free for it on node node-a \(CNI plugin aws-cni\)/, fix: /subnet/ },
  { src: 'kubelet.go NetworkNotReady', reason: 'NetworkNotReady', msg: 'network is not ready: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized', cls: 'SandboxFailed', headline: /the network plugin on node node-a is not ready/, fix: /CNI DaemonSet/ },
];

for (const c of CASES) {
  test(`${c.cls}: ${c.src}`, () => {
    const d = diagnose({ pod: creating(), events: [ev(c.reason, c.msg, { count: 3 })], now: NOW });
    assert.equal(d.findings[0]?.class, c.cls, c.src);
    assert.match(d.headline, c.headline, `${c.src}\n${d.headline}`);
    assert.match(d.findings[0]!.fix, c.fix, c.src);
  });
}

test('the generic mount timeout yields to the specific cause', () => {
  const d = diagnose({
    pod: creating(),
    events: [
      ev('FailedMount', 'Unable to attach or mount volumes: unmounted volumes=[tls], unattached volumes=[tls kube-api-access-8xj2k]: timed out waiting for the condition', { at: ago(1) }),
      ev('FailedMount', 'MountVolume.SetUp failed for volume "tls" : secret "orders-tls" not found', { at: ago(2), count: 9 }),
    ],
    now: NOW,
  });
  assert.equal(d.findings.length, 1);
  assert.match(d.headline, /Secret "orders-tls"/);
});

test('mount failures followed by a container start are not current', () => {
  const p = pod({ spec: { volumes: VOLUMES }, conditions: [{ type: 'Ready', status: 'False' }], statuses: [{ name: 'main', ready: false, restartCount: 0, state: { running: { startedAt: ago(1) } } }] });
  const d = diagnose({ pod: p, events: [ev('FailedMount', 'MountVolume.SetUp failed for volume "tls" : secret "orders-tls" not found', { at: ago(3) })], now: NOW });
  assert.ok(!d.findings.some((f) => f.class === 'VolumeMountFailed'));
});

test('sandbox: another CNI failure names the plugin and its words', () => {
  // containerd "failed to setup network for sandbox %q: %w"; libcni "plugin type=%q failed (add): %w"; Calico's own error text.
  const msg = 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "5d6f": plugin type="calico" failed (add): error getting ClusterInformation: connection is unauthorized: Unauthorized';
  const d = diagnose({ pod: creating(), events: [ev('FailedCreatePodSandBox', msg)], now: NOW });
  assert.match(d.headline, /the network plugin calico on node node-a failed to set up the pod's network: error getting ClusterInformation: connection is unauthorized: Unauthorized/);
  assert.match(d.findings[0]!.fix, /calico DaemonSet/);
});
