import { PodlogError } from '../errors.ts';

/** Limits of a {@link SearchGate}. */
export interface GateLimits {
  /** Searches running at once. */
  maxConcurrent: number;
  /** Searches waiting for a slot at once; one more is refused at once. */
  maxQueued: number;
  /** Longest a search waits for a slot before it is refused, ms. */
  queueWaitMs: number;
}

interface Waiter {
  grant: (release: () => void) => void;
  fail: (e: unknown) => void;
}

/**
 * Admission for searches on one agent: at most `maxConcurrent` run; up to `maxQueued` more wait in
 * arrival order, each at most `queueWaitMs`; anything beyond is refused with `PODLOG_E_RATE_LIMITED`
 * (HTTP 429) carrying {@link SearchGate.retryAfterSeconds} for a `Retry-After` header.
 */
export class SearchGate {
  private running = 0;
  private readonly queue: Waiter[] = [];
  private readonly limits: GateLimits;
  constructor(limits: GateLimits) {
    this.limits = limits;
  }

  /** Seconds a refused client should wait before retrying (the queue wait, at least 1). */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.limits.queueWaitMs / 1000));
  }

  /** Searches running now. */
  get active(): number {
    return this.running;
  }

  /** Searches waiting now. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * A slot: resolves with its release function (call it once, when the search is over).
   * @param signal gives up waiting (the client went away); rejects with the signal's reason
   * @throws PodlogError `PODLOG_E_RATE_LIMITED` when the queue is full or the wait passes `queueWaitMs`
   */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (this.running < this.limits.maxConcurrent && this.queue.length === 0) return Promise.resolve(this.take());
    if (this.queue.length >= this.limits.maxQueued) return Promise.reject(this.busy());
    signal.throwIfAborted();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
      };
      const w: Waiter = {
        grant: (release) => {
          done();
          resolve(release);
        },
        fail: (e) => {
          done();
          reject(e);
        },
      };
      const onAbort = () => w.fail(signal.reason);
      const timer = setTimeout(() => w.fail(this.busy()), this.limits.queueWaitMs);
      timer.unref();
      signal.addEventListener('abort', onAbort, { once: true });
      this.queue.push(w);
    });
  }

  private take(): () => void {
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      const next = this.queue[0];
      if (next) next.grant(this.take());
    };
  }

  private busy(): PodlogError {
    return new PodlogError('PODLOG_E_RATE_LIMITED', `this agent is running ${this.limits.maxConcurrent} searches and ${this.queue.length} more are waiting; retry in ${this.retryAfterSeconds} s`);
  }
}
