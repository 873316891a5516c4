/**
 * File identity for shipping: a sha256 fingerprint of the first bytes (decompressed for `.gz`) plus
 * device and inode. The inode follows a file across renames (`x.log` → `x.log.1`); the fingerprint
 * tells a reused inode or a rewritten file apart, and lets a copy (`copytruncate`, `.gz`) be matched
 * to the checkpoint of the file it was copied from. Models: Vector `file-source` fingerprinter,
 * Filebeat `fingerprint` file identity.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';

/** Bytes of the file head hashed into the fingerprint. */
export const FP_BYTES = 1024;

/**
 * Read up to `len` bytes from the start of an open file (decompressed when `gz`).
 * @returns fewer bytes when the file (or its decompressed content) is shorter
 */
export async function readPrefix(handle: FileHandle, len: number, gz: boolean): Promise<Buffer> {
  if (!gz) {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await handle.read(buf, got, len - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const { stream, gunzip } = gunzipStream(handle);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= len) break;
    }
  } catch {
    // a truncated or corrupt gzip: use what decompressed
  } finally {
    stream.unpipe(gunzip);
    stream.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks).subarray(0, len);
}

/**
 * Decompress an open `.gz` file with positional reads (no `FileHandle.createReadStream`: a second
 * stream on a handle whose first stream was destroyed never ends on Node 24). Destroy both when done.
 */
export function gunzipStream(handle: FileHandle, chunkBytes = 64 * 1024): { stream: Readable; gunzip: Gunzip } {
  async function* chunks(): AsyncGenerator<Buffer> {
    let pos = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(buf, 0, chunkBytes, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  }
  const stream = Readable.from(chunks());
  const gunzip = createGunzip();
  stream.pipe(gunzip);
  return { stream, gunzip };
}

/** Hex sha256 of a buffer. */
export function hashBytes(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * The identity string used in document `_id`s: 22 base64url chars of
 * sha256(podUid, container, dev, ino, generation, fingerprint length, fingerprint). Fixed when the
 * checkpoint is created and stored in it, so it survives renames and copies.
 */
export function makeId(parts: { podUid: string; container: string; dev: number; ino: number; gen: number; fpLen: number; fp: string }): string {
  const s = `${parts.podUid}/${parts.container}/${parts.dev}/${parts.ino}/${parts.gen}/${parts.fpLen}/${parts.fp}`;
  return createHash('sha256').update(s).digest('base64url').slice(0, 22);
}

/** The `_id` of the record at byte `offset` of the file with identity `id`. */
export function docId(id: string, offset: number): string {
  return `${id}:${offset}`;
}
