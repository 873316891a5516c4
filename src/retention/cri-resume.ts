/**
 * Resuming a kubelet log copy from what the copy already holds, when the copier's saved offsets are gone
 * (state file missing or corrupt): the copy's last record (CRI time + stream + tags + content, a line
 * unique in practice: times have nanoseconds) is looked up in the source, and only what follows it is copied.
 * CRI times never go backwards within one container log (the runtime stamps lines as it writes them), so a
 * source record newer than the copy's last one means that record was never copied, even if the last one is
 * not found (its source file was deleted meanwhile).
 */
import { openSafe } from '../store/safe-open.ts';

/** How far back from its end a copy is read to find its last record (bytes); kubelet CRI lines are ≤ 16 KiB plus tags. */
export const TAIL_BYTES = 1 << 20;

/** The end of a copy: its last complete line (with `\n`), and the bytes after it when the copy ends inside a line. */
export interface CopyTail {
  last: Buffer;
  partial: Buffer;
}

/**
 * The CRI time of a line as nanoseconds since the epoch, or undefined when the line does not start with an
 * RFC 3339 time (`2026-11-20T10:00:00.123456789Z`, or with a `±hh:mm` offset; fraction of 0–9 digits).
 */
export function criTimeNs(line: Buffer): bigint | undefined {
  const space = line.indexOf(0x20);
  if (space < 20 || space > 40) return undefined;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(line.toString('latin1', 0, space));
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Split the last bytes of a copy into its last complete line and a trailing partial line; undefined when nothing usable. */
export function tailOf(bytes: Buffer, wholeFile: boolean): CopyTail | undefined {
  if (bytes.length === 0) return undefined;
  const end = bytes.lastIndexOf(0x0a);
  const partial = Buffer.from(bytes.subarray(end + 1));
  if (end < 0) return wholeFile ? { last: Buffer.alloc(0), partial } : undefined;
  const start = bytes.lastIndexOf(0x0a, end - 1) + 1;
  if (start === 0 && !wholeFile) return undefined; // the window starts inside a line: the line is longer than the window
  return { last: Buffer.from(bytes.subarray(start, end + 1)), partial };
}

/**
 * Read the end of the newest non-empty copy file among `paths` (newest first), opened through `openSafe`
 * under `root` (the copy lives in a pod folder). Undefined when every copy is missing or empty.
 * @throws the open/read error when a copy exists but cannot be read (the caller must not guess then)
 */
export async function readCopyTail(root: string, paths: readonly string[]): Promise<CopyTail | undefined> {
  for (const path of paths) {
    let f;
    try {
      f = await openSafe(root, path);
    } catch (err) {
      if ((err as { code?: string }).code === 'PODLOG_E_NOT_FOUND' || (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    try {
      const size = f.stat.size;
      if (size === 0) continue;
      const n = Math.min(size, TAIL_BYTES);
      const buf = Buffer.alloc(n);
      const { bytesRead } = await f.handle.read(buf, 0, n, size - n);
      return tailOf(buf.subarray(0, bytesRead), n === size);
    } finally {
      await f.handle.close().catch(() => undefined);
    }
  }
  return undefined;
}

/**
 * A filter over a stream's source bytes, in copy order, that drops what the copy already holds (see the module
 * comment) and passes everything after it. Memory: at most one source line held ({@link TAIL_BYTES}); a longer
 * line ends the search (passed through: nothing is ever dropped that might not be in the copy).
 */
export class ResumeFilter {
  readonly #last: Buffer;
  readonly #lastNs: bigint | undefined;
  readonly #partial: Buffer;
  #carry = Buffer.alloc(0);
  #state: 'seek' | 'partial' | 'done';

  constructor(tail: CopyTail) {
    this.#last = tail.last;
    this.#lastNs = criTimeNs(tail.last);
    this.#partial = tail.partial;
    // A last line without a CRI time cannot be placed: copy everything rather than risk dropping lines.
    const placeable = tail.last.length === 0 || this.#lastNs !== undefined;
    this.#state = !placeable ? 'done' : tail.last.length > 0 ? 'seek' : tail.partial.length > 0 ? 'partial' : 'done';
  }

  /** True once the resume point was passed: later bytes go straight to the copy. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** The part of `chunk` (next source bytes) not already in the copy; bytes of an unfinished line are held back. */
  push(chunk: Buffer): Buffer {
    if (this.#state === 'done') return chunk;
    const buf = this.#carry.length ? Buffer.concat([this.#carry, chunk]) : chunk;
    this.#carry = Buffer.alloc(0);
    let pos = 0;
    while (this.#state === 'seek') {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) return this.#hold(buf, pos);
      const line = buf.subarray(pos, nl + 1);
      if (line.equals(this.#last)) {
        pos = nl + 1;
        this.#state = this.#partial.length ? 'partial' : 'done';
        break;
      }
      const ns = criTimeNs(line);
      if (this.#lastNs !== undefined && ns !== undefined && ns > this.#lastNs) {
        this.#state = 'done'; // newer than anything copied: the copy's last record is gone from the source
        break;
      }
      pos = nl + 1;
    }
    if (this.#state === 'partial') {
      const avail = buf.length - pos;
      const want = this.#partial.length;
      if (avail < want && buf.subarray(pos).equals(this.#partial.subarray(0, avail))) return this.#hold(buf, pos);
      if (avail >= want && buf.subarray(pos, pos + want).equals(this.#partial)) pos += want;
      this.#state = 'done';
    }
    return buf.subarray(pos);
  }

  #hold(buf: Buffer, pos: number): Buffer {
    if (buf.length - pos > TAIL_BYTES) {
      this.#state = 'done';
      return buf.subarray(pos);
    }
    this.#carry = Buffer.from(buf.subarray(pos));
    return Buffer.alloc(0);
  }
}
