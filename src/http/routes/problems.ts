import { Router, type Request } from 'express';
import { namespaceFilter } from '../../auth/middleware.ts';
import { diagnose, summarize, type DiagnosisSummary } from '../../diagnose/index.ts';
import { normalizeEvent } from '../../diagnose/events.ts';
import { podNameOf } from '../../diagnose/rules/controllers.ts';
import type { DiagnoseInput, EventJson } from '../../diagnose/types.ts';
import type { OwnerRecord } from '../../kube/records.ts';
import type { Catalog } from '../../store/catalog.ts';
import type { PodInputOptions } from '../diagnosis-source.ts';
import { queryString } from '../params.ts';

/** What the problems route needs. */
export interface ProblemsDeps {
  catalog: Catalog;
  /** Every pod generation the cluster link has a record for. */
  recordKeys: () => { namespace: string; name: string; uid: string }[];
  /** The diagnosis input of a pod; the route asks without related objects (`{ related: false }`). */
  getPodInput: (ns: string, pod: string, uid?: string, opts?: PodInputOptions) => Promise<DiagnoseInput | undefined>;
  /** Owner records kept by the Lease holder (`ClusterLookup.owners`); their `FailedCreate` Events name refused pods. */
  owners?: () => OwnerRecord[];
  /** Keeps only the namespaces the caller may list (default: `namespaceFilter` of `src/auth/middleware.ts`, verb `list`). */
  listFilter?: (req: Request, namespaces: string[]) => Promise<(ns: string) => boolean>;
  /** Clock, ms since the epoch (default Date.now). */
  now?: () => number;
}

/** Owner kinds whose refused pods are listed. */
export const REFUSING_OWNER_KINDS = ['ReplicaSet', 'Job', 'StatefulSet'] as const;

/** A `FailedCreate` Event older than this (ms) no longer counts as current: the controllers retry well within it. */
export const FAILED_CREATE_CURRENT_MS = 60 * 60_000;

/** A pod an owner's controller could not create. */
export interface RefusedPod {
  namespace: string;
  /** The refused pod's name, from the Event message. */
  name: string;
  owner: { kind: string; name: string; uid: string };
}

/**
 * The pods refused at creation now: per owner record of {@link REFUSING_OWNER_KINDS} not seen deleted, its
 * newest `FailedCreate` Warning Event when it was last seen within {@link FAILED_CREATE_CURRENT_MS} of `nowMs`
 * and no `SuccessfulCreate` came after it; the pod name is read from its message (`pods "x" is forbidden`,
 * `create Pod x in StatefulSet`). One per owner.
 */
export function refusedPods(owners: OwnerRecord[], nowMs: number): RefusedPod[] {
  const out: RefusedPod[] = [];
  for (const o of owners) {
    if (o.deletedAt || !(REFUSING_OWNER_KINDS as readonly string[]).includes(o.kind)) continue;
    const evs = (o.events as EventJson[]).map(normalizeEvent);
    const failed = evs.filter((e) => e.reason === 'FailedCreate' && e.type === 'Warning').sort((a, b) => (b.lastMs ?? 0) - (a.lastMs ?? 0))[0];
    if (!failed?.lastMs || nowMs - failed.lastMs > FAILED_CREATE_CURRENT_MS) continue;
    if (evs.some((e) => e.reason === 'SuccessfulCreate' && (e.lastMs ?? 0) > failed.lastMs!)) continue;
    const name = podNameOf(failed.message);
    if (name) out.push({ namespace: o.namespace, name, owner: { kind: o.kind, name: o.name, uid: o.uid } });
  }
  return out;
}

/** One row of `GET /problems`. */
export type ProblemItem = DiagnosisSummary & { uid: string; owner?: RefusedPod['owner'] };

/**
 * `GET /problems?namespace=` → `{"items":[{namespace,name,uid,severity,headline,classes,owner?}]}`: the
 * "pods with problems" list of the node page, every known pod (records and log folders) diagnosed,
 * keeping severity `warning` and `critical`, critical first; plus the pods refused at creation
 * ({@link refusedPods}: `uid` empty, `owner` set), filtered by the caller's namespaces like the rest.
 */
export function problemsRouter(deps: ProblemsDeps): Router {
  const r = Router();
  r.get('/problems', async (req, res) => {
    const namespace = queryString(req.query.namespace);
    const keys = new Map<string, { namespace: string; name: string; uid: string }>();
    for (const k of [...deps.recordKeys(), ...deps.catalog.pods()]) {
      if (!namespace || k.namespace === namespace) keys.set(k.uid, { namespace: k.namespace, name: k.name, uid: k.uid });
    }
    const refused = refusedPods(deps.owners?.() ?? [], deps.now?.() ?? Date.now()).filter((p) => !namespace || p.namespace === namespace);
    const allowed = await (deps.listFilter ?? ((q: Request, nss: string[]) => namespaceFilter(q, nss, 'list')))(req,
      [...new Set([...keys.values(), ...refused].map((k) => k.namespace))]);
    const items: ProblemItem[] = [];
    for (const k of keys.values()) {
      if (!allowed(k.namespace)) continue;
      const input = await deps.getPodInput(k.namespace, k.name, k.uid, { related: false });
      if (!input) continue;
      const s = summarize(diagnose(input));
      if (s.severity === 'warning' || s.severity === 'critical') items.push({ ...s, uid: k.uid });
    }
    for (const p of refused) {
      if (!allowed(p.namespace) || items.some((i) => i.namespace === p.namespace && i.name === p.name)) continue;
      const input = await deps.getPodInput(p.namespace, p.name, undefined, { related: false });
      if (input) items.push({ ...summarize(diagnose(input)), namespace: p.namespace, name: p.name, uid: '', owner: p.owner });
    }
    items.sort((a, b) => Number(b.severity === 'critical') - Number(a.severity === 'critical') || a.name.localeCompare(b.name));
    res.json({ items, ...(deps.catalog.scanning ? { partial: true } : {}) });
  });
  return r;
}
