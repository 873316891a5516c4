/**
 * The search kernels alone, in memory (no file reads): the WebAssembly SIMD kernels of
 * src/logfile/simd.ts against the plain-JS fallback that runs where SIMD is unavailable, on the
 * same Flink-style log bytes in the same run. Per kernel: newline count, ASCII fold, and a literal
 * search that also counts lines (`ERROR`, 0.1% of lines, as search does it). Figures are MB/s,
 * median of `--runs` passes over `--mib` MiB, in 1 MiB chunks as search reads them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createScanBuffer, type ScanBuffer } from '../src/logfile/newlines.ts';
import { generateFlinkLog } from './logfile.ts';
import type { BenchRow } from './row.ts';

const CHUNK = 1024 * 1024;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** ms of the median pass of `pass` over every chunk of `data`, copied into `sb.buf` first (copy timed too, as search pays it). */
function time(data: Buffer, sb: ScanBuffer, runs: number, pass: (len: number) => void): number {
  const times: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    for (let off = 0; off < data.length; off += CHUNK) {
      const len = data.copy(sb.buf, 0, off, Math.min(off + CHUNK, data.length));
      pass(len);
    }
    if (r > 0) times.push(performance.now() - t0); // the first pass warms the JIT
  }
  return median(times);
}

/** Rows: SIMD kernels vs the JS fallback, per kernel. */
export async function benchKernels(mib = 256, runs = 5): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'podlog-bench-kernels-'));
  let data: Buffer;
  try {
    await generateFlinkLog(join(dir, 'tm.log'), mib * 1024 * 1024);
    data = await readFile(join(dir, 'tm.log'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const freq = new Uint32Array(256);
  for (let i = 0; i < Math.min(data.length, CHUNK); i++) freq[data[i]!]!++;
  const needle = Buffer.from('ERROR');
  const kernels: [string, (sb: ScanBuffer) => (len: number) => void][] = [
    ['newline count', (sb) => (len) => void sb.count(0, len)],
    ['ASCII fold', (sb) => (len) => sb.lower(0, len)],
    ['literal `ERROR` + line count', (sb) => {
      const cf = sb.countingFinder(needle, false, freq);
      return (len) => {
        let lines = 0;
        for (let from = 0; ; ) {
          const p = cf.find(from, len);
          lines += cf.newlines;
          if (p < 0) break;
          lines += sb.count(cf.scanned, p);
          from = p + 1;
        }
      };
    }],
  ];
  const rows: BenchRow[] = [];
  const mbs = (ms: number) => data.length / 1e6 / (ms / 1000);
  for (const [name, make] of kernels) {
    const simd = createScanBuffer(CHUNK, true, { simd: true });
    const js = createScanBuffer(CHUNK, true, { simd: false });
    if (!simd.simd) throw new Error('WebAssembly SIMD is unavailable: nothing to compare');
    const tSimd = time(data, simd, runs, make(simd));
    const tJs = time(data, js, runs, make(js));
    rows.push({ name: `kernel: ${name}, ${mib} MiB in memory`, value: `${mbs(tSimd).toFixed(0)} MB/s (SIMD)`, peer: `plain-JS fallback: ${mbs(tJs).toFixed(0)} MB/s`, ratio: `${(tJs / tSimd).toFixed(1)}× the fallback` });
  }
  return rows;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '5' } } });
  console.table(await benchKernels(Number(values.mib), Number(values.runs)));
}
