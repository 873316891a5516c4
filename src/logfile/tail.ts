import { PodlogError } from '../errors.ts';
import type { SafeFile } from '../store/safe-open.ts';
import { MAX_LINE_BYTES, decodeLine, type Line } from './line.ts';
import { READ_BLOCK_BYTES, assertText, currentSize, readAt } from './range.ts';

/** Bytes of file tail kept in memory while scanning backward (beyond it, lines are re-read one by one). */
const KEEP_CAP_BYTES = 8 * 1024 * 1024;

/** Default cap on the text bytes one tail returns: 64 MiB. */
export const DEFAULT_TAIL_MAX_BYTES = 64 * 1024 * 1024;

/** Options of {@link tailLines}. */
export interface TailOptions {
  /** Cut length per line in bytes; default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
  /** Treat the file as ending here (exclusive byte offset); default: its current size. */
  endOffset?: number;
  /** Stop adding older lines once the returned content exceeds this many bytes (at least one line is returned). Default 64 MiB. */
  maxBytes?: number;
  /** Skip the binary check (default false: binary files are refused). */
  allowBinary?: boolean;
}

/** Result of {@link tailLines}. */
export interface TailResult {
  /** Lines in file order (oldest first). `lineNumber` is not set (unknown without a full scan). */
  lines: Line[];
  /** Byte offset where the first returned line starts (pass as `endOffset` to page further up). */
  startOffset: number;
  /** Byte offset one past the last byte considered. */
  endOffset: number;
  /**
   * Where a follower should start so it sees every later line exactly once: the start of the
   * trailing partial line when there is one (it will be emitted again once complete), else `endOffset`.
   */
  followOffset: number;
}

/**
 * The last `n` lines of a file, found by reading backward from the end in 64 KiB blocks: cost
 * depends on the size of those lines, not of the file. A line without a trailing newline at the
 * end is included with `partial: true`. Long lines are cut at `maxLineBytes`; the start of a huge
 * line is found by scanning backward without keeping its bytes (memory stays about 8 MiB).
 * @param file opened with `openSafe` (not closed here)
 * @param n number of lines wanted (≥ 0)
 * @throws PodlogError `PODLOG_E_BAD_PARAM` for a bad `n`/`endOffset`; `PODLOG_E_BINARY` for a binary file
 */
export async function tailLines(file: SafeFile, n: number, opts: TailOptions = {}): Promise<TailResult> {
  if (!Number.isSafeInteger(n) || n < 0) throw new PodlogError('PODLOG_E_BAD_PARAM', `line count must be a non-negative integer (got ${n})`);
  const size = await currentSize(file);
  const end = opts.endOffset ?? size;
  if (!Number.isSafeInteger(end) || end < 0 || end > size) {
    throw new PodlogError('PODLOG_E_BAD_PARAM', `endOffset must be an integer within the file (0..${size}), got ${end}`);
  }
  if (!opts.allowBinary) await assertText(file);
  if (n === 0 || end === 0) return { lines: [], startOffset: end, endOffset: end, followOffset: end };
  const max = opts.maxLineBytes ?? MAX_LINE_BYTES;

  // Phase 1: find the starts of the last n lines, keeping the tail bytes up to KEEP_CAP_BYTES.
  const starts: number[] = []; // descending
  const blocks: Buffer[] = [];
  let keptStart = end;
  let keeping = true;
  let lastByte = -1;
  let pos = end;
  const scratch = Buffer.allocUnsafe(READ_BLOCK_BYTES); // used once blocks are no longer kept
  while (pos > 0 && starts.length < n) {
    const bs = Math.max(0, pos - READ_BLOCK_BYTES);
    keeping &&= end - bs <= KEEP_CAP_BYTES;
    const block = await readAt(file, bs, pos - bs, keeping ? undefined : scratch);
    if (block.length !== pos - bs) throw new PodlogError('PODLOG_E_GONE', `${file.label} shrank while being read`);
    if (lastByte < 0) lastByte = block[block.length - 1]!;
    // a newline at end-1 terminates the last line; it does not start another one
    let i = pos === end ? block.length - 2 : block.length - 1;
    while (i >= 0 && starts.length < n) {
      const nl = block.lastIndexOf(10, i);
      if (nl < 0) break;
      starts.push(bs + nl + 1);
      i = nl - 1;
    }
    if (keeping) {
      blocks.push(block);
      keptStart = bs;
    }
    pos = bs;
  }
  if (pos === 0 && starts.length < n) starts.push(0);

  // Phase 2: build lines newest first, honouring maxBytes.
  const kept = blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks.reverse());
  const maxBytes = opts.maxBytes ?? DEFAULT_TAIL_MAX_BYTES;
  const lines: Line[] = [];
  let total = 0;
  let lineEnd = end;
  for (const s of starts) {
    const bytes = lineEnd - s;
    const partial = lineEnd === end && lastByte !== 10;
    const contentLen = partial ? bytes : bytes - 1;
    const cut = contentLen > max;
    const want = cut ? max + 1 : contentLen;
    const content = s >= keptStart ? kept.subarray(s - keptStart, s - keptStart + want) : await readAt(file, s, want);
    const line: Line = {
      offset: s,
      text: cut ? decodeLine(content, max, partial ? undefined : bytes) : decodeLine(content),
      truncated: cut,
      bytes,
    };
    if (partial) line.partial = true;
    lines.push(line);
    total += Math.min(contentLen, max);
    lineEnd = s;
    if (total >= maxBytes) break;
  }
  lines.reverse();
  const last = lines[lines.length - 1];
  return {
    lines,
    startOffset: lineEnd,
    endOffset: end,
    followOffset: last?.partial ? last.offset : end,
  };
}
