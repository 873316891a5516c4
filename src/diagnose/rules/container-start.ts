/**
 * Containers that cannot be created or started, and failing init containers.
 * Sources: kubernetes/kubernetes pkg/kubelet/kuberuntime/kuberuntime_container.go (waiting reasons
 * `CreateContainerConfigError`, `CreateContainerError`, `PreStartHookError`; Event `Failed` "Error: %v"),
 * pkg/kubelet/kubelet_pods.go (`configmap "%s" not found` via the API error, `couldn't find key %s in
 * ConfigMap %s/%s`, `couldn't find key %s in Secret %s/%s`), pkg/kubelet/kuberuntime/security_context_others.go
 * ("container has runAsNonRoot and image will run as root"), pkg/kubelet/container/sync_result.go
 * (`RunContainerError`, before 1.x `StartError` became the terminated reason), runc's messages
 * ("exec: \"%s\": executable file not found in $PATH", "permission denied", "exec format error").
 * Init containers: https://kubernetes.io/docs/concepts/workloads/pods/init-containers/ (`Init:Error`,
 * `Init:CrashLoopBackOff`).
 */
import { describeCommand, fieldNaming, initPurpose, serviceOfHost, type InitPurpose } from '../command.ts';
import {
  clip,
  containerSpec,
  containerStatuses,
  eventsEvidence,
  humanDuration,
  lastSeen,
  specPath,
  statusEvidence,
  statusPath,
  who,
  type RuleContext,
} from '../context.ts';
import { explainExitCode } from '../exit-codes.ts';
import { parseTime } from '../events.ts';
import type { ContainerJson, ContainerStatusJson, Evidence, Finding, NormEvent } from '../types.ts';

/** Explains a CreateContainerConfigError message; returns what is missing and the fix. */
export function explainConfigError(msg: string, path: string): { what: string; fix: string } {
  let m: RegExpExecArray | null;
  if ((m = /(configmap|secret)s? "([^"]+)" not found/i.exec(msg))) {
    const kind = m[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap';
    return { what: `the ${kind} "${m[2]}" it reads does not exist`, fix: `Create the ${kind} ${m[2]} in the pod's namespace, or fix the name in ${path}.env[].valueFrom / envFrom (or mark the reference optional: true).` };
  }
  if ((m = /couldn't find key (\S+) in (ConfigMap|Secret) ([^/\s]+)\/(\S+)/.exec(msg))) {
    return { what: `the ${m[2]} "${m[4]}" has no key "${m[1]}"`, fix: `Add key ${m[1]} to ${m[2]} ${m[4]}, or fix ${path}.env[].valueFrom.${m[2] === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'}.key.` };
  }
  if (/runAsNonRoot and image will run as root/.test(msg)) {
    return { what: 'it must run as non-root (runAsNonRoot) but the image runs as root', fix: `Set ${path}.securityContext.runAsUser to a non-zero UID, or use an image with a non-root USER.` };
  }
  if (/runAsNonRoot and image has non-numeric user/.test(msg)) {
    return { what: 'it must run as non-root but the image names its user by name, which the kubelet cannot check', fix: `Set ${path}.securityContext.runAsUser to the numeric UID.` };
  }
  if (/services have not yet been read/.test(msg)) {
    return { what: 'the kubelet has not yet synced Services from the API server', fix: 'Transient on a restarting node; if it persists, check the kubelet\'s connection to the API server.' };
  }
  return { what: `its configuration is invalid: ${clip(msg, 200)}`, fix: `Fix the reference in ${path} named in the message.` };
}

/**
 * Explains a start error (runc/containerd text); returns what and fix. With the container's spec, a missing or
 * non-executable program is traced to the spec field that names it and the command/args are quoted.
 */
export function explainStartError(msg: string, path: string, c?: ContainerJson): { what: string; fix: string; evidence: Evidence[] } {
  const r = explainStartErrorText(msg, path);
  const prog = /exec: "([^"]+)"|exec "([^"]+)"|exec ([^:\s]+): permission denied/.exec(msg);
  if (!c || !prog || !/executable file not found|no such file or directory|permission denied/.test(msg)) return { ...r, evidence: [] };
  const program = prog[1] ?? prog[2] ?? prog[3]!;
  const field = fieldNaming(c, program);
  const cmd = describeCommand(c, path);
  return {
    what: `${r.what}${field ? ` (it is ${path}.${field})` : ''}; ${cmd.text}`,
    fix: field ? `Fix ${path}.${field} ("${program}"): a typo, or a program missing from the image. ${r.fix}` : r.fix,
    evidence: cmd.evidence,
  };
}

function explainStartErrorText(msg: string, path: string): { what: string; fix: string } {
  let m: RegExpExecArray | null;
  if ((m = /exec: "([^"]+)": executable file not found in \$PATH/.exec(msg)) || (m = /exec: "([^"]+)": stat [^:]+: no such file or directory/.exec(msg)) || (m = /exec "([^"]+)": no such file or directory/.exec(msg))) {
    return { what: `its command "${m[1]}" does not exist in the image`, fix: `Fix ${path}.command / args (or the image's ENTRYPOINT) to a program present in the image.` };
  }
  if ((m = /exec: "([^"]+)": permission denied/.exec(msg)) || (m = /exec ([^:]+): permission denied/.exec(msg)) || /permission denied/.test(msg) && (m = /"([^"]+)"/.exec(msg))) {
    return { what: `its command "${m[1]}" is not executable (permission denied)`, fix: `Make the file executable in the image (chmod +x) or run it through a shell in ${path}.command; check securityContext and volume mount options (noexec).` };
  }
  if (/exec format error/.test(msg)) {
    return { what: 'the image was built for another CPU architecture (exec format error)', fix: 'Use an image built for the node\'s architecture (multi-arch), or add spec.nodeSelector kubernetes.io/arch.' };
  }
  if (/no such file or directory/.test(msg)) {
    return { what: `a file or directory it needs does not exist: ${clip(msg, 160)}`, fix: `Check ${path}.command, workingDir and volumeMounts.` };
  }
  if (/is a directory/.test(msg)) {
    return { what: `its command is a directory: ${clip(msg, 160)}`, fix: `Fix ${path}.command.` };
  }
  return { what: `the runtime failed to create or start it: ${clip(msg, 200)}`, fix: `Check ${path} (command, securityContext, volumeMounts) against the message.` };
}

