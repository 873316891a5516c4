/**
 * Benchmarks of src/logfile on a generated Flink-style log (TaskManager/JobManager log4j lines,
 * ~0.1% ERROR, occasional stack traces):
 * - tail: the last 1,000 lines of a 1 GiB and a 10 MiB file, median of 20 runs
 *   (goal ≤ 20 ms on 1 GiB and within 2× of 10 MiB);
 * - search: MB/s of `searchFile` against GNU grep counting the same lines on the same file in the
 *   same run (`grep -F -c`, `grep -F -i -c`, `grep -E -c`), median of 3 runs each
 *   (goal for literals ≥ 0.5× grep's throughput). Match counts are checked to agree.
 * Files go to os.tmpdir() and are deleted afterwards.
 * Run: node --import tsx bench/logfile.ts [--size 1073741824] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileMatcher, searchFile } from '../src/logfile/search.ts';
import { tailLines } from '../src/logfile/tail.ts';
import { openSafe } from '../src/store/safe-open.ts';

import type { BenchRow } from './row.ts';

const LOGGERS = [
  'org.apache.flink.runtime.checkpoint.CheckpointCoordinator',
  'org.apache.flink.runtime.taskmanager.Task',
  'org.apache.flink.runtime.executiongraph.ExecutionGraph',
  'org.apache.flink.runtime.jobmaster.JobMaster',
  'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
  'org.apache.flink.runtime.state.heap.HeapKeyedStateBackend',
];

/** A deterministic block of Flink-style log text of about `bytes` bytes (whole lines). */
function flinkBlock(bytes: number, seed0: number, firstLine: number): string {
  let seed = seed0;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const parts: string[] = [];
  let n = 0;
  let t = Date.UTC(2024, 4, 1) + firstLine * 25;
  for (let i = firstLine; n < bytes; i++) {
    t += Math.floor(rnd() * 50);
    const d = new Date(t).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    const r = rnd();
    const lg = LOGGERS[Math.floor(rnd() * LOGGERS.length)]!;
    const lvl = r < 0.001 ? 'ERROR' : r < 0.01 ? 'WARN ' : 'INFO ';
    let s = `${d} ${lvl} ${lg} [] - Triggering checkpoint ${i} (type=CHECKPOINT) @ ${t} for job 3f2d${(i % 9973).toString(16)}a1b.\n`;
    if (r < 0.0005) s += 'java.lang.RuntimeException: Task failed\n\tat org.apache.flink.streaming.runtime.tasks.StreamTask.invoke(StreamTask.java:566)\n\tat org.apache.flink.runtime.taskmanager.Task.run(Task.java:708)\n';
    parts.push(s);
    n += s.length;
  }
  return parts.join('');
}

/**
 * Write a Flink-style log of about `size` bytes to `path`: 16 MiB blocks generated with
 * different seeds (cycled after 8 distinct blocks to keep generation fast).
 */
export async function generateFlinkLog(path: string, size: number): Promise<void> {
  const ws = createWriteStream(path);
  const blocks: Buffer[] = [];
  const BLOCK = 16 * 1024 * 1024;
  let written = 0;
  for (let i = 0; written < size; i++) {
    if (blocks.length < 8) blocks.push(Buffer.from(flinkBlock(Math.min(BLOCK, size - written), 42 + i, i * 100_000)));
    const b = blocks[i % blocks.length]!;
    if (!ws.write(b)) await once(ws, 'drain');
    written += b.length;
  }
  ws.end();
  await once(ws, 'finish');
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Median ms of `runs` calls of tailLines(file, n). */
export async function timeTail(dir: string, path: string, n = 1000, runs = 20): Promise<number> {
  const f = await openSafe(dir, path);
  try {
    const times: number[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const t0 = performance.now();
      const r = await tailLines(f, n);
      const ms = performance.now() - t0;
      if (r.lines.length !== n) throw new Error(`tail returned ${r.lines.length} lines, wanted ${n}`);
      if (i >= 2) times.push(ms); // two warm-up runs
    }
    return median(times);
  } finally {
    await f.handle.close();
  }
}

/** One search query of the benchmark and the grep flags counting the same lines. */
export interface SearchCase {
  label: string;
  q: string;
  regex: boolean;
  ci: boolean;
  grep: string[];
}

/** The default queries: literals (rare, common, case-insensitive) and regexes with and without required literals. */
export const SEARCH_CASES: SearchCase[] = [
  { label: 'literal, 0.1% of lines', q: 'ERROR', regex: false, ci: false, grep: ['-F', '-c', 'ERROR'] },
  { label: 'literal, no match', q: 'OutOfMemoryError', regex: false, ci: false, grep: ['-F', '-c', 'OutOfMemoryError'] },
  { label: 'literal, case-insensitive', q: 'task failed', regex: false, ci: true, grep: ['-F', '-i', '-c', 'task failed'] },
  { label: 'regex, alternation', q: 'ERROR|WARN', regex: true, ci: false, grep: ['-E', '-c', 'ERROR|WARN'] },
  { label: 'regex, two literals', q: 'Task.*failed', regex: true, ci: false, grep: ['-E', '-c', 'Task.*failed'] },
  { label: 'regex, anchored', q: '^java\\.lang\\.[A-Za-z]+Exception', regex: true, ci: false, grep: ['-E', '-c', '^java\\.lang\\.[A-Za-z]+Exception'] },
];

/** Search `path` with our searchFile and with grep; medians of `runs`; throws if the counts differ. */
export async function compareSearch(dir: string, path: string, c: SearchCase, runs = 3): Promise<{ ours: number; grep: number; matches: number; bytes: number }> {
  const ours: number[] = [];
  const greps: number[] = [];
  let matches = 0;
  let bytes = 0;
  const m = compileMatcher(c.q, { regex: c.regex, caseInsensitive: c.ci });
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    let out: string;
    try {
      out = execFileSync('grep', [...c.grep, path], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? '0'); // grep exits 1 on no match
    }
    greps.push(performance.now() - t0);
    const grepCount = Number(out.trim());
    const f = await openSafe(dir, path);
    try {
      let n = 0;
      t0 = performance.now();
      const r = await searchFile(f, m, { signal: new AbortController().signal, byteBudget: { remaining: Number.MAX_SAFE_INTEGER }, deadline: Date.now() + 3_600_000, onMatch: () => void n++ });
      ours.push(performance.now() - t0);
      if (n !== grepCount) throw new Error(`${c.label}: podlog found ${n} lines, grep ${grepCount}`);
      matches = n;
      bytes = r.bytesScanned;
    } finally {
      await f.handle.close();
    }
  }
  return { ours: median(ours), grep: median(greps), matches, bytes };
}

