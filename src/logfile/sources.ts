/** Byte sources the search loop reads from: a file (positional reads) or a stream (e.g. decompressed `.gz`). */
import type { Readable } from 'node:stream';
import type { SafeFile } from '../store/safe-open.ts';

/** A sequential byte source: fills `buf[offset..offset+length)` as far as it can; 0 means end. */
export interface ByteSource {
  read(buf: Buffer, offset: number, length: number): Promise<number>;
}

/** Sequential reads of a file from offset 0 (positional reads; the file is not closed). */
export function fileSource(file: SafeFile): ByteSource {
  let pos = 0;
  return {
    async read(buf, offset, length) {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await file.handle.read(buf, offset + got, length - got, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        got += bytesRead;
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
