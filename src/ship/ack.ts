/**
 * Contiguous acknowledgement per file. Records are registered in file order; they may be acknowledged
 * in any order (several bulk requests in flight, per-item retries), but `acked` only advances over an
 * unbroken run of acknowledged records from the front, so a checkpoint never skips an unacknowledged
 * byte.
 */
export class AckTracker {
  private ends: number[] = [];
  private done: boolean[] = [];
  private head = 0;
  /** Token of `ends[0]`. */
  private base = 0;
  /** Byte offset up to which every record is acknowledged. */
  acked: number;
  /** Byte offset just past the last registered record. */
  registered: number;

  constructor(start: number) {
    this.acked = start;
    this.registered = start;
  }

  /**
   * Register the next record, ending at byte `end` (exclusive).
   * @returns a token for {@link complete}
   */
  add(end: number): number {
    this.ends.push(end);
    this.done.push(false);
    this.registered = end;
    return this.base + this.ends.length - 1;
  }

  /**
   * Mark a record acknowledged.
   * @returns true when `acked` advanced
   */
  complete(token: number): boolean {
    const i = token - this.base;
    if (i < 0 || i >= this.done.length) return false;
    this.done[i] = true;
    let moved = false;
    while (this.head < this.done.length && this.done[this.head] === true) {
      this.acked = this.ends[this.head]!;
      this.head++;
      moved = true;
    }
    if (this.head > 4096 && this.head * 2 > this.done.length) {
      this.ends = this.ends.slice(this.head);
      this.done = this.done.slice(this.head);
      this.base += this.head;
      this.head = 0;
    }
    return moved;
  }

  /** Records registered but not yet acknowledged. */
  get outstanding(): number {
    return this.done.length - this.head;
  }
}
