/**
 * The retention unit: periodic passes of plan (pure, `plan.ts`) + execute (`executor.ts`) per root, a cheap
 * free-space check between passes that starts a pass when usage jumps, metrics and the last run's report.
 * Root bytes come from the catalog (no walk of the disk); free space from one `statfs` per root.
 */
import { statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Health } from '../observability/health.ts';
import type { Registry } from 'prom-client';
import type { PodDirName } from '../store/layout.ts';
import type { CatalogView, PodEntry } from '../store/types.ts';
import { policyOf, type RetentionConfig } from './config.ts';
import { CriCopier } from './cri-copy.ts';
import { executePlan, type ActionOutcome } from './executor.ts';
import { createRetentionMetrics, type RetentionMetrics } from './metrics.ts';
import { planRetention, type DiskUsage, type EvictAction, type EvictReason, type PlanPod } from './plan.ts';
import { lifecycleByActivity, type LifecycleOf } from './pod-state.ts';
import { parseByteLimit, resolveLimit } from './quantity.ts';

export type { RetentionConfig } from './config.ts';
export { CriCopier, type CriCopyOptions } from './cri-copy.ts';
export { decodeCri, decodeCriText, isCriCopy, CriDecoder, type DecodedLine } from '../logfile/cri.ts';
export { criDecodeStream } from '../logfile/cri-stream.ts';
export { nodeRouter, type NodeView } from '../http/routes/node.ts';
export { RetentionSchema, policyOf, retentionDefaults } from './config.ts';
export { lifecycleFromRecords, type LifecycleOf, type PodLifecycle } from './pod-state.ts';

/** Size and free space of a file system, bytes. */
export interface FsSpace {
  total: number;
  free: number;
}

/** Dependencies of {@link createRetention}. */
export interface RetentionDeps {
  catalog: CatalogView;
  /** The resolved roots (`Catalog.roots`); pods are grouped by `PodEntry.root`. */
  roots: readonly string[];
  config: RetentionConfig;
  /** Record-less running rule window (the main config's `runningWindowMs`), ms. */
  runningWindowMs: number;
  logger: Logger;
  /** Registry the `podlog_retention_*` metrics go to. */
  registry: Registry;
  /** Pod lifecycle from pod records (`lifecycleFromRecords(kube.records, config.kube)`); record-less rule otherwise. */
  lifecycleOf?: LifecycleOf;
  /** Called after a pod folder is deleted: expire the pod's record and Event timeline (e.g. `recordStore.remove(uid)`). */
  expireRecord?: (pod: PodDirName) => void | Promise<void>;
  /** The shipper's `unshippedBytes(path)`; without it nothing counts as unshipped. */
  unshippedBytes?: (path: string) => number;
  /** Test seams: file system space of a root, clock. */
  space?: (root: string) => Promise<FsSpace>;
  now?: () => number;
}

/** One deletion in a {@link RunReport}. */
export interface RunEviction {
  path: string;
  pod: string;
  kind: 'pod' | 'file';
  bytes: number;
  reason: EvictReason;
  why: string;
  unshippedBytes: number;
  /** `planned` in a dry run; else what the executor did. */
  status: 'planned' | ActionOutcome['status'];
  note?: string;
}

/** One root in a {@link RunReport}. */
export interface RootReport {
  path: string;
  budgetBytes?: number;
  floorBytes: number;
  before: DiskUsage;
  /** Projected usage after the pass. */
  after: DiskUsage;
  pods: number;
  keptPods: number;
  stillOver: boolean;
  heldUnshippedBytes: number;
}

/** What one pass did (or, in a dry run, would do). */
export interface RunReport {
  /** ISO-8601 start time. */
  at: string;
  dryRun: boolean;
  durationMs: number;
  /** What started it: `interval`, `jump` (free space dropped or root grew), `manual`. */
  trigger: 'interval' | 'jump' | 'manual';
  roots: RootReport[];
  /** Deletions, at most {@link MAX_REPORTED} (see `evictedCount`). */
  evicted: RunEviction[];
  evictedCount: number;
  /** Pod folders and single files among them (done, or planned in a dry run). */
  evictedPods: number;
  evictedFiles: number;
  /** Bytes freed (dry run: would be freed). */
  bytesFreed: number;
  /** Bytes by reason. */
  reasons: Record<EvictReason, number>;
  /** Unshipped priority bytes deleted (floor breached). */
  unshippedEvictedBytes: number;
  /** Age of the oldest pod kept, seconds; undefined when none is kept. */
  oldestPodAgeSeconds?: number;
}

/** Deletions listed in a report (the counts cover all). */
export const MAX_REPORTED = 1000;