const mbs = (bytes: number, ms: number) => `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;

/** Run the whole logfile benchmark; `size` is the big file's size in bytes (default 1 GiB). */
export async function benchLogfile(size = 1024 * 1024 * 1024, runs = 3): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'podlog-bench-logfile-'));
  try {
    const big = join(dir, 'taskmanager.log');
    const small = join(dir, 'small.log');
    await generateFlinkLog(small, 10 * 1024 * 1024);
    await generateFlinkLog(big, size);
    execFileSync('sync'); // let writeback of the fresh GiB finish before timing anything
    const rows: BenchRow[] = [];
    await timeTail(dir, small, 1000, 20); // JIT warm-up, so neither file pays for it
    const tBig = await timeTail(dir, big);
    const tSmall = await timeTail(dir, small);
    const gib = (size / 1024 ** 3).toFixed(2);
    rows.push({ name: `tail 1,000 lines, ${gib} GiB file (median of 20)`, value: `${tBig.toFixed(2)} ms`, peer: `10 MiB file: ${tSmall.toFixed(2)} ms`, ratio: `${(tBig / tSmall).toFixed(2)}× the 10 MiB time`, goal: '≤ 20 ms, ≤ 2× 10 MiB' });
    for (const c of SEARCH_CASES) {
      const r = await compareSearch(dir, big, c, runs);
      rows.push({
        name: `search ${c.label}: ${c.q} (${r.matches} lines)`,
        value: mbs(r.bytes, r.ours),
        peer: `grep ${c.grep.slice(0, -1).join(' ')}: ${mbs(r.bytes, r.grep)}`,
        ratio: `${(r.grep / r.ours).toFixed(2)}× grep's throughput`,
        ...(c.regex ? {} : { goal: '≥ 0.5× grep' }),
      });
    }
    // slow paths, on the 10 MiB file: a required literal present on every line (each line goes to
    // the re2js DFA), and no required literal at all (DFA over whole chunks, then bisection)
    const slow: SearchCase[] = [
      { label: 'regex, literal on every line, 10 MiB file', q: '[0-9]{13} for', regex: true, ci: false, grep: ['-E', '-c', '[0-9]{13} for'] },
      { label: 'regex, no literal (DFA only), 10 MiB file', q: '[0-9]{13}', regex: true, ci: false, grep: ['-E', '-c', '[0-9]{13}'] },
    ];
    for (const c of slow) {
      const r = await compareSearch(dir, small, c, runs);
      rows.push({ name: `search ${c.label}: ${c.q}`, value: mbs(r.bytes, r.ours), peer: `grep -E: ${mbs(r.bytes, r.grep)}`, ratio: `${(r.grep / r.ours).toFixed(3)}× grep's throughput` });
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { size: { type: 'string', default: String(1024 * 1024 * 1024) }, runs: { type: 'string', default: '3' } } });
  console.table(await benchLogfile(Number(values.size), Number(values.runs)));
}
