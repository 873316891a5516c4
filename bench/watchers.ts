/**
 * Benchmark: the catalog's own watcher (one inotify `fs.watch` per root, pod and container folder,
 * src/store/catalog.ts) against chokidar in its leanest configuration (`backend: 'native'`, one
 * fs.watch per directory; `depth: 2`; `alwaysStat: false`; `atomic: false`; no follow of links), on
 * the same tree of `pods` × 10 files, each in its own child process (bench/watcher-child.ts):
 *   - RSS after the initial scan and after the churn, and the scan's duration;
 *   - events missed under churn: the parent appends to every pod's live file, creates a file in every
 *     10th pod, deletes one in every 10th, and adds pods/10 new pod folders with a file, as fast as
 *     it can; the child reports how many of those changes it had not seen once 3 s pass without news
 *     (the catalog's periodic rescan is off here, so its watcher is measured alone).
 * Run: node bench/watchers.ts [--pods 1000,10000]
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import split2 from 'split2';
import { parseArgs } from 'node:util';
import type { BenchRow } from './row.ts';
import { makePodTree } from './tree.ts';

const FILES = 10;

interface Ready { scanMs: number; rssMB: number; files: number }
interface Settled { missed: number; rssMB: number; settleMs: number }

/** Make every change the churn is made of; returns what a watcher should have seen. */
function churn(root: string, pods: number) {
  const dirs = (p: number) => join(root, `flink-jobs_job${p % 50}-taskmanager-1-${p}_0b0f3f0e-6f2c-4e3a-9c1d-${String(p).padStart(12, '0')}`, 'flink-main-container');
  const changed: { path: string; size: number }[] = [];
  const added: { path: string; size: number }[] = [];
  const removed: string[] = [];
  for (let p = 0; p < pods; p++) {
    const live = join(dirs(p), 'taskmanager.log');
    appendFileSync(live, '2026-11-22 01:01:58,122 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - churn\n');
    changed.push({ path: live, size: statSync(live).size });
    if (p % 10 === 0) {
      const f = join(dirs(p), 'taskmanager.out');
      writeFileSync(f, 'started\n');
      added.push({ path: f, size: 8 });
    }
    if (p % 10 === 5) {
      const f = join(dirs(p), `taskmanager.log.${FILES - 1}`);
      unlinkSync(f);
      removed.push(f);
    }
  }
  for (let p = pods; p < pods + pods / 10; p++) {
    mkdirSync(dirs(p), { recursive: true });
    const f = join(dirs(p), 'taskmanager.log');
    writeFileSync(f, 'new pod\n');
    added.push({ path: f, size: 8 });
  }
  return { changed, added, removed };
}

/** One watcher over a fresh tree: scan, churn, settle. */
async function measure(mode: 'catalog' | 'chokidar', pods: number): Promise<Ready & { after: Settled; expected: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-bench-watch-'));
  const root = join(dir, 'root');
  mkdirSync(root);
  try {
    makePodTree(root, pods, FILES);
    const child = spawn(process.execPath, ['--expose-gc', new URL('./watcher-child.ts', import.meta.url).pathname, mode, root], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = (child.stdout!.pipe(split2()) as AsyncIterable<string>)[Symbol.asyncIterator]();
    const next = async <T>() => {
      const r = await lines.next();
      if (r.done) throw new Error(`${mode} child ended early`);
      return JSON.parse(r.value) as T;
    };
    const ready = await next<Ready>();
    const expected = churn(root, pods);
    const churnFile = join(dir, 'churn.json');
    writeFileSync(churnFile, JSON.stringify(expected));
    child.stdin!.write(churnFile + '\n');
    const after = await next<Settled>();
    child.kill();
    return { ...ready, after, expected: expected.changed.length + expected.added.length + expected.removed.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows per tree size: RSS, scan time and events missed, catalog beside chokidar. */
export async function benchWatchers(podCounts = [1000, 10000]): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const pods of podCounts) {
    const ours = await measure('catalog', pods);
    const peer = await measure('chokidar', pods);
    if (ours.files !== pods * FILES || peer.files !== pods * FILES) throw new Error(`scan saw ${ours.files} / ${peer.files} files, expected ${pods * FILES}`);
    const size = `${pods.toLocaleString('en')} pods × ${FILES} files`;
    rows.push(
      { name: `watcher RSS after scan, ${size}`, value: `${ours.rssMB.toFixed(0)} MB`, peer: `chokidar 6 (leanest): ${peer.rssMB.toFixed(0)} MB`, ratio: `chokidar ${(peer.rssMB / ours.rssMB).toFixed(2)}× the catalog`, goal: 'chokidar used if ≤ 1.2×' },
      { name: `watcher RSS after churn, ${size}`, value: `${ours.after.rssMB.toFixed(0)} MB`, peer: `chokidar: ${peer.after.rssMB.toFixed(0)} MB`, ratio: `${(peer.after.rssMB / ours.after.rssMB).toFixed(2)}×` },
      { name: `watcher initial scan, ${size}`, value: `${ours.scanMs.toFixed(0)} ms`, peer: `chokidar: ${peer.scanMs.toFixed(0)} ms`, ratio: `${(peer.scanMs / ours.scanMs).toFixed(2)}×` },
      { name: `changes missed under churn (of ${ours.expected.toLocaleString('en')}), ${size}`, value: `${ours.after.missed} (settled in ${ours.after.settleMs.toFixed(0)} ms)`, peer: `chokidar: ${peer.after.missed} (${peer.after.settleMs.toFixed(0)} ms)` },
    );
  }
  return rows;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pods: { type: 'string', default: '1000,10000' } } });
  console.table(await benchWatchers(values.pods!.split(',').map(Number)));
}
