/**
 * Jump to a time without a server index: bisection over byte offsets, reading a small window of
 * lines at each probe and comparing the first timestamped line with the target (both normalised by
 * `lineTime`/`normaliseTime`, so string order = time order). About log2(size / 64 KiB) probes
 * (≈ 14 for 1 GiB), then a forward scan of at most a few windows. Assumes timestamps grow through
 * the file, as they do in a log4j file.
 */
import type { ApiLines } from '../api.ts';
import { lineTime } from './decorate.ts';

/** Reads `count` lines from byte `offset` (the API's `lines?from=`). */
export type ReadFrom = (offset: number, count: number) => Promise<ApiLines>;

/**
 * Byte offset of the first line whose timestamp is ≥ `target` (normalised form), or the file size
 * when every line is earlier. `size` is the file size in bytes.
 */
export async function seekTime(read: ReadFrom, size: number, target: string): Promise<number> {
  let lo = 0;
  let hi = size;
  while (hi - lo > 64 * 1024) {
    const mid = Math.floor((lo + hi) / 2);
    const w = await read(mid, 40);
    const t = firstTime(w);
    if (t === undefined || t.time < target) lo = Math.max(mid, t ? t.offset : w.nextOffset);
    else hi = mid;
    if (lo >= hi) break;
  }
  let at = lo;
  for (let i = 0; i < 64; i++) {
    const w = await read(at, 500);
    for (const l of w.lines) {
      const t = lineTime(l.text);
      if (t !== undefined && t >= target) return l.offset;
    }
    if (w.eof || w.lines.length === 0 || w.nextOffset <= at) return w.size ?? w.nextOffset;
    at = w.nextOffset;
  }
  return at;
}

function firstTime(w: ApiLines): { time: string; offset: number } | undefined {
  for (const l of w.lines) {
    const t = lineTime(l.text);
    if (t !== undefined) return { time: t, offset: l.offset };
  }
  return undefined;
}
