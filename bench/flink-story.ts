/**
 * Benchmark of the Flink job story's JobManager log scan (src/flink): a JobManager log of about `--mib` MiB made
 * of a real Flink 1.20.3 JobManager log (fixtures/flink/jobs/map-exception) repeated, scanned from the start
 * through the store's door (openSafe, the readers, the line splitter), median of `--runs`; then 1 MiB appended
 * and read on by the cache. Peak JavaScript heap is sampled while scanning (the scanner keeps bounded state).
 * Peer: `grep -c 'switched from state'` on the same file, same run (it only counts lines; the scan parses them).
 * The file goes to os.tmpdir() and is deleted afterwards.
 * Run: node --experimental-transform-types bench/flink-story.ts [--mib 256] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { JobLogScanner } from '../src/flink/job-log.ts';
import { scanFile } from '../src/flink/read-log.ts';
import { JobLogCache } from '../src/flink/source.ts';
import type { FileEntry, PodEntry } from '../src/store/types.ts';
import type { BenchRow } from './row.ts';

const FIXTURE = new URL('../fixtures/flink/jobs/map-exception/jobmanager.log', import.meta.url);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Runs the benchmark; figures as rows. */
export async function benchFlinkStory(mib = 256, runs = 3): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'podlog-bench-flink-'));
  try {
    const dir = join(root, 'flink-jobs_orders-retry-5c8d7f9b6-q4v2n_u1', 'flink-main-container');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'jobmanager.log');
    const block = readFileSync(FIXTURE);
    const copies = Math.max(1, Math.round((mib * 1024 * 1024) / block.length));
    writeFileSync(path, Buffer.concat(Array.from({ length: copies }, () => block)));
    const bytes = statSync(path).size;
    const times: number[] = [];
    let peak = 0;
    for (let i = 0; i < runs; i++) {
      const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 5);
      const t0 = performance.now();
      await scanFile({ root, path, name: 'jobmanager.log' }, new JobLogScanner());
      times.push(performance.now() - t0);
      clearInterval(timer);
    }
    const greps: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      execFileSync('grep', ['-c', 'switched from state', path]);
      greps.push(performance.now() - t0);
    }
    // read on after 1 MiB more, through the cache
    const st = () => statSync(path);
    const entry = (): FileEntry => ({ name: 'jobmanager.log', path, size: st().size, mtimeMs: st().mtimeMs, dev: st().dev, ino: st().ino, kind: 'live', live: true });
    const files = new Map([['jobmanager.log', entry()]]);
    const pod: PodEntry = { namespace: 'flink-jobs', name: 'orders-retry-5c8d7f9b6-q4v2n', uid: 'u1', root, path: join(root, 'flink-jobs_orders-retry-5c8d7f9b6-q4v2n_u1'), containers: new Map([['flink-main-container', { name: 'flink-main-container', path: dir, files }]]), lastActivityMs: 0 };
    const cache = new JobLogCache({ catalog: { pods: () => [pod], generations: () => [pod], onChange: () => () => {} }, logger: pino({ level: 'silent' }) });
    await cache.scan(pod);
    appendFileSync(path, Buffer.concat(Array.from({ length: Math.max(1, Math.round((1024 * 1024) / block.length)) }, () => block)));
    files.set('jobmanager.log', entry());
    const t1 = performance.now();
    await cache.scan(pod);
    const readOn = performance.now() - t1;
    const ours = median(times);
    const grep = median(greps);
    const mbs = (ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    return [
      { name: `job story scan of a ${(bytes / 2 ** 20).toFixed(0)} MiB JobManager log`, value: `${mbs(ours)}, peak heap ${(peak / 2 ** 20).toFixed(0)} MiB`, peer: `grep -c 'switched from state': ${mbs(grep)}`, ratio: `${(grep / ours).toFixed(2)}× grep's throughput` },
      { name: 'job story after 1 MiB more (cache reads on)', value: `${readOn.toFixed(0)} ms` },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' } } });
  console.table(await benchFlinkStory(Number(values.mib), Number(values.runs)));
}
