/** Byte sources the search loop reads from: a file (positional reads) or a stream (e.g. decompressed `.gz`). */
import type { Readable } from 'node:stream';
import type { SafeFile } from '../store/safe-open.ts';

/** A sequential byte source: fills `buf[offset..offset+length)` as far as it can; 0 means end. */
export interface ByteSource {
  read(buf: Buffer, offset: number, length: number): Promise<number>;
}

/** Sequential reads of a file from `start` up to `end` (default: its end; positional reads; the file is not closed). */
export function fileSource(file: SafeFile, start = 0, end = Infinity): ByteSource {
  let pos = start;
  return {
    async read(buf, offset, length) {
      let got = 0;
      length = Math.min(length, end - pos);
      while (got < length) {
        const want = length - got;
        const { bytesRead } = await file.handle.read(buf, offset + got, want, pos);
        pos += bytesRead;
        got += bytesRead;
        if (bytesRead < want) break; // a short read of a regular file: its end for now (the next call looks again)
      }
      return got;
    },
  };
}

/** Reads from a byte stream, copying its chunks into the caller's buffer. */
export function streamSource(stream: Readable): ByteSource {
  const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let left: Buffer | undefined;
  let done = false;
  return {
    async read(buf, offset, length) {
      let got = 0;
      while (got < length) {
        if (!left || left.length === 0) {
          if (done) break;
          const r = await it.next();
          if (r.done) {
            done = true;
            break;
          }
          left = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
        }
        const n = Math.min(left.length, length - got);
        left.copy(buf, offset + got, 0, n);
        left = left.subarray(n);
        got += n;
      }
      return got;
    },
  };
}

/**
 * The first line start at or after `pos` in a file: `pos` itself when it is 0 or follows a newline,
 * else the byte after the next newline, or the file's end (`Infinity` when no newline follows).
 * Reads 64 KiB at a time from `pos - 1`.
 */
export async function lineStartAtOrAfter(file: SafeFile, pos: number): Promise<number> {
  if (pos <= 0) return 0;
  const buf = Buffer.allocUnsafe(64 * 1024);
  for (let at = pos - 1; ; at += buf.length) {
    const { bytesRead } = await file.handle.read(buf, 0, buf.length, at);
    if (bytesRead === 0) return Infinity;
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl >= 0) return at + nl + 1;
  }
}
