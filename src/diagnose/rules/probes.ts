/**
 * Liveness, readiness and startup probe failures. Sources: kubernetes/kubernetes pkg/kubelet/prober/prober.go
 * (Event `Unhealthy` "%s probe failed: %s" and "%s probe errored: %v", with the probe type capitalised:
 * `Liveness`, `Readiness`, `Startup`), pkg/kubelet/prober/http.go ("HTTP probe failed with statuscode: %d"),
 * pkg/kubelet/kuberuntime/kuberuntime_manager.go (Event `Killing` "Container %s failed %s probe, will be
 * restarted"; dockershim-era kubelets wrote "Killing container with id docker://…:Container failed liveness
 * probe.. Container will be killed and recreated."). Defaults (initialDelaySeconds 0, periodSeconds 10,
 * timeoutSeconds 1, failureThreshold 3) from
 * https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/.
 * A liveness kill ends the container with SIGKILL after the grace period, exit 137, reason `Error`, not
 * `OOMKilled`.
 */
import {
  clip,
  containerStatuses,
  eventsEvidence,
  lastSeen,
  specEvidence,
  specPath,
  who,
  type RuleContext,
} from '../context.ts';
import type { Finding, NormEvent, ProbeJson } from '../types.ts';

type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** Readiness failures before the latest recovery below this count are normal start-up, not past trouble. */
export const PAST_READINESS_MIN = 6;

/** Probe kind and detail of an `Unhealthy` message; undefined when not a probe message. */
export function parseProbeMessage(msg: string): { kind: ProbeKind; detail: string } | undefined {
  const m = /^(Liveness|Readiness|Startup) probe (?:failed|errored):\s*(.*)$/s.exec(msg.trim());
  if (!m) return undefined;
  return { kind: m[1]!.toLowerCase() as ProbeKind, detail: (m[2] ?? '').trim() };
}

/** Container and probe kind of a `Killing` Event caused by a probe; undefined otherwise. */
export function parseProbeKill(msg: string): { container?: string; kind: 'liveness' | 'startup' } | undefined {
  let m = /Container (\S+) failed (liveness|startup) probe/.exec(msg);
  if (m) return { container: m[1]!, kind: m[2] as 'liveness' | 'startup' };
  m = /docker:\/\/([^:]+):Container failed (liveness|startup) probe/.exec(msg);
  if (m) return { kind: m[2] as 'liveness' | 'startup' };
  return undefined;
}

/** Plain words for a probe failure detail. */
export function explainProbeDetail(detail: string, probe: ProbeJson | undefined): string {
  let m: RegExpExecArray | null;
  if ((m = /statuscode: (\d+)/.exec(detail))) return `its health endpoint answered HTTP ${m[1]}`;
  if (/connection refused/.test(detail)) return 'nothing was listening on the probed port (the application was not up yet, or listens on another port)';
  if (/Client\.Timeout|context deadline exceeded|timeout|timed out/i.test(detail)) return `it did not answer within timeoutSeconds (${probe?.timeoutSeconds ?? 1}s)`;
  if (/no route to host|network is unreachable/.test(detail)) return 'the pod IP was not reachable';
  if (/connection reset/.test(detail)) return 'the connection was reset';
  if (!detail) return 'the probe command failed without output';
  return `"${clip(detail, 160)}"`;
}

function allowance(p: ProbeJson | undefined): number {
  return (p?.initialDelaySeconds ?? 0) + (p?.periodSeconds ?? 10) * (p?.failureThreshold ?? 3);
}