/** The running unit. */
export interface Retention {
  /** Start periodic passes and free-space checks until `signal` aborts. Resolves at once. */
  start(signal: AbortSignal): void;
  /** Run one pass now (concurrent calls share the running pass). */
  runOnce(opts?: { dryRun?: boolean; trigger?: RunReport['trigger'] }): Promise<RunReport>;
  /** The last pass's report, if any. */
  lastRun(): RunReport | undefined;
  /** Current usage of every root (catalog bytes + statfs), for `GET /node`. */
  usage(): Promise<{ path: string; bytes: number; fsTotal: number; fsFree: number }[]>;
  readonly metrics: RetentionMetrics;
}

/** `statfs` of a root: total and available (`bavail`) bytes. */
export async function fsSpace(path: string): Promise<FsSpace> {
  const s = await statfs(path);
  return { total: s.blocks * s.bsize, free: s.bavail * s.bsize };
}

/**
 * What this unit deleted that the catalog may still list (its inotify events come later): pod folder paths,
 * and file path → inode. Excluded from plans and byte counts so a stale catalog never causes a second eviction.
 */
export interface Gone {
  pods: Set<string>;
  files: Map<string, number>;
}

/** Build the planner's view of the catalog pods of one root, leaving out what is already {@link Gone}. */
export function planPods(pods: PodEntry[], now: number, runningWindowMs: number, lifecycleOf?: LifecycleOf, gone?: Gone): PlanPod[] {
  const goneFiles = gone?.files.size ? gone.files : undefined;
  return pods.filter((p) => !gone?.pods.has(p.path)).map((p) => {
    const life = lifecycleOf?.(p) ?? lifecycleByActivity(p, now, runningWindowMs);
    const files: PlanPod['files'] = [];
    // Catalog FileEntry objects are PlanFiles already (the catalog replaces, never mutates, an entry): no copies.
    for (const c of p.containers.values()) {
      for (const f of c.files.values()) if (goneFiles?.get(f.path) !== f.ino) files.push(f);
    }
    return {
      key: `${p.namespace}/${p.name}/${p.uid}`, path: p.path, state: life.state, lastActivityMs: p.lastActivityMs, files,
      ...(life.endedAtMs !== undefined ? { endedAtMs: life.endedAtMs } : {}), ...(life.priority !== undefined ? { priority: life.priority } : {}),
    };
  });
}

/**
 * Build the kubelet log copier when `config.kubeletPodsDir` is set (else undefined): copies go to `root`
 * (the first resolved root), offsets to `<stateDir>/retention/cri-offsets.json`, counts to the metrics.
 */
export function createCriCopier(o: { config: RetentionConfig; root: string; stateDir: string; logger: Logger; metrics: RetentionMetrics; health?: Health }): CriCopier | undefined {
  const c = o.config;
  if (!c.kubeletPodsDir) return undefined;
  const max = parseByteLimit(c.criMaxFileBytes);
  return new CriCopier({
    source: c.kubeletPodsDir, dest: o.root, stateFile: join(o.stateDir, 'retention', 'cri-offsets.json'), logger: o.logger.child({ unit: 'cri-copy' }),
    pollMs: c.criPollMs, maxFileBytes: max && 'bytes' in max ? max.bytes : 50 * 2 ** 20, namespaces: c.criNamespaces,
    onCopied: (n) => o.metrics.criCopiedBytes.inc(n), onLost: () => o.metrics.criLostFiles.inc(),
    onHealth: (failure) => {
      o.metrics.criFailing.set(failure ? 1 : 0);
      if (!failure) return o.health?.recovered('cri-copy');
      o.metrics.criFailedPasses.inc();
      o.health?.degraded('cri-copy', 'retrying', failure.message);
    },
  });
}

