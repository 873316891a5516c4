/**
 * The object at fault when a pod cannot be placed, from the spec and the related objects rather than the
 * scheduler's summary: the pod's affinity, anti-affinity and topology-spread rules as written (label key and
 * values, `topologyKey`, `maxSkew`), the nodes' taints the pod does not tolerate (1.37's FitError only says
 * "N node(s) had untolerated taint(s)"), and an unbound PersistentVolumeClaim's StorageClass and provisioner.
 * Toleration matching follows k8s.io/api/core/v1 toleration.go (`ToleratesTaint`). PersistentVolumeClaim
 * Events: pkg/controller/volume/persistentvolume/pv_controller.go (`ProvisioningFailed`, `FailedBinding`
 * "no persistent volumes available for this claim and no storage class is set", `ExternalProvisioning`
 * "Waiting for a volume to be created either by the external provisioner '%s' or manually by the system
 * administrator. …" — before 1.28 "waiting for a volume to be created, either by external provisioner %q or
 * manually created by system administrator" —, `WaitForFirstConsumer` "waiting for first consumer to be
 * created before binding"). Pure.
 */
import { clip, eventsEvidence, objectsOf, specEvidence, type RuleContext } from '../context.ts';
import type { Evidence, PodJson, TolerationJson } from '../types.ts';

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
}

/** `app=orders, tier In [a,b]`; `all pods` for an empty selector. */
export function selectorText(sel: LabelSelector | undefined): string {
  const parts = [
    ...Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(sel?.matchExpressions ?? []).map((e) => `${e.key} ${e.operator}${e.values?.length ? ` [${e.values.join(',')}]` : ''}`),
  ];
  return parts.length ? parts.join(', ') : 'any labels';
}

type Affinity = {
  nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchExpressions?: { key?: string; operator?: string; values?: string[] }[]; matchFields?: { key?: string; operator?: string; values?: string[] }[] }[] } };
  podAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { labelSelector?: LabelSelector; topologyKey?: string }[] };
  podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { labelSelector?: LabelSelector; topologyKey?: string }[] };
};

/** The required node affinity as written: `topology.kubernetes.io/zone In [eu-west-1a]` (terms joined by "or"). */
export function nodeAffinityText(pod: PodJson | undefined): string | undefined {
  const terms = (pod?.spec?.affinity as Affinity | undefined)?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const t = terms.map((term) => [...(term.matchExpressions ?? []), ...(term.matchFields ?? [])].map((e) => `${e.key} ${e.operator}${e.values?.length ? ` [${e.values.join(',')}]` : ''}`).join(' and ')).filter(Boolean);
  return t.length ? clip(t.join(' or '), 200) : undefined;
}

/** The required pod (anti-)affinity rules as written: `pods with app=orders per kubernetes.io/hostname`. */
export function podAffinityText(pod: PodJson | undefined, anti: boolean): string | undefined {
  const a = pod?.spec?.affinity as Affinity | undefined;
  const rules = (anti ? a?.podAntiAffinity : a?.podAffinity)?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const t = rules.map((r) => `pods with ${selectorText(r.labelSelector)} per ${r.topologyKey ?? '(no topologyKey)'}`);
  return t.length ? clip(t.join('; '), 200) : undefined;
}

/** The hard topology spread constraints as written: `maxSkew 1 per topology.kubernetes.io/zone over pods with app=orders`. */
export function spreadText(pod: PodJson | undefined): string | undefined {
  const cs = (pod?.spec?.topologySpreadConstraints ?? []) as { maxSkew?: number; topologyKey?: string; whenUnsatisfiable?: string; labelSelector?: LabelSelector; minDomains?: number }[];
  const t = cs
    .filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === 'DoNotSchedule')
    .map((c) => `maxSkew ${c.maxSkew ?? 1} per ${c.topologyKey ?? '(no topologyKey)'} over pods with ${selectorText(c.labelSelector)}${c.minDomains ? `, minDomains ${c.minDomains}` : ''}`);
  return t.length ? clip(t.join('; '), 200) : undefined;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** True when one of the tolerations tolerates the taint (toleration.go ToleratesTaint). */
export function tolerates(tolerations: TolerationJson[], t: Taint): boolean {
  return tolerations.some((tol) => {
    if (tol.effect && tol.effect !== t.effect) return false;
    if (tol.operator === 'Exists') return !tol.key || tol.key === t.key;
    return tol.key === t.key && (tol.value ?? '') === (t.value ?? '');
  });
}

/**
 * The scheduling taints (NoSchedule, NoExecute) of the given Node objects that the pod does not tolerate, each
 * with the number of nodes carrying it, most common first. Empty when the caller passed no nodes.
 */
