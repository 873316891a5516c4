import { hostname } from 'node:os';
import { Router, type Request } from 'express';
import type { CatalogView } from '../../store/types.ts';
import type { RetentionConfig } from '../../retention/config.ts';
import type { Retention, RunReport, RunEviction } from '../../retention/index.ts';
import { lifecycleByActivity, type LifecycleOf } from '../../retention/pod-state.ts';

/** Dependencies of {@link nodeRouter}. */
export interface NodeRouterDeps {
  retention: Retention;
  catalog: CatalogView;
  config: RetentionConfig;
  /** This node's name ('' falls back to the host name). */
  nodeName: string;
  runningWindowMs: number;
  lifecycleOf?: LifecycleOf;
  now?: () => number;
  /**
   * Keeps the namespaces the caller may list (`src/auth/middleware.ts` `namespaceFilter` with verb `list`):
   * pod and file counts and `lastRun.evicted` cover only those; disk figures and run totals are the node's.
   */
  listFilter: (req: Request, namespaces: string[]) => Promise<(ns: string) => boolean>;
}

/** Body of `GET /api/v1/node`. Bytes are bytes, times ISO-8601. */
export interface NodeView {
  node: string;
  roots: { path: string; fsTotal: number; fsFree: number; bytes: number }[];
  budget: { maxAge: string | number; maxBytes?: string | number; minFree: string | number; dryRun: boolean; enabled: boolean; criCopy: boolean };
  pods: { total: number; running: number; exited: number };
  files: number;
  /** The last pass (or dry run), when one ran. */
  lastRun?: RunReport;
}

/**
 * `GET /node` (mount under `/api/v1`): this node's disk (per root: file system size and free bytes, bytes of
 * logs), the retention budget as configured, pod and file counts, and what retention did last. Counts and
 * the list of deletions cover only the namespaces the caller may list (`deps.listFilter`).
 * O(files) per request (pod states and counts from the catalog, one statfs per root).
 */
export function nodeRouter(deps: NodeRouterDeps): Router {
  const r = Router();
  r.get('/node', async (req, res) => {
    const now = deps.now?.() ?? Date.now();
    const last = deps.retention.lastRun();
    const all = deps.catalog.pods();
    const listable = await deps.listFilter(req, [...all.map((p) => p.namespace), ...(last?.evicted ?? []).map((e) => namespaceOfKey(e.pod))]);
    const pods = all.filter((p) => listable(p.namespace));
    let running = 0;
    let files = 0;
    for (const p of pods) {
      const life = deps.lifecycleOf?.(p) ?? lifecycleByActivity(p, now, deps.runningWindowMs);
      if (life.state === 'running') running++;
      for (const c of p.containers.values()) files += c.files.size;
    }
    const c = deps.config;
    const body: NodeView = {
      node: deps.nodeName || hostname(),
      roots: await deps.retention.usage(),
      budget: {
        maxAge: c.maxAge, minFree: c.minFree, dryRun: c.dryRun, enabled: c.enabled, criCopy: c.kubeletPodsDir !== undefined,
        ...(c.maxBytes !== undefined ? { maxBytes: c.maxBytes } : {}),
      },
      pods: { total: pods.length, running, exited: pods.length - running },
      files,
      ...(last ? { lastRun: { ...last, evicted: last.evicted.filter((e) => listable(namespaceOfKey(e.pod))) } } : {}),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  });
  return r;
}

/** The namespace of a pod key `namespace/name/uid` ({@link RunEviction.pod}). */
function namespaceOfKey(key: string): string {
  return key.slice(0, key.indexOf('/'));
}