function failedEventsFor(ctx: RuleContext, container: string, pattern: RegExp): NormEvent[] {
  return ctx.events.filter((e) => e.reason === 'Failed' && (!e.container || e.container === container) && pattern.test(e.message));
}

/** An init container still running after this long, with the app containers waiting, is reported (ms). */
export const INIT_STUCK_MS = 5 * 60 * 1000;

/** Fix for an init container that waits for a host: the Service it names must exist and have endpoints. */
function waitFix(ctx: RuleContext, purpose: InitPurpose, path: string, lastLine: string | undefined): string {
  const svc = purpose.host ? serviceOfHost(purpose.host, ctx.namespace) : undefined;
  const dns = lastLine !== undefined && /bad address|NXDOMAIN|can't resolve|not resolve|Name or service not known|unknown host/i.test(lastLine);
  if (svc) {
    return `${dns ? `The name ${purpose.host} does not resolve: create` : 'Check'} Service ${svc.name} in namespace ${svc.namespace}${dns ? '' : `: it must exist and have ready endpoints${purpose.port ? ` on port ${purpose.port}` : ''}`} (\`kubectl get endpointslices -n ${svc.namespace} -l kubernetes.io/service-name=${svc.name}\`), or fix the host${purpose.port ? '/port' : ''} in ${path}.command/args.`;
  }
  return `Make ${purpose.host ?? 'what it waits for'} reachable from the pod, or fix ${path}.command/args.`;
}