export function untoleratedTaints(ctx: RuleContext): { taint: string; key: string; value?: string; effect: string; nodes: number }[] {
  const tolerations = ctx.pod?.spec?.tolerations ?? [];
  const counts = new Map<string, { taint: string; key: string; value?: string; effect: string; nodes: number }>();
  for (const n of objectsOf(ctx, 'Node')) {
    const taints = ((n.spec?.['taints'] ?? []) as Taint[]).filter((t) => t && typeof t.key === 'string' && (t.effect === 'NoSchedule' || t.effect === 'NoExecute'));
    for (const t of taints) {
      if (tolerates(tolerations, t)) continue;
      const text = `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
      const c = counts.get(text) ?? { taint: text, key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect, nodes: 0 };
      c.nodes++;
      counts.set(text, c);
    }
  }
  return [...counts.values()].sort((a, b) => b.nodes - a.nodes);
}

/** What is known about an unbound claim: a sentence, a fix naming the object, and evidence. */
export interface ClaimStory {
  text: string;
  fix: string;
  evidence: Evidence[];
}

/**
 * Why a PersistentVolumeClaim is not bound, from its Events and (when given) the claim and StorageClass objects.
 * @param claims claim names of the pod (or, without a pod, those with Events)
 * @param noMatchingPv the scheduler said `didn't find available persistent volumes to bind`
 */
export function claimStory(ctx: RuleContext, claims: string[], noMatchingPv: boolean): ClaimStory | undefined {
  for (const name of claims) {
    const evs = ctx.ownerEvents.filter((e) => e.kind === 'PersistentVolumeClaim' && e.name === name);
    const pvc = objectsOf(ctx, 'PersistentVolumeClaim', name)[0];
    if (pvc?.status?.['phase'] === 'Bound') continue;
    const ext = evs.find((e) => e.reason === 'ExternalProvisioning');
    const failed = evs.find((e) => e.reason === 'ProvisioningFailed');
    const binding = evs.find((e) => e.reason === 'FailedBinding');
    const wffc = evs.find((e) => e.reason === 'WaitForFirstConsumer');
    const scName = (pvc?.spec?.['storageClassName'] as string | undefined) ?? /StorageClass "([^"]+)"/.exec(failed?.message ?? '')?.[1];
    const sc = scName ? objectsOf(ctx, 'StorageClass', scName)[0] : undefined;
    const provisioner = /provisioner ['"]([^'"]+)['"]/.exec(ext?.message ?? '')?.[1] ?? sc?.provisioner;
    const mode = sc?.volumeBindingMode ?? (wffc ? 'WaitForFirstConsumer' : undefined);
    if (!pvc && !evs.length) continue;
    const evidence: Evidence[] = eventsEvidence([failed, binding, ext, wffc].filter((e) => !!e), 2);
    if (pvc) evidence.push(specEvidence(`PersistentVolumeClaim/${name} spec.storageClassName`, scName ?? '(none)'));
    if (sc?.provisioner) evidence.push(specEvidence(`StorageClass/${scName} provisioner`, sc.provisioner));
    if (sc?.volumeBindingMode) evidence.push(specEvidence(`StorageClass/${scName} volumeBindingMode`, sc.volumeBindingMode));
    const about = [scName ? `StorageClass ${scName}` : '', provisioner ? `provisioner ${provisioner}` : '', mode ?? ''].filter(Boolean).join(', ');
    const desc = `PersistentVolumeClaim ${name}${about ? ` (${about})` : ''}`;
    const scMissing = /storageclass\.storage\.k8s\.io "([^"]+)" not found/.exec(`${failed?.message ?? ''} ${binding?.message ?? ''}`);
    if (scMissing) {
      return { text: `${desc}: its StorageClass ${scMissing[1]} does not exist`, fix: `Create StorageClass ${scMissing[1]} or fix spec.storageClassName of PersistentVolumeClaim ${name} (\`kubectl get storageclass\`)`, evidence };
    }
    if (failed) {
      return { text: `${desc}: creating its volume failed: "${clip(failed.message, 160)}"`, fix: `Fix what the provisioner${provisioner ? ` ${provisioner}` : ''} reports (its controller's log; the StorageClass's parameters, quota or permissions in the storage backend)`, evidence };
    }
    if (binding) {
      const noClass = /no storage class is set/.test(binding.message);
      return {
        text: noClass ? `${desc} names no StorageClass, the cluster has no default one, and no PersistentVolume matches it` : `${desc}: no PersistentVolume matches it ("${clip(binding.message, 120)}")`,
        fix: `Set spec.storageClassName of PersistentVolumeClaim ${name}${noClass ? ' (or mark a StorageClass as the default)' : ''}, or create a PersistentVolume matching its size, accessModes and storageClassName`,
        evidence,
      };
    }
    if (provisioner === 'kubernetes.io/no-provisioner' || (noMatchingPv && mode === 'WaitForFirstConsumer')) {
      return {
        text: `${desc}: ${provisioner === 'kubernetes.io/no-provisioner' ? 'its StorageClass creates no volumes, ' : ''}it binds when the pod is placed, and no PersistentVolume${scName ? ` of class ${scName}` : ''} fits a node the pod may use`,
        fix: `Create a PersistentVolume${scName ? ` with storageClassName ${scName}` : ''}, enough capacity, matching accessModes and a nodeAffinity for a node the pod may use`,
        evidence,
      };
    }
    if (ext && provisioner) {
      return { text: `${desc}: it waits for provisioner ${provisioner} to create a volume, which has not happened`, fix: `Check that provisioner ${provisioner} runs and is registered (its controller pods and log, \`kubectl get csidrivers\`)`, evidence };
    }
    if (pvc || evs.length) return { text: `${desc} is not bound`, fix: `See \`kubectl describe pvc ${name}\``, evidence };
  }
  return undefined;
}
