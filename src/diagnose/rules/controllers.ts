/**
 * Pods that were never created: the owner's `FailedCreate` Events. Sources: kubernetes/kubernetes
 * pkg/controller/controller_utils.go (ReplicaSet/Job/DaemonSet: "Error creating: %v"),
 * pkg/controller/statefulset/stateful_pod_control.go ("create Pod %s in StatefulSet %s failed error: %s"),
 * plugin/pkg/admission/resourcequota/controller.go ("exceeded quota: %s, requested: %s, used: %s, limited:
 * %s"; "failed quota: %s: must specify %s", in newer releases per container: "must specify limits.cpu for:
 * app; limits.memory for: app"), plugin/pkg/admission/limitranger/admission.go ("maximum %s usage per %s is %s, but limit is %s",
 * "minimum %s usage per %s is %s, but request is %s", "%s max limit to request ratio per %s is %s, but
 * provided ratio is %f"), staging/src/k8s.io/pod-security-admission ("violates PodSecurity %q: %s"), and the
 * serviceaccount admission ("error looking up service account %s/%s: %v"). The API wraps them as
 * `pods "<name>" is forbidden: …`. Docs: https://kubernetes.io/docs/concepts/policy/resource-quotas/
 */
import { clip, eventsEvidence, lastSeen, type RuleContext } from '../context.ts';
import { joinAnd } from './scheduling.ts';
import type { Finding, NormEvent } from '../types.ts';

/** A parsed `exceeded quota` message: quota name and per-resource requested/used/limited. */
export interface QuotaExceeded {
  quota: string;
  resources: { resource: string; requested?: string; used?: string; limited?: string }[];
}

function kvList(s: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of (s ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i > 0) m.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return m;
}

/** The pod field a quota resource counts: `limits.memory` → `resources.limits.memory`, `cpu` → `resources.requests.cpu`. */
export function quotaField(r: string): string {
  if (/^(requests|limits)\./.test(r)) return `resources.${r}`;
  if (['cpu', 'memory', 'ephemeral-storage'].includes(r)) return `resources.requests.${r}`;
  if (r === 'pods' || r === 'count/pods') return 'number of pods (replicas)';
  return r;
}

/** Parses `exceeded quota: NAME, requested: k=v,…, used: k=v,…, limited: k=v,…`; undefined if absent. */
export function parseQuotaExceeded(msg: string): QuotaExceeded | undefined {
  const m = /exceeded quota: ([^,]+), requested: (.*?), used: (.*?), limited: ([^\s"]*[^\s".,])/.exec(msg);
  if (!m) return undefined;
  const req = kvList(m[2]);
  const used = kvList(m[3]);
  const lim = kvList(m[4]);
  const names = [...new Set([...req.keys(), ...lim.keys()])];
  return {
    quota: m[1]!.trim(),
    resources: names.map((r) => {
      const o: { resource: string; requested?: string; used?: string; limited?: string } = { resource: r };
      const a = req.get(r), b = used.get(r), c = lim.get(r);
      if (a !== undefined) o.requested = a;
      if (b !== undefined) o.used = b;
      if (c !== undefined) o.limited = c;
      return o;
    }),
  };
}