/** The init container finding: it failed (exit code, what it was doing, last log line) or it has been waiting too long. */
function initContainerFinding(ctx: RuleContext, s: ContainerStatusJson, path: string, sp: string): Finding | undefined {
  const w = s.state?.waiting;
  const spec = containerSpec(ctx.pod, s.name);
  const purpose = initPurpose(spec);
  const tail = ctx.logTails.find((l) => l.container === s.name);
  const last = tail?.lines.filter((l) => l.trim()).slice(-3) ?? [];
  const lastLine = last.length ? last[last.length - 1] : undefined;
  const logEvidence: Evidence[] = tail && last.length ? [{ source: 'log', ref: tail.file, text: last.join('\n') }] : [];
  const doing = purpose ? ` It was ${purpose.what} (\`${purpose.from}\` in ${path}.${spec?.command?.length ? 'command' : 'args'}).` : '';
  const lastWords = lastLine ? ` Its last log line: "${clip(lastLine, 160)}".` : '';
  const t = s.state?.terminated ?? (w?.reason === 'CrashLoopBackOff' ? s.lastState?.terminated : undefined);
  if (t && (t.exitCode ?? 0) !== 0) {
    const code = t.exitCode ?? 0;
    const ex = explainExitCode(code);
    const restarts = s.restartCount ?? 0;
    const where = s.state?.terminated ? 'state' : 'lastState';
    const evidence: Evidence[] = [
      statusEvidence(`${sp}.${where}.terminated.exitCode`, code, t.finishedAt),
      statusEvidence(`${sp}.${where}.terminated.reason`, t.reason),
    ];
    if (w?.reason) evidence.push(statusEvidence(`${sp}.state.waiting.reason`, w.reason));
    if (t.message) evidence.push(statusEvidence(`${sp}.${where}.terminated.message`, t.message));
    const cmd = describeCommand(spec, path);
    evidence.push(...cmd.evidence, ...logEvidence);
    const notFound = code === 126 || code === 127;
    const what = t.reason === 'OOMKilled' ? 'ran out of memory (OOMKilled)' : ex.phrase;
    return {
      class: 'InitContainerFailed',
      severity: 'critical',
      summary: `Init container ${s.name} of pod ${ctx.ref} ${what}${restarts > 0 ? `${what.includes(',') ? ',' : ''} and has failed ${restarts + 1} times` : ''}, so the pod's main containers never start.${notFound ? ` ${cmd.text[0]!.toUpperCase()}${cmd.text.slice(1)}.` : doing}${lastWords}`,
      evidence,
      fix: t.reason === 'OOMKilled'
        ? `Raise ${path}.resources.limits.memory.`
        : notFound
          ? `Fix ${path}.command / args: the program must exist in the image and be executable.`
          : purpose
            ? waitFix(ctx, purpose, path, lastLine)
            : `Fix what init container ${s.name} does (${ex.hint}); see \`kubectl logs ${ctx.name} -c ${s.name}\` and ${path}.command.`,
      container: s.name,
      ...(t.finishedAt ? { lastSeen: t.finishedAt } : {}),
    };
  }
  const startedMs = parseTime(s.state?.running?.startedAt);
  if (startedMs !== undefined && ctx.now - startedMs > INIT_STUCK_MS && !ctx.historical) {
    const evidence: Evidence[] = [statusEvidence(`${sp}.state.running.startedAt`, s.state?.running?.startedAt), ...describeCommand(spec, path).evidence, ...logEvidence];
    const waiting = (ctx.pod?.status?.containerStatuses ?? []).find((c) => c.state?.waiting?.reason === 'PodInitializing');
    if (waiting) evidence.push(statusEvidence(statusPath(false, waiting.name) + '.state.waiting.reason', 'PodInitializing'));
    return {
      class: 'InitContainerFailed',
      severity: 'warning',
      summary: `Init container ${s.name} of pod ${ctx.ref} has been running for ${humanDuration(ctx.now - startedMs)} and has not finished, so the pod's main containers have not started.${doing}${lastWords}`,
      evidence,
      fix: purpose ? waitFix(ctx, purpose, path, lastLine) : `See what init container ${s.name} waits for (\`kubectl logs ${ctx.name} -c ${s.name}\`, ${path}.command).`,
      container: s.name,
    };
  }
  return undefined;
}