/** The rule. */
export function probesRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const groups = new Map<string, { kind: ProbeKind; container?: string; unhealthy: NormEvent[]; kills: NormEvent[] }>();
  const get = (kind: ProbeKind, container: string | undefined) => {
    const k = `${kind}/${container ?? ''}`;
    let g = groups.get(k);
    if (!g) {
      g = { kind, unhealthy: [], kills: [], ...(container ? { container } : {}) };
      groups.set(k, g);
    }
    return g;
  };
  for (const e of ctx.events) {
    if (e.reason === 'Unhealthy') {
      const p = parseProbeMessage(e.message);
      if (p) get(p.kind, e.container).unhealthy.push(e);
    } else if (e.reason === 'Killing') {
      const k = parseProbeKill(e.message);
      if (k) get(k.kind, k.container ?? e.container).kills.push(e);
    }
  }
  const order: ProbeKind[] = ['startup', 'liveness', 'readiness'];
  for (const g of [...groups.values()].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))) {
    const container = g.container;
    const spec = ctx.pod?.spec?.containers?.find((c) => c.name === container) ?? (ctx.pod?.spec?.containers?.length === 1 ? ctx.pod.spec.containers[0] : undefined);
    const cname = container ?? spec?.name;
    const probe = g.kind === 'liveness' ? spec?.livenessProbe : g.kind === 'readiness' ? spec?.readinessProbe : spec?.startupProbe;
    const st = containerStatuses(ctx.pod).find((x) => x.s.name === cname)?.s;
    if (g.kind === 'readiness' && !ctx.historical && st?.ready) continue;
    // Before the latest recovery, a few readiness failures are just the application starting; report a past
    // outage only from a minute of failures at the default period (6 failures) on.
    if (g.kind === 'readiness' && ctx.historical && g.unhealthy.reduce((n, e) => n + e.count, 0) < PAST_READINESS_MIN) continue;
    // A startup probe that fails until the application is up is doing its job: only kills, or a container
    // that has not started yet, are worth reporting.
    if (g.kind === 'startup' && g.kills.length === 0 && (ctx.historical || st?.started || st?.ready)) continue;
    const latest = g.unhealthy[0];
    const detail = latest ? parseProbeMessage(latest.message)?.detail ?? '' : '';
    const why = explainProbeDetail(detail, probe);
    const fails = g.unhealthy.reduce((n, e) => n + e.count, 0);
    const kills = g.kills.reduce((n, e) => n + e.count, 0);
    const path = specPath(ctx, cname);
    const probeField = `${path}.${g.kind}Probe`;
    const evidence = [...eventsEvidence(g.unhealthy, 2), ...eventsEvidence(g.kills, 1)];
    if (probe) evidence.push(specEvidence(probeField, probe));
    let summary: string;
    let fix: string;
    const refused = /connection refused/.test(detail);
    const slow = /timeout|deadline|timed out/i.test(detail);
    if (g.kind === 'readiness') {
      summary = `${who(ctx, cname)} is not ready, so it gets no Service traffic: its readiness probe failed ${fails > 1 ? `${fails} times` : ''}${fails > 1 ? ' ' : ''}because ${why}.`;
      fix = slow
        ? `Raise ${probeField}.timeoutSeconds (now ${probe?.timeoutSeconds ?? 1}s) or make the endpoint answer faster.`
        : `Fix the endpoint or port in ${probeField} (${probe?.httpGet ? `httpGet ${probe.httpGet.path ?? '/'} port ${probe.httpGet.port}` : probe?.tcpSocket ? `tcpSocket port ${probe.tcpSocket.port}` : 'exec'}), or what the application waits for before it reports ready.`;
    } else {
      const verb = kills > 0
        ? `was restarted ${kills} ${kills === 1 ? 'time' : 'times'} because its ${g.kind} probe failed`
        : g.kind === 'startup'
          ? `has not finished starting: its startup probe failed ${fails} ${fails === 1 ? 'time' : 'times'} so far (it is restarted after ${allowance(probe)}s)`
          : `fails its ${g.kind} probe`;
      summary = `${who(ctx, cname)} ${verb}: ${why}.`;
      if (kills > 0) summary += ' A probe restart ends the container with exit code 137 (SIGKILL); this is not an out-of-memory kill.';
      const allowed = allowance(probe);
      if (g.kind === 'startup') {
        fix = `Give the application more time to start: raise ${probeField}.failureThreshold or periodSeconds (now ${probe?.failureThreshold ?? 3} × ${probe?.periodSeconds ?? 10}s${probe?.initialDelaySeconds ? ` + ${probe.initialDelaySeconds}s delay` : ''} = ${allowed}s allowed).`;
      } else if (refused && !spec?.startupProbe) {
        fix = `If the application is just slow to start, add a ${path}.startupProbe or raise ${probeField}.initialDelaySeconds (now ${probe?.initialDelaySeconds ?? 0}s; ${allowed}s allowed before the first restart); otherwise fix the probed port (${probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? '?'}).`;
      } else if (slow) {
        fix = `Raise ${probeField}.timeoutSeconds (now ${probe?.timeoutSeconds ?? 1}s) and failureThreshold (now ${probe?.failureThreshold ?? 3}); long GC pauses or CPU throttling (resources.limits.cpu) also slow answers.`;
      } else {
        fix = `Fix the health endpoint (${probeField}); a liveness check should not depend on databases or other services, or every outage restarts the pod.`;
      }
    }
    const seen = lastSeen(latest ?? g.kills[0]);
    out.push({
      class: g.kind === 'readiness' ? 'ReadinessProbeFailed' : g.kind === 'startup' ? 'StartupProbeFailed' : 'LivenessProbeFailed',
      severity: g.kind === 'readiness' ? 'warning' : kills > 0 ? 'critical' : 'warning',
      summary: summary.replace(/\s+/g, ' '),
      evidence,
      fix,
      ...(cname ? { container: cname } : {}),
      ...(seen ? { lastSeen: seen } : {}),
    });
  }
  return out;
}