/** Parses `failed quota: NAME: must specify …` (both the comma list and the newer `X for: c; Y for: c` form). */
export function parseQuotaMustSpecify(msg: string): { quota: string; resources: string[] } | undefined {
  const m = /failed quota: ([^:]+): must specify ([^"\n]+)/.exec(msg);
  if (!m) return undefined;
  const rs = m[2]!
    .split(';')
    .flatMap((part) => (/\sfor:/.test(part) ? [part.replace(/\s+for:.*$/, '')] : part.split(',')))
    .map((x) => x.trim().replace(/\.$/, ''))
    .filter(Boolean);
  return { quota: m[1]!.trim(), resources: [...new Set(rs)] };
}

/** Explains why the API refused to create a pod. Class, plain words and fix. */
export function explainForbidden(msg: string): { cls: Finding['class']; what: string; fix: string } | undefined {
  const q = parseQuotaExceeded(msg);
  if (q) {
    const parts = q.resources.map((r) => `${r.resource}: the pod asks for ${r.requested ?? '?'}, ${r.used ?? '?'} of ${r.limited ?? '?'} is already used`);
    return {
      cls: 'QuotaExceeded',
      what: `the namespace's ResourceQuota ${q.quota} is full (${joinAnd(parts)})`,
      fix: `Lower the pod template's ${joinAnd(q.resources.map((r) => quotaField(r.resource)))}, delete other pods in the namespace, or raise spec.hard of ResourceQuota ${q.quota}.`,
    };
  }
  const s = parseQuotaMustSpecify(msg);
  if (s) {
    return {
      cls: 'QuotaExceeded',
      what: `the namespace's ResourceQuota ${s.quota} requires every container to set ${joinAnd(s.resources)}, and the pod template does not`,
      fix: `Set ${joinAnd(s.resources.map(quotaField))} on every container (init containers too) of the pod template, or add a LimitRange with defaults for them.`,
    };
  }
  let m: RegExpExecArray | null;
  if ((m = /(maximum|minimum) (\S+) usage per (Container|Pod|PersistentVolumeClaim) is (\S+), but (limit|request) is (\S+?)\.?(?:\s|$|,)/.exec(msg))) {
    const [, kind, res, per, bound, which, value] = m;
    return {
      cls: 'LimitRangeViolation',
      what: `a LimitRange allows a ${kind} ${res} ${which} of ${bound} per ${per}, and the pod template sets ${value}`,
      fix: `Set resources.${which === 'limit' ? 'limits' : 'requests'}.${res} ${kind === 'maximum' ? 'at or below' : 'at or above'} ${bound}, or change the namespace's LimitRange.`,
    };
  }
  if ((m = /(\S+) max limit to request ratio per (\S+) is (\S+), but provided ratio is (\S+)/.exec(msg))) {
    return { cls: 'LimitRangeViolation', what: `a LimitRange allows a ${m[1]} limit/request ratio of at most ${m[3]} and the pod has ${m[4]}`, fix: `Bring resources.limits.${m[1]} closer to resources.requests.${m[1]}.` };
  }
  if ((m = /violates PodSecurity "([^"]+)": (.*)$/s.exec(msg))) {
    return { cls: 'PodCreateForbidden', what: `it violates the namespace's Pod Security level ${m[1]} (${clip(m[2]!, 200)})`, fix: 'Change the pod template\'s securityContext as the message lists, or the namespace label pod-security.kubernetes.io/enforce.' };
  }
  if ((m = /serviceaccount "([^"]+)" not found/.exec(msg))) {
    return { cls: 'PodCreateForbidden', what: `its ServiceAccount ${m[1]} does not exist`, fix: `Create ServiceAccount ${m[1]} or fix spec.serviceAccountName in the pod template.` };
  }
  if (/is forbidden|admission webhook .* denied/.test(msg)) {
    return { cls: 'PodCreateForbidden', what: `the API server refused it: ${clip(msg.replace(/^.*?is forbidden: /, ''), 200)}`, fix: 'Fix the pod template as the message says, or the policy that refuses it.' };
  }
  return undefined;
}

/** Name of the pod quoted in a FailedCreate message (`pods "x" is forbidden`, StatefulSet `create Pod x`). */
export function podNameOf(msg: string): string | undefined {
  return /pods "([^"]+)" is forbidden/.exec(msg)?.[1] ?? /create Pod (\S+) in StatefulSet/.exec(msg)?.[1];
}

/** The rule: FailedCreate of the owner. With a pod, only Events that name that pod count. */
export function controllersRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const evs: NormEvent[] = ctx.ownerEvents.filter((e) => e.reason === 'FailedCreate');
  const byOwner = new Map<string, NormEvent[]>();
  for (const e of evs) {
    const n = podNameOf(e.message);
    if (ctx.pod && n !== ctx.name) continue;
    const key = `${e.kind}/${e.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), e]);
  }
  for (const [owner, list] of byOwner) {
    const e = list[0]!;
    const ex = explainForbidden(e.message);
    const count = list.reduce((n, x) => n + x.count, 0);
    const seen = lastSeen(e);
    out.push({
      class: ex?.cls ?? 'PodCreateForbidden',
      severity: 'critical',
      summary: `${owner.replace('/', ' ')} in namespace ${e.namespace || ctx.namespace} cannot create its pods: ${ex ? ex.what : clip(e.message, 200)}${count > 1 ? ` (${count} attempts)` : ''}.`,
      evidence: eventsEvidence(list, 2),
      fix: ex?.fix ?? 'Fix the pod template as the message says.',
      ...(seen ? { lastSeen: seen } : {}),
    });
  }
  return out;
}