/** The rule: waiting/terminated container states from status; Events in a history pass. */
export function containerStartRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const { s, init } of containerStatuses(ctx.pod)) {
    const path = specPath(ctx, s.name);
    const sp = statusPath(init, s.name);
    const w = s.state?.waiting;
    if (w?.reason === 'CreateContainerConfigError' || w?.reason === 'CreateContainerError' || w?.reason === 'PreCreateHookError') {
      const evs = failedEventsFor(ctx, s.name, /^Error: /);
      const msg = w.message ?? evs[0]?.message.replace(/^Error: /, '') ?? '';
      const ex = w.reason === 'CreateContainerConfigError' ? { ...explainConfigError(msg, path), evidence: [] } : explainStartError(msg, path, containerSpec(ctx.pod, s.name));
      const evidence: Evidence[] = [statusEvidence(`${sp}.state.waiting.reason`, w.reason)];
      if (w.message) evidence.push(statusEvidence(`${sp}.state.waiting.message`, w.message));
      evidence.push(...eventsEvidence(evs, 1), ...ex.evidence);
      const seen = lastSeen(evs[0]);
      out.push({
        class: w.reason === 'CreateContainerConfigError' ? 'CreateContainerConfigError' : 'CreateContainerError',
        severity: 'critical',
        summary: `${who(ctx, s.name)} cannot be created: ${ex.what}.`,
        evidence,
        fix: ex.fix,
        container: s.name,
        ...(seen ? { lastSeen: seen } : {}),
      });
      continue;
    }
    // A failing postStart hook kills the container (kuberuntime_container.go: reason PostStartHookError,
    // Event FailedPostStartHook "PostStartHook failed"; message "Exec lifecycle hook (%v) for Container %q in Pod
    // %q failed - error: %v, message: %q").
    const hookTerm = [s.state?.terminated, s.lastState?.terminated].find((t) => t?.reason === 'PostStartHookError');
    if (w?.reason === 'PostStartHookError' || hookTerm) {
      const msg = (w?.reason === 'PostStartHookError' ? w.message : undefined) ?? hookTerm?.message ?? '';
      const evidence: Evidence[] = [];
      if (w?.reason === 'PostStartHookError') evidence.push(statusEvidence(`${sp}.state.waiting.reason`, w.reason));
      if (hookTerm) evidence.push(statusEvidence(`${sp}.lastState.terminated.reason`, hookTerm.reason, hookTerm.finishedAt));
      if (msg) evidence.push(statusEvidence(`${sp}.message`, msg));
      evidence.push(...eventsEvidence(ctx.events.filter((e) => e.reason === 'FailedPostStartHook' && (!e.container || e.container === s.name)), 1));
      out.push({
        class: 'StartError',
        severity: 'critical',
        summary: `${who(ctx, s.name)} is killed right after it starts because its postStart hook fails${msg ? `: ${clip(msg, 200)}` : ''}.`,
        evidence,
        fix: `Fix ${path}.lifecycle.postStart (the command must exist in the image and exit 0, an httpGet must answer 2xx).`,
        container: s.name,
      });
      continue;
    }
    const term = s.state?.terminated ?? s.lastState?.terminated;
    const startReasons = ['StartError', 'ContainerCannotRun', 'RunContainerError'];
    if ((term && startReasons.includes(term.reason ?? '')) || w?.reason === 'RunContainerError') {
      const msg = (w?.reason === 'RunContainerError' ? w.message : undefined) ?? term?.message ?? '';
      const ex = explainStartError(msg, path, containerSpec(ctx.pod, s.name));
      const evidence: Evidence[] = [];
      if (w?.reason) evidence.push(statusEvidence(`${sp}.state.waiting.reason`, w.reason));
      if (term) {
        const where = s.state?.terminated ? 'state' : 'lastState';
        evidence.push(statusEvidence(`${sp}.${where}.terminated.reason`, term.reason, term.finishedAt));
        if (term.exitCode !== undefined) evidence.push(statusEvidence(`${sp}.${where}.terminated.exitCode`, term.exitCode));
        if (term.message) evidence.push(statusEvidence(`${sp}.${where}.terminated.message`, term.message));
      }
      evidence.push(...eventsEvidence(failedEventsFor(ctx, s.name, /^Error: /), 1), ...ex.evidence);
      const restarts = s.restartCount ?? 0;
      out.push({
        class: 'StartError',
        severity: 'critical',
        summary: `${who(ctx, s.name)} cannot start: ${ex.what}${restarts > 0 ? `; tried ${restarts + 1} times` : ''}.`,
        evidence,
        fix: ex.fix,
        container: s.name,
        ...(term?.finishedAt ? { lastSeen: term.finishedAt } : {}),
      });
      continue;
    }
    // A failing (or endlessly waiting) init container blocks the app containers.
    const sidecar = ctx.pod?.spec?.initContainers?.find((c) => c.name === s.name)?.restartPolicy === 'Always';
    if (init && !sidecar) {
      const f = initContainerFinding(ctx, s, path, sp);
      if (f) out.push(f);
    }
  }
  // History pass / Events-only: the status is gone, the Events remain.
  if (!ctx.pod?.status) {
    const seen = new Set<string>();
    for (const e of ctx.events) {
      if (e.reason !== 'Failed' || !/^Error: /.test(e.message) || /ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull/.test(e.message)) continue;
      const key = e.container ?? '';
      if (seen.has(key)) continue;
      seen.add(key);
      const msg = e.message.replace(/^Error: /, '');
      const path = specPath(ctx, e.container);
      const config = /not found|couldn't find key|runAsNonRoot/.test(msg) && !/executable file not found/.test(msg);
      const ex = config ? explainConfigError(msg, path) : explainStartError(msg, path, containerSpec(ctx.pod, e.container));
      const seenAt = lastSeen(e);
      out.push({
        class: config ? 'CreateContainerConfigError' : 'StartError',
        severity: 'critical',
        summary: `${who(ctx, e.container)} cannot ${config ? 'be created' : 'start'}: ${ex.what}.`,
        evidence: eventsEvidence([e], 1),
        fix: ex.fix,
        ...(e.container ? { container: e.container } : {}),
        ...(seenAt ? { lastSeen: seenAt } : {}),
      });
    }
  }
  return out;
}
