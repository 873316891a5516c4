import { Router } from 'express';
import { namespaceFilter } from '../../auth/middleware.ts';
import type { Catalog } from '../../store/catalog.ts';
import { queryEnum, queryString } from '../params.ts';
import { podView, RUNNING_STATES, type PodRecordFields, type PodView } from '../pod-view.ts';
import type { PodEntry } from '../../store/types.ts';

/** What the pod routes need. */
export interface PodRoutesDeps {
  catalog: Catalog;
  runningWindowMs: number;
  /** Kubernetes record fields for a pod generation, when the cluster link knows it. */
  recordOf?: (pod: PodEntry) => PodRecordFields | undefined;
  /** Pods the cluster link knows that have no log folder here (never started, or wrote no file). */
  recordOnlyPods?: () => (PodRecordFields & { namespace: string; name: string; uid: string })[];
  now?: () => number;
}

/**
 * `GET /pods?namespace=&state=running|exited|all` → `{"items":[PodView…]}`, newest activity first, with
 * `partial: true` while the catalog's first scan runs (pods and files found so far);
 * `GET /namespaces/:ns/pods/:pod[?uid=]` → one PodView (newest generation unless `uid` is given),
 * with `generations: [{uid,lastActivity}]` listing every generation on this node.
 */
export function podRoutes(deps: PodRoutesDeps): Router {
  const r = Router();
  const now = deps.now ?? Date.now;
  const view = (p: PodEntry) => podView(p, deps.recordOf?.(p), now(), deps.runningWindowMs);

  r.get('/pods', async (req, res) => {
    const namespace = queryString(req.query.namespace);
    const state = queryEnum('state', req.query.state, ['running', 'exited', 'all'] as const) ?? 'all';
    const withLogs = deps.catalog.pods().map(view);
    const seen = new Set(withLogs.map((p) => p.uid));
    const withoutLogs: PodView[] = (deps.recordOnlyPods?.() ?? [])
      .filter((r) => !seen.has(r.uid))
      .map((r) => ({ ...r, state: r.state ?? 'unknown', lastActivity: 0, containers: [] }));
    const pods = [...withLogs, ...withoutLogs];
    const listable = await namespaceFilter(req, pods.map((p) => p.namespace), 'list');
    const items = pods
      .filter((p) => (!namespace || p.namespace === namespace) && listable(p.namespace))
      .filter((v) => state === 'all' || (state === 'running') === RUNNING_STATES.has(v.state))
      .sort((a, b) => b.lastActivity - a.lastActivity);
    res.json({ items, ...(deps.catalog.scanning ? { partial: true } : {}) });
  });

  r.get('/namespaces/:ns/pods/:pod', (req, res) => {
    const uid = queryString(req.query.uid);
    const pod = deps.catalog.findPod(req.params.ns, req.params.pod, uid || undefined);
    const generations = deps.catalog.generations(pod.namespace, pod.name).map((g) => ({ uid: g.uid, lastActivity: Math.round(g.lastActivityMs) }));
    res.json({ ...view(pod), generations });
  });
  return r;
}
