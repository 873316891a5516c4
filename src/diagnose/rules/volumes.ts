/**
 * Volumes that cannot be attached or mounted. Sources: kubernetes/kubernetes
 * pkg/volume/util/operationexecutor/operation_generator.go (Events `FailedMount` "MountVolume.SetUp failed for
 * volume %q : %v", "MountVolume.MountDevice failed for volume %q : %v", `FailedAttachVolume`
 * "AttachVolume.Attach failed for volume %q : %v", "Multi-Attach error for volume %q Volume is already used by
 * pod(s) %s" / "… Volume is already exclusively attached to one node and can't be attached to another"),
 * pkg/kubelet/volumemanager/volume_manager.go ("Unable to attach or mount volumes: unmounted volumes=%v,
 * unattached volumes=%v[, failed to process volumes=%v]: %s"; before 1.17 "Unable to mount volumes for pod
 * …: timeout expired waiting for volumes to attach or mount"), pkg/volume/csi/csi_attacher.go ("driver name %s
 * not found in the list of registered CSI drivers"), and mount(8)/mount.nfs texts carried in the error.
 */
import {
  clip,
  eventsEvidence,
  lastSeen,
  supersededByStart,
  type RuleContext,
} from '../context.ts';
import type { Finding, NormEvent, PodJson } from '../types.ts';

/** Plain words for a volume of the spec: `volume config (ConfigMap flink-config)`. */
export function describeVolume(pod: PodJson | undefined, name: string): string {
  const v = pod?.spec?.volumes?.find((x) => x.name === name);
  if (!v) return `volume ${name}`;
  if (v.configMap) return `volume ${name} (ConfigMap ${v.configMap.name})`;
  if (v.secret) return `volume ${name} (Secret ${v.secret.secretName})`;
  if (v.persistentVolumeClaim) return `volume ${name} (PersistentVolumeClaim ${v.persistentVolumeClaim.claimName})`;
  if (v.nfs) return `volume ${name} (NFS ${v.nfs.server}:${v.nfs.path})`;
  if (v.csi) return `volume ${name} (CSI driver ${v.csi.driver})`;
  return `volume ${name}`;
}

/** Explains one FailedMount / FailedAttachVolume message. */
export function explainVolumeError(pod: PodJson | undefined, msg: string): { what: string; fix: string; attach: boolean } {
  let m: RegExpExecArray | null;
  const vol = /for volume "([^"]+)"/.exec(msg)?.[1];
  const vdesc = vol ? describeVolume(pod, vol) : 'a volume';
  if ((m = /Multi-Attach error for volume "([^"]+)" Volume is already (used by pod\(s\) ([^\n]+)|exclusively attached to one node)/.exec(msg))) {
    return {
      what: `volume ${m[1]} can be attached to one node at a time and is still attached elsewhere${m[3] ? ` (used by pod(s) ${clip(m[3], 120)})` : ''}`,
      fix: 'Wait for the old pod to stop (or delete it) so the volume detaches; a ReadWriteOnce volume cannot be shared between nodes — use a Deployment strategy Recreate or a ReadWriteMany volume.',
      attach: true,
    };
  }
  if ((m = /(configmap|secret)s? "([^"]+)" not found/i.exec(msg))) {
    const kind = m[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
    return { what: `the ${kind} "${m[2]}" for ${vdesc} does not exist`, fix: `Create ${kind} ${m[2]} in namespace ${pod?.metadata?.namespace ?? 'of the pod'}, or fix spec.volumes[${vol ?? ''}].${kind === 'Secret' ? 'secret.secretName' : 'configMap.name'} (or set optional: true).`, attach: false };
  }
  if ((m = /driver name (\S+) not found in the list of registered CSI drivers/.exec(msg))) {
    return { what: `the CSI driver ${m[1]} for ${vdesc} is not running on this node`, fix: `Check the CSI driver's node DaemonSet (${m[1]}) on this node; it registers the driver with the kubelet.`, attach: false };
  }
  if (/mount\.nfs|nfs/i.test(msg) || /type nfs/.test(msg)) {
    const why = /access denied/.test(msg) ? 'the NFS server denied access' : /timed out|Connection timed out/i.test(msg) ? 'the NFS server does not answer' : /No such file or directory/.test(msg) ? 'the exported path does not exist' : /wrong fs type|bad option/.test(msg) ? 'the node lacks NFS client tools (nfs-common / nfs-utils)' : 'mounting NFS failed';
    return { what: `${vdesc} cannot be mounted: ${why}`, fix: 'Check the NFS server, export path and its allowed clients (spec.volumes[].nfs), network access from the node, and that the node has the NFS client installed.', attach: false };
  }
  if (/AttachVolume\.Attach failed/.test(msg)) {
    return { what: `${vdesc} cannot be attached to the node: ${clip(msg.replace(/^.*?: /, ''), 160)}`, fix: 'Check the storage provider (cloud disk limits per node, zone, permissions) and the CSI controller logs.', attach: true };
  }
  if (/Unable to attach or mount volumes|Unable to mount volumes|timed out waiting for the condition|timeout expired waiting for volumes/.test(msg)) {
    const um = /unmounted volumes=\[([^\]]*)\]/.exec(msg);
    const names = (um?.[1] ?? '').split(/\s+/).filter(Boolean);
    return {
      what: `${names.length ? names.map((n) => describeVolume(pod, n)).join(', ') : 'its volumes'} did not get mounted in time`,
      fix: 'Look at the earlier FailedMount/FailedAttachVolume Events for the cause; check the PersistentVolumeClaim (`kubectl describe pvc`) and the storage driver.',
      attach: false,
    };
  }
  if (/MountVolume\.MountDevice failed|MountVolume\.SetUp failed|MountVolume\.WaitForAttach failed/.test(msg)) {
    return { what: `${vdesc} cannot be mounted: ${clip(msg.replace(/^.*? : /, ''), 180)}`, fix: 'Check the volume source in spec.volumes and the storage driver on the node.', attach: false };
  }
  return { what: `a volume cannot be mounted: ${clip(msg, 180)}`, fix: 'Check spec.volumes and the storage driver.', attach: false };
}

/** The rule. One finding per volume (latest message wins; a timeout summary yields to a specific cause). */
export function volumesRule(ctx: RuleContext): Finding[] {
  const evs = ctx.events.filter((e) => (e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume') && (ctx.historical || !supersededByStart(ctx, e)));
  if (!evs.length) return [];
  const byVol = new Map<string, NormEvent[]>();
  for (const e of evs) {
    const v = /for volume "([^"]+)"/.exec(e.message)?.[1] ?? '';
    byVol.set(v, [...(byVol.get(v) ?? []), e]);
  }
  // The generic "Unable to attach or mount volumes" message only when nothing specific is known.
  if (byVol.size > 1) byVol.delete('');
  const out: Finding[] = [];
  for (const list of byVol.values()) {
    const e = list[0]!;
    const ex = explainVolumeError(ctx.pod, e.message);
    const count = list.reduce((n, x) => n + x.count, 0);
    const seen = lastSeen(e);
    out.push({
      class: ex.attach ? 'VolumeAttachFailed' : 'VolumeMountFailed',
      severity: 'critical',
      summary: `Pod ${ctx.ref} cannot start because ${ex.what}${count > 1 ? ` (${count} failed attempts)` : ''}.`,
      evidence: eventsEvidence(list, 2),
      fix: ex.fix,
      ...(seen ? { lastSeen: seen } : {}),
    });
  }
  return out;
}
