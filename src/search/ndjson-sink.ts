import type { Writable } from 'node:stream';

/** Bytes gathered before one `write` to the socket. */
export const BATCH_BYTES = 64 * 1024;

/**
 * NDJSON lines to a response, in batches: lines gather until {@link BATCH_BYTES}, then go out in
 * one `write` (thousands of small writes in one tick break sockets on Node 24: `write EINVAL`).
 * When a write returns false, {@link push} returns a promise that settles on `drain` (true) or when
 * the response closes (false), and the producer waits on it.
 *
 * Memory held for one response, at most: the response's own buffer (its high-water mark, 16 KiB
 * for a socket) + one batch (< {@link BATCH_BYTES} + the last line) — the producer is paused
 * whenever the socket refuses more.
 */
export class NdjsonSink {
  private parts: string[] = [];
  private bytes = 0;
  private readonly out: Writable;
  private closed = false;
  constructor(out: Writable) {
    this.out = out;
    out.once('close', () => {
      this.closed = true;
    });
  }

  /** Bytes gathered and not yet written. */
  get pending(): number {
    return this.bytes;
  }

  /**
   * Queue one line (a newline is added). Returns true to go on, false when the response is gone,
   * or a promise of either when the producer must wait for the client to read.
   */
  push(line: string): boolean | Promise<boolean> {
    if (this.closed || this.out.destroyed) return false;
    this.parts.push(line, '\n');
    this.bytes += line.length + 1; // UTF-16 units: ≤ bytes × 1; a close enough trigger for batching
    if (this.bytes < BATCH_BYTES) return true;
    return this.flush();
  }

  /**
   * Queue ready UTF-8 NDJSON (whole lines, each ending in a newline); returns like {@link push}.
   * `released` is called once `data` is no longer used (written to the socket, copied, or dropped),
   * so its memory may be reused.
   */
  pushBytes(data: Buffer, released: () => void = () => {}): boolean | Promise<boolean> {
    if (this.closed || this.out.destroyed) {
      released();
      return false;
    }
    if (this.bytes === 0 && data.length >= BATCH_BYTES) return this.write(data, released);
    this.parts.push(data.toString('utf8'));
    released();
    this.bytes += data.length;
    if (this.bytes < BATCH_BYTES) return true;
    return this.flush();
  }

  /** Write what is gathered; returns like {@link push}. */
  flush(): boolean | Promise<boolean> {
    if (this.closed || this.out.destroyed) return false;
    if (this.bytes === 0) return true;
    const chunk = this.parts.join('');
    this.parts = [];
    this.bytes = 0;
    return this.write(chunk);
  }

  private write(chunk: string | Buffer, released?: () => void): boolean | Promise<boolean> {
    if (this.out.write(chunk, released && (() => released()))) return true;
    return this.drained();
  }

  /** Flush, then end the response with `last` as its final line (skipped when the response is gone). */
  async end(last: string): Promise<void> {
    const ok = await this.flush();
    if (ok && !this.out.writableEnded) this.out.end(last + '\n');
  }

  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        this.out.off('drain', onDrain);
        this.out.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => finish(true);
      const onClose = () => finish(false);
      this.out.on('drain', onDrain);
      this.out.on('close', onClose);
    });
  }
}
