import { Router, type Request } from 'express';
import { namespaceFilter } from '../../auth/middleware.ts';
import { diagnose, summarize, type DiagnosisSummary } from '../../diagnose/index.ts';
import type { DiagnoseInput } from '../../diagnose/types.ts';
import type { Catalog } from '../../store/catalog.ts';
import { queryString } from '../params.ts';

/** What the problems route needs. */
export interface ProblemsDeps {
  catalog: Catalog;
  /** Every pod generation the cluster link has a record for. */
  recordKeys: () => { namespace: string; name: string; uid: string }[];
  getPodInput: (ns: string, pod: string, uid?: string) => Promise<DiagnoseInput | undefined>;
  /** Keeps only the namespaces the caller may list (default: `namespaceFilter` of `src/auth/middleware.ts`, verb `list`). */
  listFilter?: (req: Request, namespaces: string[]) => Promise<(ns: string) => boolean>;
}

/**
 * `GET /problems?namespace=` → `{"items":[{namespace,name,uid,severity,headline,classes}]}`: the
 * "pods with problems" list of the node page, every known pod (records and log folders) diagnosed,
 * keeping severity `warning` and `critical`, critical first.
 */
export function problemsRouter(deps: ProblemsDeps): Router {
  const r = Router();
  r.get('/problems', async (req, res) => {
    const namespace = queryString(req.query.namespace);
    const keys = new Map<string, { namespace: string; name: string; uid: string }>();
    for (const k of [...deps.recordKeys(), ...deps.catalog.pods()]) {
      if (!namespace || k.namespace === namespace) keys.set(k.uid, { namespace: k.namespace, name: k.name, uid: k.uid });
    }
    const allowed = await (deps.listFilter ?? ((q: Request, nss: string[]) => namespaceFilter(q, nss, 'list')))(req, [...keys.values()].map((k) => k.namespace));
    const items: (DiagnosisSummary & { uid: string })[] = [];
    for (const k of keys.values()) {
      if (!allowed(k.namespace)) continue;
      const input = await deps.getPodInput(k.namespace, k.name, k.uid);
      if (!input) continue;
      const s = summarize(diagnose(input));
      if (s.severity === 'warning' || s.severity === 'critical') items.push({ ...s, uid: k.uid });
    }
    items.sort((a, b) => Number(b.severity === 'critical') - Number(a.severity === 'critical') || a.name.localeCompare(b.name));
    res.json({ items, ...(deps.catalog.scanning ? { partial: true } : {}) });
  });
  return r;
}
