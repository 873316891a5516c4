import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PodlogError } from '../errors.ts';
import type { SafeFile } from '../store/safe-open.ts';
import { isBinary, BINARY_SAMPLE_BYTES } from './binary.ts';
import { LineSplitter, MAX_LINE_BYTES, type Line } from './line.ts';
import { rangeStream } from './range.ts';
import type { ReadLinesResult } from './lines.ts';
import { DEFAULT_TAIL_MAX_BYTES, type TailResult } from './tail.ts';

/**
 * Transparent reading of gzip-compressed rotated logs (`*.gz`, RFC 1952; several concatenated
 * members are read as one stream, as `gzip -d` does). A gzip file has no index, so every view is
 * a forward stream-decompression from byte 0: tail and "lines before" cost O(decompressed size)
 * (a ring buffer keeps only the last N lines), "lines from" and ranges cost O(offset). Offsets
 * are offsets in the decompressed data. A cap on the decompressed size defends against gzip bombs.
 */

/** Default cap on decompressed bytes read from one `.gz` file: 4 GiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024;

/** Options shared by the `.gz` readers. */
export interface GzipOptions {
  /** Stop with an error past this many decompressed bytes (default 4 GiB). */
  maxDecompressedBytes?: number;
}

/** True when `name` ends in `.gz` (case-insensitive). */
export function isGzipName(name: string): boolean {
  return /\.gz$/i.test(name);
}

/**
 * Decompressed byte stream of a `.gz` file from its start. The file is not closed; the stream's `close`
 * comes after its last file read, so the caller may close the handle then.
 * Errors emitted: PodlogError `PODLOG_E_BAD_PARAM` when the data is not valid gzip or exceeds
 * `maxDecompressedBytes` (message says which).
 */
export function openDecompressed(file: SafeFile, opts: GzipOptions = {}): Readable {
  const cap = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  // positional reads (range.ts), never FileHandle#createReadStream: destroying that stream closes the caller's handle
  const raw = rangeStream(file, 0, Infinity);
  const gunzip = createGunzip();
  let seen = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      if (seen > cap) {
        cb(new PodlogError('PODLOG_E_BAD_PARAM', `${file.label} decompresses to more than ${cap} bytes; refusing to read further`));
        return;
      }
      cb(null, chunk);
    },
    // close only once the file reads have stopped, so the caller may then close the handle
    destroy(err, cb) {
      gunzip.destroy();
      raw.destroy();
      if (raw.closed) cb(err);
      else raw.once('close', () => cb(err));
    },
  });
  const fail = (e: Error) => {
    guard.destroy(e instanceof PodlogError ? e : new PodlogError('PODLOG_E_BAD_PARAM', `${file.label} is not valid gzip data: ${e.message}`, { cause: e }));
  };
  raw.on('error', fail);
  gunzip.on('error', fail);
  raw.pipe(gunzip).pipe(guard);
  return guard;
}

/** Iterate the decompressed chunks; the stream is destroyed when the loop exits early. */
async function* chunks(file: SafeFile, opts: GzipOptions): AsyncGenerator<Buffer> {
  const s = openDecompressed(file, opts);
  try {
    for await (const c of s) yield c as Buffer;
  } finally {
    s.destroy();
  }
}

/** True when the first 8 KiB of decompressed data look binary ({@link isBinary}). */
export async function gzIsBinary(file: SafeFile, opts: GzipOptions = {}): Promise<boolean> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of chunks(file, opts)) {
    parts.push(c);
    n += c.length;
    if (n >= BINARY_SAMPLE_BYTES) break;
  }
  return isBinary(Buffer.concat(parts, n));
}

async function assertGzText(file: SafeFile, opts: GzipOptions & { allowBinary?: boolean }): Promise<void> {
  if (!opts.allowBinary && (await gzIsBinary(file, opts))) {
    throw new PodlogError('PODLOG_E_BINARY', `${file.label} looks binary once decompressed; fetch it as a byte range instead`);
  }
}

/** Options of the `.gz` line views. */
export interface GzLineOptions extends GzipOptions {
  maxLineBytes?: number;
  maxBytes?: number;
  allowBinary?: boolean;
}

