/**
 * Benchmark: one retention pass over a root of 100,000 files (2,000 pods × 50 tiny files: one live file and
 * 49 rotated ones; half the pods exited, 1% of files with unshipped bytes). Measured in one process:
 * - the planning pass as a dry run, twice (catalog → plan over all 100,000 files, nothing deleted);
 * - a real pass that deletes what a byte budget of half the root asks for (pod folders and rotated files);
 * - peer: `du -s` over the same tree, in the same run (a plain walk that only sums sizes).
 * The catalog's own initial scan is reported apart (see bench/catalog.ts). Goal: pass ≤ 1 s, far below `du`.
 * Run: node bench/retention.ts [--pods 2000] [--files 50]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createRetention } from '../src/retention/index.ts';
import { retentionDefaults } from '../src/retention/config.ts';
import { Catalog } from '../src/store/catalog.ts';

import type { BenchRow } from './row.ts';
import { makePodTree } from './tree.ts';

const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;

/** Build the tree, run a dry-run pass and a real pass, compare with `du -s`. */
export async function benchRetention(pods = 2000, files = 50): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'podlog-bench-retention-'));
  const logger = pino({ level: 'silent' });
  const ctl = new AbortController();
  const catalog = new Catalog({ roots: [root], logger, usePolling: true, rescanMs: 3_600_000 });
  try {
    makePodTree(root, pods, files);
    const total = pods * files;
    let t0 = performance.now();
    await catalog.start(ctl.signal);
    const scanMs = performance.now() - t0;
    const stats = catalog.stats();
    if (stats.files !== total) throw new Error(`catalog saw ${stats.files} files, expected ${total}`);

    const now = Date.now();
    const index = (podName: string) => Number(/-(\d+)$/.exec(podName)?.[1] ?? 0);
    const unshipped = new Set<string>();
    for (const pod of catalog.pods()) for (const c of pod.containers.values()) for (const f of c.files.values()) if (f.ino % 100 === 0) unshipped.add(f.path);
    const retention = createRetention({
      catalog, roots: catalog.roots, logger, registry: new Registry(), runningWindowMs: 300_000, now: () => now,
      config: retentionDefaults({ maxBytes: String(Math.floor(stats.bytes / 2)), minFree: '1' }),
      // Even pods run, odd ones exited i days ago (none past maxAge, so the budget decides).
      lifecycleOf: (p) => (index(p.name) % 2 === 0 ? { state: 'running' } : { state: 'exited', endedAtMs: now - (index(p.name) % 6) * 86_400_000 }),
      unshippedBytes: (path) => (unshipped.has(path) ? 1 : 0),
      space: async () => ({ total: 100 * 2 ** 30, free: 50 * 2 ** 30 }),
    });

    t0 = performance.now();
    execFileSync('du', ['-s', root], { encoding: 'utf8' });
    const duMs = performance.now() - t0;

    const rss0 = process.memoryUsage().rss;
    t0 = performance.now();
    const dry = await retention.runOnce({ dryRun: true });
    const dryMs = performance.now() - t0;
    const rss1 = process.memoryUsage().rss;
    t0 = performance.now();
    await retention.runOnce({ dryRun: true });
    const warmMs = performance.now() - t0;
    t0 = performance.now();
    const real = await retention.runOnce({ dryRun: false });
    const realMs = performance.now() - t0;
    if (real.evictedCount !== dry.evictedCount) throw new Error(`real pass did ${real.evictedCount} deletions, dry run planned ${dry.evictedCount}`);
    return [
      { name: `catalog scan (apart), ${total} files`, value: `${scanMs.toFixed(0)} ms` },
      { name: `retention pass, dry run, ${total} files (first)`, value: `${dryMs.toFixed(0)} ms`, peer: `du -s: ${duMs.toFixed(0)} ms`, ratio: `${(dryMs / duMs).toFixed(2)}× du's time`, goal: '≤ 1000 ms' },
      { name: `retention pass, dry run, ${total} files (second)`, value: `${warmMs.toFixed(0)} ms`, peer: `du -s: ${duMs.toFixed(0)} ms`, ratio: `${(warmMs / duMs).toFixed(2)}× du's time` },
      { name: `retention pass, deleting ${real.evictedPods} pod folders + ${real.evictedFiles} files (${real.bytesFreed} B)`, value: `${realMs.toFixed(0)} ms`, peer: `du -s: ${duMs.toFixed(0)} ms`, ratio: `${(realMs / duMs).toFixed(2)}× du's time` },
      { name: 'RSS after the dry-run pass (catalog included)', value: mb(rss1), peer: `before: ${mb(rss0)}` },
    ];
  } finally {
    ctl.abort();
    await catalog.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pods: { type: 'string', default: '2000' }, files: { type: 'string', default: '50' } } });
  console.table(await benchRetention(Number(values.pods), Number(values.files)));
}
