/**
 * Containers that keep failing: CrashLoopBackOff, and containers that ended with a non-zero exit under
 * restartPolicy Never/OnFailure. Sources: kubernetes/kubernetes pkg/kubelet/kuberuntime/kuberuntime_manager.go
 * (waiting reason `CrashLoopBackOff`, message "back-off %s restarting failed container=%s pod=%s"), Event
 * `BackOff` "Back-off restarting failed container %s in pod %s" (pkg/kubelet/kuberuntime/kuberuntime_container.go;
 * before 1.26 "Back-off restarting failed container"), https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts.
 * The exit code is explained by exit-codes.ts; the last log lines come from podlog's store. Terminations
 * explained by other rules (OOMKilled, start errors) are named as the cause, not re-diagnosed.
 */
import { describeCommand } from '../command.ts';
import {
  clip,
  containerSpec,
  containerStatuses,
  eventsEvidence,
  humanDuration,
  lastLogLines,
  parseProbeKillFor,
  specPath,
  statusEvidence,
  statusPath,
  tellingLine,
  times,
  who,
  type RuleContext,
} from '../context.ts';
import { parseTime } from '../events.ts';
import { explainExitCode } from '../exit-codes.ts';
import type { Evidence, Finding } from '../types.ts';
import { RECENT_MS } from './oom.ts';

const START_REASONS = new Set(['StartError', 'ContainerCannotRun', 'RunContainerError', 'PostStartHookError']);

/** Fix for an exit code, naming the field. */
function fixFor(code: number, path: string, name: string, podName: string): string {
  switch (code) {
    case 0:
      return `The main process exits when done; with restartPolicy Always that counts as a crash. Keep it in the foreground (${path}.command/args), or run finite work as a Job.`;
    case 126:
    case 127:
    case 128:
      return `Fix ${path}.command / args (or the image's ENTRYPOINT): the program must exist in the image and be executable.`;
    case 137:
      return `Check for memory trouble (raise ${path}.resources.limits.memory) and whether it stops within terminationGracePeriodSeconds.`;
    case 143:
      return 'Something asked the container to stop; check the Events for Killing, eviction, preemption or a rollout.';
    case 134:
    case 139:
      return `A native crash: check the previous log (\`kubectl logs ${podName} -c ${name} --previous\`), hs_err_pid*.log for a JVM, and native libraries in the image.`;
    default:
      return `Fix the error the application reports (\`kubectl logs ${podName} -c ${name} --previous\`); check its configuration (${path}.env, args, mounted files).`;
  }
}

