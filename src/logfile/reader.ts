import type { Readable } from 'node:stream';
import type { SafeFile } from '../store/safe-open.ts';
import { gzLines, gzRange, gzTail, isGzipName, openDecompressed } from './gzip.ts';
import type { Line } from './line.ts';
import { readLines, readLinesBefore } from './lines.ts';
import { rangeStream } from './range.ts';
import { tailLines, type TailResult } from './tail.ts';

/** One file seen the same way whether it is plain or `.gz` (decompressed). Offsets are in the decompressed bytes. */
export interface LogReader {
  /** Size in bytes for plain files (at open); `undefined` for `.gz`, whose decompressed size is unknown until read. */
  readonly size: number | undefined;
  /** True for a `.gz` file. */
  readonly compressed: boolean;
  /** The last `n` lines. @throws PodlogError `PODLOG_E_BINARY`, `PODLOG_E_BAD_PARAM` */
  tail(n: number): Promise<TailResult>;
  /** Up to `count` lines forward from byte `from` (aligned to the next line start). */
  lines(from: number, count: number): Promise<{ lines: Line[]; nextOffset: number; eof: boolean }>;
  /** Up to `count` lines ending before byte `before`. */
  before(before: number, count: number): Promise<TailResult>;
  /** Bytes `[start, end)`; `end` defaults to the end. */
  range(start: number, end?: number): Readable;
  /** What `searchFile` reads: the open file, or for `.gz` a fresh decompressed stream. */
  searchSource(): SafeFile | Readable;
}

/**
 * A {@link LogReader} over an opened file; a name ending in `.gz` selects transparent gzip
 * decompression (bounded by the decompressed-size cap in gzip.ts). The caller closes `file.handle`.
 */
export function openReader(file: SafeFile, name: string): LogReader {
  if (isGzipName(name)) {
    return {
      size: undefined,
      compressed: true,
      tail: (n) => gzTail(file, n),
      lines: (from, count) => gzLines(file, from, count),
      before: (before, count) => gzTail(file, count, { endOffset: before }),
      range: (start, end) => gzRange(file, start, end ?? Infinity),
      searchSource: () => openDecompressed(file),
    };
  }
  const size = file.stat.size;
  return {
    size,
    compressed: false,
    tail: (n) => tailLines(file, n),
    lines: (from, count) => readLines(file, from, { maxLines: count }),
    before: (before, count) => readLinesBefore(file, before, count),
    range: (start, end) => rangeStream(file, start, Math.min(end ?? size, size)),
    searchSource: () => file,
  };
}