/** Build the retention unit (nothing runs until {@link Retention.start} or {@link Retention.runOnce}). */
export function createRetention(deps: RetentionDeps): Retention {
  const policy = policyOf(deps.config);
  const now = deps.now ?? Date.now;
  const space = deps.space ?? fsSpace;
  const metrics = createRetentionMetrics(deps.registry);
  const log = deps.logger.child({ unit: 'retention' });
  const jump = parseByteLimit(deps.config.jumpBytes) ?? { percent: 1 };
  let last: RunReport | undefined;
  let running: Promise<RunReport> | undefined;
  let runningDry = false;
  /** Per root: free bytes and root bytes after the last pass, to detect jumps. */
  const baseline = new Map<string, { free: number; bytes: number }>();

  const podsByRoot = (): Map<string, PodEntry[]> => {
    const m = new Map<string, PodEntry[]>(deps.roots.map((r) => [r, []]));
    for (const p of deps.catalog.pods()) m.get(p.root)?.push(p);
    return m;
  };
  const gone: Gone = { pods: new Set(), files: new Map() };
  const bytesOf = (pods: PodEntry[]): number => {
    let n = 0;
    const goneFiles = gone.files.size ? gone.files : undefined;
    for (const p of pods) {
      if (gone.pods.size && gone.pods.has(p.path)) continue;
      for (const c of p.containers.values()) for (const f of c.files.values()) if (goneFiles?.get(f.path) !== f.ino) n += f.size;
    }
    return n;
  };
  /** Forget deletions the catalog has caught up with. O(pods + deletions). */
  const pruneGone = (): void => {
    if (gone.pods.size === 0 && gone.files.size === 0) return;
    const listed = new Map(deps.catalog.pods().map((p) => [p.path, p]));
    for (const path of gone.pods) if (!listed.has(path)) gone.pods.delete(path);
    for (const [path, ino] of gone.files) {
      const pod = listed.get(dirname(dirname(path)));
      if (pod?.containers.get(basename(dirname(path)))?.files.get(basename(path))?.ino !== ino) gone.files.delete(path);
    }
  };

  const pass = async (dryRun: boolean, trigger: RunReport['trigger']): Promise<RunReport> => {
    const started = now();
    const t0 = performance.now();
    const report: RunReport = {
      at: new Date(started).toISOString(), dryRun, durationMs: 0, trigger, roots: [], evicted: [], evictedCount: 0, evictedPods: 0, evictedFiles: 0,
      bytesFreed: 0, reasons: { age: 0, budget: 0, floor: 0 }, unshippedEvictedBytes: 0,
    };
    let oldest: number | undefined;
    pruneGone();
    for (const [root, pods] of podsByRoot()) {
      const fs = await space(root);
      const usage: DiskUsage = { rootBytes: bytesOf(pods), fsTotal: fs.total, fsFree: fs.free };
      const plan = planRetention({ pods: planPods(pods, started, deps.runningWindowMs, deps.lifecycleOf, gone), usage, policy, now: started, unshipped: deps.unshippedBytes ?? (() => 0) });
      const outcomes: ActionOutcome[] = dryRun
        ? plan.actions.map((action) => ({ action, status: 'done' }))
        : await executePlan(plan.actions, { root, logger: log, onPodRemoved: deps.expireRecord });
      for (const o of outcomes) {
        record(report, o, dryRun);
        if (dryRun || o.status !== 'done') continue;
        if (o.action.kind === 'pod') gone.pods.add(o.action.path);
        else if (o.action.ino !== undefined) gone.files.set(o.action.path, o.action.ino);
      }
      if (plan.oldestKeptMs !== undefined) oldest = Math.min(oldest ?? Infinity, plan.oldestKeptMs);
      report.roots.push({
        path: root, floorBytes: plan.floorBytes, before: plan.usageBefore, after: plan.usageAfter, pods: pods.length, keptPods: plan.keptPods,
        stillOver: plan.stillOver, heldUnshippedBytes: plan.heldUnshippedBytes, ...(plan.budgetBytes !== undefined ? { budgetBytes: plan.budgetBytes } : {}),
      });
      metrics.rootBytes.set({ root }, dryRun ? usage.rootBytes : plan.usageAfter.rootBytes);
      metrics.fsFreeBytes.set({ root }, dryRun ? usage.fsFree : plan.usageAfter.fsFree);
      if (plan.budgetBytes !== undefined) metrics.budgetBytes.set({ root }, plan.budgetBytes);
      // A dry run frees nothing: its baseline is the usage as found (a projection would look like a jump).
      baseline.set(root, dryRun ? { free: usage.fsFree, bytes: usage.rootBytes } : { free: plan.usageAfter.fsFree, bytes: plan.usageAfter.rootBytes });
      if (plan.stillOver) {
        log.warn({ root, budgetBytes: plan.budgetBytes, floorBytes: plan.floorBytes, after: plan.usageAfter, heldUnshippedBytes: plan.heldUnshippedBytes },
          'retention: still over budget or below the free-space floor after this pass (live files of running pods and unshipped priority data are kept)');
      }
    }
    if (oldest !== undefined) report.oldestPodAgeSeconds = Math.max(0, Math.round((started - oldest) / 1000));
    report.durationMs = Math.round(performance.now() - t0);
    metrics.heldUnshippedBytes.set(report.roots.reduce((s, r) => s + r.heldUnshippedBytes, 0));
    if (report.oldestPodAgeSeconds !== undefined) metrics.oldestPodAgeSeconds.set(report.oldestPodAgeSeconds);
    metrics.lastRunSeconds.set(report.durationMs / 1000);
    metrics.runs.inc({ outcome: dryRun ? 'dry_run' : 'ok' });
    if (report.unshippedEvictedBytes > 0 && !dryRun) {
      log.error({ unshippedEvictedBytes: report.unshippedEvictedBytes, files: report.evicted.filter((e) => e.unshippedBytes > 0 && e.status === 'done').map((e) => e.path) },
        'retention: free space below the floor; deleted log data not yet shipped to Elasticsearch');
    }
    if (report.evictedCount > 0 || dryRun) {
      log.info({ dryRun, trigger, evicted: report.evictedCount, bytesFreed: report.bytesFreed, reasons: report.reasons, durationMs: report.durationMs },
        dryRun ? 'retention dry run: nothing deleted' : 'retention pass');
    }
    return report;
  };

  const record = (report: RunReport, o: ActionOutcome, dryRun: boolean) => {
    const a: EvictAction = o.action;
    report.evictedCount++;
    if (report.evicted.length < MAX_REPORTED) {
      report.evicted.push({ path: a.path, pod: a.pod, kind: a.kind, bytes: a.bytes, reason: a.reason, why: a.why, unshippedBytes: a.unshippedBytes,
        status: dryRun ? 'planned' : o.status, ...(o.note ? { note: o.note } : {}) });
    }
    if (dryRun && report.evictedCount <= MAX_REPORTED) log.info({ path: a.path, bytes: a.bytes, reason: a.reason, why: a.why }, 'retention dry run: would delete');
    if (o.status !== 'done') return;
    if (a.kind === 'pod') report.evictedPods++;
    else report.evictedFiles++;
    report.bytesFreed += a.bytes;
    report.reasons[a.reason] += a.bytes;
    report.unshippedEvictedBytes += a.unshippedBytes;
    if (dryRun) return;
    metrics.evictedBytes.inc({ reason: a.reason }, a.bytes);
    metrics.evicted.inc({ reason: a.reason, kind: a.kind });
    if (a.unshippedBytes > 0) metrics.unshippedEvictedBytes.inc(a.unshippedBytes);
    log.debug({ path: a.path, bytes: a.bytes, reason: a.reason, why: a.why }, 'retention: deleted');
  };

  const runOnce: Retention['runOnce'] = (opts = {}) => {
    const dryRun = opts.dryRun ?? deps.config.dryRun;
    if (running && runningDry !== dryRun) return running.catch(() => undefined).then(() => runOnce(opts));
    runningDry = dryRun;
    running ??= pass(dryRun, opts.trigger ?? 'manual')
      .then((r) => (last = r))
      .catch((err: unknown) => {
        metrics.runs.inc({ outcome: 'error' });
        log.error({ err: String(err) }, 'retention pass failed');
        throw err;
      })
      .finally(() => (running = undefined));
    return running;
  };

  /** True when a root's free space dropped, or its bytes grew, by the jump amount since the last pass. */
  const jumped = async (): Promise<boolean> => {
    const byRoot = podsByRoot();
    for (const root of deps.roots) {
      const fs = await space(root);
      metrics.fsFreeBytes.set({ root }, fs.free);
      const step = resolveLimit(jump, fs.total);
      const base = baseline.get(root);
      if (!base) return true;
      if (base.free - fs.free >= step) return true;
      if (policy.maxBytes && bytesOf(byRoot.get(root) ?? []) - base.bytes >= step) return true;
    }
    return false;
  };

  return {
    metrics,
    lastRun: () => last,
    runOnce,
    async usage() {
      const byRoot = podsByRoot();
      const out = [];
      for (const root of deps.roots) {
        const fs = await space(root).catch(() => ({ total: 0, free: 0 }));
        out.push({ path: root, bytes: bytesOf(byRoot.get(root) ?? []), fsTotal: fs.total, fsFree: fs.free });
      }
      return out;
    },
    start(signal) {
      if (!deps.config.enabled || signal.aborted) return;
      const swallow = () => undefined;
      const interval = setInterval(() => void runOnce({ trigger: 'interval' }).catch(swallow), deps.config.intervalMs);
      const check = setInterval(() => {
        if (running) return;
        void jumped().then((j) => (j ? runOnce({ trigger: 'jump' }) : undefined)).catch(swallow);
      }, deps.config.checkMs);
      interval.unref();
      check.unref();
      signal.addEventListener('abort', () => {
        clearInterval(interval);
        clearInterval(check);
      }, { once: true });
      void runOnce({ trigger: 'interval' }).catch(swallow);
    },
  };
}
