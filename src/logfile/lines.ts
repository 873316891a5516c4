import { PodlogError } from '../errors.ts';
import type { SafeFile } from '../store/safe-open.ts';
import { LineSplitter, MAX_LINE_BYTES, type Line } from './line.ts';
import { READ_BLOCK_BYTES, assertText, currentSize, readAt } from './range.ts';
import { tailLines, type TailResult } from './tail.ts';

/** Default cap on the text bytes one forward read returns: 16 MiB. */
export const DEFAULT_LINES_MAX_BYTES = 16 * 1024 * 1024;

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** Stop after this many lines (≥ 1). */
  maxLines: number;
  /** Stop once the returned text exceeds this many bytes (at least one line is returned). Default 16 MiB. */
  maxBytes?: number;
  /** Cut length per line in bytes; default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
  /**
   * 1-based number of the line containing `fromOffset`, when the caller knows it; lines then carry
   * `lineNumber`. Reading from offset 0 numbers lines from 1 without it.
   */
  fromLineNumber?: number;
  /** Include a trailing line without newline as `partial: true` (default true). */
  includePartial?: boolean;
  /** Skip the binary check (default false: binary files are refused). */
  allowBinary?: boolean;
}

/** Result of {@link readLines}. */
export interface ReadLinesResult {
  /** Lines in file order. */
  lines: Line[];
  /**
   * Offset to continue from: just past the last complete line returned. A trailing partial line is
   * not consumed (nextOffset is its start) so the next read returns it whole once it is complete.
   */
  nextOffset: number;
  /** True when the end of the file was reached. */
  eof: boolean;
}

/**
 * Find the first line start at or after `offset`: `offset` itself when it is 0 or follows a `\n`,
 * else the byte after the next `\n` (or end of file). Costs one read, or a forward scan of the line.
 */
export async function alignToLineStart(file: SafeFile, offset: number, size: number): Promise<number> {
  if (offset === 0 || offset >= size) return Math.min(offset, size);
  let pos = offset - 1;
  const scratch = Buffer.allocUnsafe(READ_BLOCK_BYTES);
  while (pos < size) {
    const block = await readAt(file, pos, Math.min(READ_BLOCK_BYTES, size - pos), scratch);
    if (block.length === 0) return size;
    const nl = block.indexOf(10);
    if (nl >= 0) return pos + nl + 1;
    pos += block.length;
  }
  return size;
}

/**
 * Lines forward from a byte offset, for paging through a file. If `fromOffset` is inside a line,
 * reading starts at the next line start (the cut line is skipped, and `fromLineNumber` then counts
 * it). Memory is bounded by `maxBytes` plus one read block; a line longer than `maxLineBytes` is
 * cut and its remainder skipped without buffering.
 * @param file opened with `openSafe` (not closed here)
 * @param fromOffset byte offset (0 ≤ fromOffset ≤ size)
 * @throws PodlogError `PODLOG_E_BAD_PARAM` (bad options), `PODLOG_E_RANGE` (offset past the end),
 *   `PODLOG_E_BINARY` (binary file)
 */
export async function readLines(file: SafeFile, fromOffset: number, opts: ReadLinesOptions): Promise<ReadLinesResult> {
  if (!Number.isSafeInteger(opts.maxLines) || opts.maxLines < 1) {
    throw new PodlogError('PODLOG_E_BAD_PARAM', `maxLines must be a positive integer (got ${opts.maxLines})`);
  }
  if (!Number.isSafeInteger(fromOffset) || fromOffset < 0) {
    throw new PodlogError('PODLOG_E_BAD_PARAM', `offset must be a non-negative integer (got ${fromOffset})`);
  }
  const size = await currentSize(file);
  if (fromOffset > size) throw new PodlogError('PODLOG_E_RANGE', `offset ${fromOffset} is past the end of the file (${size} bytes)`);
  if (!opts.allowBinary) await assertText(file);
  const start = await alignToLineStart(file, fromOffset, size);
  let lineNumber = opts.fromLineNumber ?? (start === 0 ? 1 : undefined);
  if (opts.fromLineNumber !== undefined && start !== fromOffset) lineNumber = opts.fromLineNumber + 1;
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const splitter = new LineSplitter({ offset: start, maxLineBytes: maxLine, ...(lineNumber !== undefined ? { lineNumber } : {}) });
  const maxBytes = opts.maxBytes ?? DEFAULT_LINES_MAX_BYTES;
  const lines: Line[] = [];
  let total = 0;
  let done = false;
  let pos = start;
  const scratch = Buffer.allocUnsafe(READ_BLOCK_BYTES); // the splitter copies what it keeps
  while (!done && pos < size) {
    const block = await readAt(file, pos, Math.min(READ_BLOCK_BYTES, size - pos), scratch);
    if (block.length === 0) break;
    splitter.push(block, (line) => {
      lines.push(line);
      total += Math.min(line.bytes, maxLine);
      if (lines.length >= opts.maxLines || total >= maxBytes) {
        done = true;
        return false;
      }
      return true;
    });
    pos = splitter.position;
  }
  const eof = !done && splitter.position >= size;
  if (eof && (opts.includePartial ?? true)) {
    const partial = splitter.peekPartial();
    if (partial) lines.push(partial);
  }
  return { lines, nextOffset: splitter.pendingStart, eof };
}

/**
 * Up to `maxLines` lines ending just before `beforeOffset` (exclusive), for scrolling up in a
 * viewer window: the tail of the file cut at `beforeOffset`. Same cost model as {@link tailLines}.
 * @param beforeOffset normally the `offset` of the first line currently shown
 * @throws PodlogError as {@link tailLines}
 */
export async function readLinesBefore(
  file: SafeFile,
  beforeOffset: number,
  maxLines: number,
  opts: { maxLineBytes?: number; maxBytes?: number; allowBinary?: boolean } = {},
): Promise<TailResult> {
  return tailLines(file, maxLines, { ...opts, endOffset: beforeOffset });
}
