import { Readable } from 'node:stream';
import { PodlogError } from '../errors.ts';
import type { SafeFile } from '../store/safe-open.ts';
import { BINARY_SAMPLE_BYTES, isBinary } from './binary.ts';

/** Size of one read: 64 KiB. Memory held by a range stream is about two of these. */
export const READ_BLOCK_BYTES = 64 * 1024;

/**
 * Current size of an open file in bytes (fstat on the descriptor, so it follows a growing file).
 */
export async function currentSize(file: SafeFile): Promise<number> {
  return (await file.handle.stat()).size;
}

/**
 * Read exactly up to `length` bytes at `position` (fewer only at end of file).
 * @param into optional scratch buffer to read into (reused by loops to avoid garbage)
 * @returns a buffer (or a view of `into`) holding the bytes read; its length tells how many
 */
export async function readAt(file: SafeFile, position: number, length: number, into?: Buffer): Promise<Buffer> {
  const buf = into && into.length >= length ? into : Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await file.handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

/**
 * Check `[start, end)` against the file and clamp `end` to `size`.
 * @param start first byte (inclusive), integer ≥ 0
 * @param end one past the last byte (exclusive); clamped to `size`; `Infinity` means "to the end"
 * @param size current file size in bytes
 * @returns the clamped end
 * @throws PodlogError `PODLOG_E_BAD_PARAM` for negative, non-integer or reversed bounds;
 *   `PODLOG_E_RANGE` when `start > size`
 */
export function checkRange(start: number, end: number, size: number): number {
  if (!Number.isSafeInteger(start) || start < 0 || !(Number.isSafeInteger(end) || end === Infinity) || end < start) {
    throw new PodlogError('PODLOG_E_BAD_PARAM', `byte range must satisfy 0 <= start <= end (got start=${start}, end=${end})`);
  }
  if (start > size) throw new PodlogError('PODLOG_E_RANGE', `byte range starts at ${start}, past the end of the file (${size} bytes)`);
  return Math.min(end, size);
}

/**
 * Stream the bytes `[start, end)` of a file, 64 KiB per read, never more than the stream's
 * high-water mark buffered (back-pressure is honoured). `end` is clamped to the size at call
 * time (via fstat); bytes appended later are not included. The file is not closed.
 * @param file opened with `openSafe`
 * @param start first byte offset (inclusive)
 * @param end byte offset one past the last (exclusive)
 * @returns a byte stream; errors from reads are emitted as stream errors
 * @throws PodlogError `PODLOG_E_BAD_PARAM` / `PODLOG_E_RANGE` (see {@link checkRange})
 */
export async function readRange(file: SafeFile, start: number, end: number): Promise<Readable> {
  const stop = checkRange(start, end, await currentSize(file));
  return rangeStream(file, start, stop);
}

/**
 * The stream behind {@link readRange}, with bounds already checked. Destroying it (a client that went
 * away) starts no further read, and its `close` waits for a read in flight: after `close` the caller
 * may close `file.handle`.
 */
export function rangeStream(file: SafeFile, start: number, stop: number): Readable {
  let pos = start;
  let inFlight: Promise<void> | undefined;
  return new Readable({
    highWaterMark: READ_BLOCK_BYTES,
    read() {
      if (pos >= stop) {
        this.push(null);
        return;
      }
      const want = Math.min(READ_BLOCK_BYTES, stop - pos);
      inFlight = readAt(file, pos, want).then(
        (buf) => {
          inFlight = undefined;
          if (this.destroyed) return;
          if (buf.length === 0) {
            this.push(null); // file shrank under us
            return;
          }
          pos += buf.length;
          this.push(buf);
        },
        (err: unknown) => {
          inFlight = undefined;
          if (!this.destroyed) this.destroy(err as Error);
        },
      );
    },
    destroy(err, cb) {
      if (inFlight) void inFlight.then(() => cb(err));
      else cb(err);
    },
  });
}

/**
 * True when the file's first 8 KiB look binary ({@link isBinary}).
 */
export async function fileIsBinary(file: SafeFile): Promise<boolean> {
  return isBinary(await readAt(file, 0, BINARY_SAMPLE_BYTES));
}

/**
 * Throw when the file is binary (for line views).
 * @throws PodlogError `PODLOG_E_BINARY`
 */
export async function assertText(file: SafeFile): Promise<void> {
  if (await fileIsBinary(file)) {
    throw new PodlogError('PODLOG_E_BINARY', `${file.label} looks binary (NUL bytes or control characters in its first 8 KiB); fetch it as a byte range instead`);
  }
}
