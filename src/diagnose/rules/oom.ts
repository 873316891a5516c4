/**
 * Containers killed for exceeding their memory limit. The container status carries
 * `terminated.reason: OOMKilled` (exit code 137) in `state` or, once restarted, in `lastState`: the kubelet
 * writes no Event for it (https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/#exceed-a-containers-memory-limit),
 * so this rule reads the status; it still reports when the pod runs again. Node-level Events that may
 * accompany it: kubelet `SystemOOM` on the Node ("System OOM encountered, victim process: %s, pid: %d",
 * pkg/kubelet/oom/oom_watcher_linux.go) and node-problem-detector `OOMKilling` ("Memory cgroup out of memory:
 * Killed process …").
 */
import {
  containerStatuses,
  eventsEvidence,
  humanDuration,
  specEvidence,
  specPath,
  statusEvidence,
  statusPath,
  times,
  who,
  type RuleContext,
} from '../context.ts';
import { parseTime } from '../events.ts';
import { exitCodeName } from '../exit-codes.ts';
import { describeAmount } from '../../kube/quantity.ts';
import type { ContainerJson, Finding, PodJson } from '../types.ts';

/** An hour: a restart older than this on a container that is ready again is reported as past. */
export const RECENT_MS = 60 * 60 * 1000;

/** True when the container looks like a JVM / Flink process (image, name or Flink labels). */
export function isJvm(pod: PodJson | undefined, c: ContainerJson | undefined): boolean {
  const labels = pod?.metadata?.labels ?? {};
  if (labels['type'] === 'flink-native-kubernetes' || labels['app.kubernetes.io/name'] === 'flink') return true;
  return /flink|java|jdk|jre|openjdk|temurin|corretto|kafka|spark|elasticsearch/i.test(`${c?.image ?? ''} ${c?.name ?? ''}`);
}

/** True when the container looks like a Flink TaskManager or JobManager. */
export function isFlink(pod: PodJson | undefined, c: ContainerJson | undefined): boolean {
  const labels = pod?.metadata?.labels ?? {};
  return labels['type'] === 'flink-native-kubernetes' || /flink|taskmanager|jobmanager/i.test(`${c?.image ?? ''} ${c?.name ?? ''} ${labels['component'] ?? ''}`);
}

/** The rule. */
export function oomRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const { s, init } of containerStatuses(ctx.pod)) {
    const inState = s.state?.terminated?.reason === 'OOMKilled';
    const t = inState ? s.state?.terminated : s.lastState?.terminated?.reason === 'OOMKilled' ? s.lastState.terminated : undefined;
    if (!t) continue;
    const spec = ctx.pod?.spec?.containers?.concat(ctx.pod.spec.initContainers ?? []).find((c) => c.name === s.name);
    const limit = spec?.resources?.limits?.memory;
    const request = spec?.resources?.requests?.memory;
    const path = specPath(ctx, s.name);
    const sp = statusPath(init, s.name);
    const where = inState ? 'state' : 'lastState';
    const restarts = s.restartCount ?? 0;
    const evidence = [
      statusEvidence(`${sp}.${where}.terminated.reason`, t.reason, t.finishedAt),
      statusEvidence(`${sp}.${where}.terminated.exitCode`, t.exitCode),
    ];
    if (limit !== undefined) evidence.push(specEvidence(`${path}.resources.limits.memory`, String(limit)));
    if (s.state?.waiting?.reason) evidence.push(statusEvidence(`${sp}.state.waiting.reason`, s.state.waiting.reason));
    const node = ctx.pod?.spec?.nodeName;
    evidence.push(...eventsEvidence([...ctx.events, ...ctx.ownerEvents].filter((e) => (e.reason === 'OOMKilling' || e.reason === 'SystemOOM') && (e.kind !== 'Node' || e.name === node)), 1));
    const ranMs = (parseTime(t.finishedAt) ?? 0) - (parseTime(t.startedAt) ?? 0);
    const ran = parseTime(t.finishedAt) !== undefined && parseTime(t.startedAt) !== undefined ? ` after running ${humanDuration(ranMs)}` : '';
    const limitWords = limit !== undefined ? `its ${describeAmount('memory', limit)} limit` : 'the memory available to it (it has no memory limit, so the node ran short)';
    let summary = `${who(ctx, s.name)} was killed with ${exitCodeName(t.exitCode ?? 137)} for using more than ${limitWords} (OOMKilled)${ran}`;
    if (restarts > 0) summary += `; it has restarted ${times(restarts)}`;
    let severity: Finding['severity'] = 'critical';
    let past = false;
    const running = s.state?.running;
    if (running) {
      const finished = parseTime(t.finishedAt);
      summary += `; it is running again since ${running.startedAt ?? 'then'}`;
      severity = 'warning';
      if (s.ready && finished !== undefined && ctx.now - finished > RECENT_MS) past = true;
    } else if (s.state?.waiting?.reason === 'CrashLoopBackOff') {
      summary += ' and is in CrashLoopBackOff, waiting to be restarted';
    }
    summary += '.';
    const jvm = isJvm(ctx.pod, spec);
    let fix = `Raise ${path}.resources.limits.memory${limit !== undefined ? ` (now ${limit})` : ''}${request !== undefined ? ` and resources.requests.memory (now ${request})` : ''}, or make the process use less memory.`;
    if (limit === undefined) fix = `Set ${path}.resources.requests.memory and resources.limits.memory to what the process needs, so the scheduler places it on a node with room.`;
    if (jvm) {
      fix += isFlink(ctx.pod, spec)
        ? ' For Flink, the JVM\'s total (heap + managed + network + metaspace + overhead) must fit the limit: keep taskmanager.memory.process.size (jobmanager.memory.process.size) at or below resources.limits.memory, and raise taskmanager.memory.jvm-overhead.fraction if native memory (RocksDB, threads) grows.'
        : ' For a JVM, keep -Xmx / MaxRAMPercentage well below the limit: the JVM also uses metaspace, thread stacks and direct memory.';
    }
    out.push({ class: 'OOMKilled', severity, summary, evidence, fix, container: s.name, ...(t.finishedAt ? { lastSeen: t.finishedAt } : {}), ...(past ? { past } : {}) });
  }
  // Events-only: node-problem-detector's OOMKilling on the pod.
  if (!ctx.pod?.status) {
    const e = ctx.events.find((x) => x.reason === 'OOMKilling');
    if (e) {
      out.push({
        class: 'OOMKilled',
        severity: 'critical',
        summary: `A process of pod ${ctx.ref} was killed for running out of memory.`,
        evidence: eventsEvidence([e], 1),
        fix: 'Raise resources.limits.memory of the container, or make it use less memory.',
      });
    }
  }
  return out;
}
