import { hostname } from 'node:os';
import { Router } from 'express';
import type { CatalogView } from '../../store/types.ts';
import type { RetentionConfig } from '../../retention/config.ts';
import type { Retention, RunReport } from '../../retention/index.ts';
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
 * logs), the retention budget as configured, pod and file counts, and what retention did last.
 * O(files) per request (pod states and counts from the catalog, one statfs per root).
 */
export function nodeRouter(deps: NodeRouterDeps): Router {
  const r = Router();
  r.get('/node', async (_req, res) => {
    const now = deps.now?.() ?? Date.now();
    const pods = deps.catalog.pods();
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
      ...(deps.retention.lastRun() ? { lastRun: deps.retention.lastRun() } : {}),
    };
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  });
  return r;
}
