/**
 * Pod sandbox (network namespace) failures. Source: kubernetes/kubernetes
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go (Event `FailedCreatePodSandBox` "Failed to create pod
 * sandbox: %v"), pkg/kubelet/kubelet.go (Event `NetworkNotReady` "network is not ready: %v"). The text after
 * that comes from the container runtime and the CNI plugin (containerd "failed to setup network for sandbox",
 * host-local IPAM "no IP addresses available in range set", AWS VPC CNI "failed to assign an IP address to
 * container", Calico "failed to request IPv4 addresses", "failed to find plugin", "cni plugin not initialized").
 */
import { clip, eventsEvidence, lastSeen, supersededByStart, type RuleContext } from '../context.ts';
import type { Finding } from '../types.ts';

/** Plain words for a sandbox error. */
export function explainSandboxError(msg: string, node: string | undefined): { what: string; fix: string } {
  const onNode = node ? ` on node ${node}` : '';
  const plugin = /plugin type="([^"]+)"/.exec(msg)?.[1];
  if (/no IP addresses available|failed to assign an IP address|failed to request IPv?4? addresses|No available addresses|ipam.*(?:exhaust|no (?:more )?(?:free|available))|range is full|failed to allocate for range|InsufficientFreeAddressesInSubnet|Resource temporarily unavailable/i.test(msg)) {
    return {
      what: `no IP address is free for it${onNode}${plugin ? ` (CNI plugin ${plugin})` : ''}`,
      fix: 'The node\'s pod IP range (or the cloud subnet) is used up: delete finished/stale pods, lower the node\'s maxPods, or give the network plugin a larger range or subnet.',
    };
  }
  if (/cni config uninitialized|cni plugin not initialized|network plugin is not ready|NetworkPluginNotReady|no networks found/i.test(msg)) {
    return { what: `the network plugin${onNode} is not ready`, fix: `Check the CNI DaemonSet pod (calico-node, cilium, aws-node, kube-flannel…) on ${node ?? 'the node'}; it writes the CNI config when it starts.` };
  }
  if (/failed to find plugin "([^"]+)"/.exec(msg)) {
    const p = /failed to find plugin "([^"]+)"/.exec(msg)![1];
    return { what: `the CNI plugin binary "${p}" is missing${onNode}`, fix: `Install the CNI plugin binaries on the node (/opt/cni/bin) or fix the CNI config that names "${p}".` };
  }
  if (/connection refused|dial unix|no such file or directory|context deadline exceeded|i\/o timeout/i.test(msg)) {
    return { what: `the network plugin${onNode}${plugin ? ` (${plugin})` : ''} did not answer: ${clip(msg.replace(/^.*?desc = /, ''), 160)}`, fix: `Check the CNI DaemonSet pod on ${node ?? 'the node'} and its logs.` };
  }
  if (plugin) {
    const detail = /failed \((?:add|ADD)\):\s*(.*)$/s.exec(msg)?.[1] ?? msg.replace(/^.*?desc = /, '');
    return { what: `the network plugin ${plugin}${onNode} failed to set up the pod's network: ${clip(detail, 180)}`, fix: `Check the ${plugin} DaemonSet pod on ${node ?? 'the node'} and its logs (and its credentials to the API server if the message says Unauthorized).` };
  }
  return { what: `the runtime could not create its sandbox${onNode}: ${clip(msg.replace(/^Failed to create pod sandbox: /, ''), 180)}`, fix: 'Check the container runtime and the CNI plugin on the node.' };
}

/** The rule. */
export function sandboxRule(ctx: RuleContext): Finding[] {
  const evs = ctx.events.filter((e) => (e.reason === 'FailedCreatePodSandBox' || e.reason === 'NetworkNotReady') && (ctx.historical || !supersededByStart(ctx, e)));
  const e = evs[0];
  if (!e) return [];
  const ex = explainSandboxError(e.message, ctx.pod?.spec?.nodeName);
  const count = evs.reduce((n, x) => n + x.count, 0);
  const seen = lastSeen(e);
  return [{
    class: 'SandboxFailed',
    severity: 'critical',
    summary: `Pod ${ctx.ref} cannot start because ${ex.what}${count > 1 ? ` (${count} failed attempts)` : ''}.`,
    evidence: eventsEvidence(evs, 2),
    fix: ex.fix,
    ...(seen ? { lastSeen: seen } : {}),
  }];
}