/** The rule. */
export function crashRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const restartPolicy = ctx.pod?.spec?.restartPolicy ?? 'Always';
  for (const { s, init } of containerStatuses(ctx.pod)) {
    const sidecar = ctx.pod?.spec?.initContainers?.find((c) => c.name === s.name)?.restartPolicy === 'Always';
    if (init && !sidecar) continue; // container-start.ts reports init containers
    const waitingCrash = s.state?.waiting?.reason === 'CrashLoopBackOff';
    const t = s.state?.terminated ?? s.lastState?.terminated;
    const failedForGood = !!s.state?.terminated && (s.state.terminated.exitCode ?? 0) !== 0 && restartPolicy !== 'Always';
    const restartedRunning = !!s.state?.running && (s.restartCount ?? 0) > 0 && !!s.lastState?.terminated;
    if (!waitingCrash && !failedForGood && !restartedRunning) continue;
    if (t && START_REASONS.has(t.reason ?? '')) continue;
    const code = t?.exitCode ?? 0;
    const ex = explainExitCode(code);
    const restarts = s.restartCount ?? 0;
    const path = specPath(ctx, s.name);
    const sp = statusPath(init, s.name);
    const where = s.state?.terminated ? 'state' : 'lastState';
    const evidence: Evidence[] = [];
    if (s.state?.waiting?.reason) evidence.push(statusEvidence(`${sp}.state.waiting.reason`, s.state.waiting.reason));
    if (s.state?.waiting?.message) evidence.push(statusEvidence(`${sp}.state.waiting.message`, s.state.waiting.message));
    if (t) {
      evidence.push(statusEvidence(`${sp}.${where}.terminated.exitCode`, code, t.finishedAt));
      if (t.reason) evidence.push(statusEvidence(`${sp}.${where}.terminated.reason`, t.reason));
      if (t.message) evidence.push(statusEvidence(`${sp}.${where}.terminated.message`, clip(t.message, 2000)));
    }
    evidence.push(statusEvidence(`${sp}.restartCount`, restarts));
    const backoffs = ctx.events.filter((e) => e.reason === 'BackOff' && /restarting failed container/.test(e.message) && (!e.container || e.container === s.name));
    evidence.push(...eventsEvidence(backoffs, 1));
    const tail = lastLogLines(ctx, s.name, 5);
    if (tail) evidence.push({ source: 'log', ref: tail.file, text: tail.lines.join('\n') });
    const ranMs = t ? (parseTime(t.finishedAt) ?? NaN) - (parseTime(t.startedAt) ?? NaN) : NaN;
    const ran = Number.isFinite(ranMs) ? ` after ${humanDuration(ranMs)}` : '';
    // Cause named by another rule?
    const probeKill = parseProbeKillFor(ctx, s.name);
    let cause: string;
    if (t?.reason === 'OOMKilled') cause = 'it ran out of memory (OOMKilled)';
    else if (probeKill && (code === 137 || code === 143)) cause = `its ${probeKill} probe failed and the kubelet killed it (${ex.phrase.replace(/^was /, '')})`;
    else if (!t || t.exitCode === undefined) cause = 'the exit code of its last run is no longer recorded';
    else cause = `its last run ${ex.phrase}${ran && /[,:]/.test(ex.phrase) ? "," : ""}${ran}`;
    let summary: string;
    let severity: Finding['severity'] = 'critical';
    let past = false;
    if (waitingCrash) {
      summary = `${who(ctx, s.name)} keeps crashing (CrashLoopBackOff, restarted ${times(restarts)}): ${cause}.`;
    } else if (failedForGood) {
      summary = `${who(ctx, s.name)} failed: ${cause}${restartPolicy === 'Never' ? '; restartPolicy is Never, so it is not restarted' : ''}.`;
    } else {
      const finished = parseTime(s.lastState?.terminated?.finishedAt);
      summary = `${who(ctx, s.name)} has restarted ${times(restarts)}; ${cause}. It is running again.`;
      severity = 'warning';
      if (finished !== undefined && ctx.now - finished > RECENT_MS && s.ready) past = true;
      if (t?.reason === 'OOMKilled') continue; // oom.ts says it all
    }
    if (code === 126 || code === 127) {
      // The user's typo is usually in the spec: quote it, and say which of command/args overrides the image.
      const cmd = describeCommand(containerSpec(ctx.pod, s.name), path);
      summary += ` ${cmd.text[0]!.toUpperCase()}${cmd.text.slice(1)}.`;
      evidence.push(...cmd.evidence);
    }
    const line = tail ? tellingLine(tail.lines) : undefined;
    if (line && t?.reason !== 'OOMKilled') summary += ` Last log line: "${clip(line, 200)}"`;
    else if (!tail && t?.message) summary += ` Termination message: "${clip(t.message, 200)}"`;
    const fix = t?.reason === 'OOMKilled'
      ? `See the out-of-memory finding: raise ${path}.resources.limits.memory.`
      : probeKill
        ? `See the ${probeKill} probe finding (${path}.${probeKill}Probe).`
        : !t || t.exitCode === undefined
          ? `Read the log of the failed run (\`kubectl logs ${ctx.name} -c ${s.name} --previous\`).`
          : fixFor(code, path, s.name, ctx.name);
    out.push({
      class: waitingCrash ? 'CrashLoopBackOff' : 'ContainerFailed',
      severity,
      summary,
      evidence,
      fix,
      container: s.name,
      ...(t?.finishedAt ? { lastSeen: t.finishedAt } : {}),
      ...(past ? { past } : {}),
    });
  }
  // History pass / Events-only: BackOff Events remain.
  if (!ctx.pod?.status) {
    const seen = new Set<string>();
    for (const e of ctx.events) {
      if (e.reason !== 'BackOff' || !/restarting failed container/.test(e.message)) continue;
      const m = /restarting failed container (\S+)/.exec(e.message);
      const c = e.container ?? m?.[1];
      if (seen.has(c ?? '')) continue;
      seen.add(c ?? '');
      out.push({
        class: 'CrashLoopBackOff',
        severity: 'critical',
        summary: `${who(ctx, c)} kept crashing (Kubernetes backed off restarting it ${times(e.count)}).`,
        evidence: eventsEvidence([e], 1),
        fix: `Read the container's log of the failed run (\`kubectl logs ${ctx.name}${c ? ` -c ${c}` : ''} --previous\`).`,
        ...(c ? { container: c } : {}),
      });
    }
  }
  return out;
}