/**
 * Last `n` lines of the decompressed data, with line numbers (the whole file is decompressed
 * once, keeping a ring of the last `n` lines; cost O(decompressed size)). A final line without
 * newline comes back `partial`. If `endOffset` is given, lines are taken from the data before it.
 * @throws PodlogError `PODLOG_E_BINARY`, `PODLOG_E_BAD_PARAM` (bad gzip, too big)
 */
export async function gzTail(file: SafeFile, n: number, opts: GzLineOptions & { endOffset?: number } = {}): Promise<TailResult> {
  await assertGzText(file, opts);
  const maxBytes = opts.maxBytes ?? DEFAULT_TAIL_MAX_BYTES;
  const stopAt = opts.endOffset ?? Infinity;
  // ring of the last n lines: an array with a moving head, compacted when half of it is dead
  let ring: Line[] = [];
  let head = 0;
  let ringBytes = 0;
  const keep = (l: Line) => {
    if (n === 0) return;
    ring.push(l);
    ringBytes += l.text.length;
    while (ring.length - head > n || (ring.length - head > 1 && ringBytes > maxBytes)) ringBytes -= ring[head++]!.text.length;
    if (head > 1024 && head * 2 > ring.length) {
      ring = ring.slice(head);
      head = 0;
    }
  };
  const sp = new LineSplitter({ offset: 0, lineNumber: 1, maxLineBytes: opts.maxLineBytes ?? MAX_LINE_BYTES });
  let end = 0;
  let stopped = false;
  for await (const c of chunks(file, opts)) {
    end += c.length;
    sp.push(c, (l) => {
      if (l.offset + l.bytes > stopAt) {
        stopped = true;
        return false;
      }
      keep(l);
      return true;
    });
    if (stopped || end >= stopAt) break;
  }
  if (!stopped && end <= stopAt) {
    const p = sp.peekPartial();
    if (p) keep(p);
  }
  const lines = head > 0 ? ring.slice(head) : ring;
  const last = lines[lines.length - 1];
  const endOffset = last ? last.offset + last.bytes : Math.min(end, stopAt);
  return { lines, startOffset: lines[0]?.offset ?? endOffset, endOffset, followOffset: endOffset };
}

/**
 * Lines forward from decompressed offset `from` (a mid-line offset starts at the next line), with
 * line numbers. Cost O(from + returned bytes).
 * @throws PodlogError `PODLOG_E_BINARY`, `PODLOG_E_BAD_PARAM`
 */
export async function gzLines(file: SafeFile, from: number, maxLines: number, opts: GzLineOptions = {}): Promise<ReadLinesResult> {
  await assertGzText(file, opts);
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  const sp = new LineSplitter({ offset: 0, lineNumber: 1, maxLineBytes: opts.maxLineBytes ?? MAX_LINE_BYTES });
  const lines: Line[] = [];
  let total = 0;
  let done = false;
  for await (const c of chunks(file, opts)) {
    sp.push(c, (l) => {
      if (l.offset < from) return true;
      lines.push(l);
      total += l.text.length;
      if (lines.length >= maxLines || total >= maxBytes) {
        done = true;
        return false;
      }
      return true;
    });
    if (done) break;
  }
  if (!done) {
    const p = sp.peekPartial();
    if (p && p.offset >= from) lines.push(p);
  }
  return { lines, nextOffset: sp.pendingStart, eof: !done };
}

/**
 * Bytes `[start, end)` of the decompressed data (`end` may be Infinity). Cost O(end). As
 * {@link openDecompressed}, `close` comes after the last file read.
 * Errors as {@link openDecompressed}.
 */
export function gzRange(file: SafeFile, start: number, end: number, opts: GzipOptions = {}): Readable {
  let pos = 0;
  const src = openDecompressed(file, opts);
  const cut = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const s = Math.max(start - pos, 0);
      const e = Math.min(end - pos, chunk.length);
      pos += chunk.length;
      if (e > s) this.push(chunk.subarray(s, e));
      if (pos >= end) {
        this.push(null);
        src.destroy();
      }
      cb();
    },
    destroy(err, cb) {
      src.destroy();
      if (src.closed) cb(err);
      else src.once('close', () => cb(err));
    },
  });
  src.on('error', (e) => cut.destroy(e));
  return src.pipe(cut);
}
