/**
 * The one retry policy of the agent (watches, the Lease, the bulk sink, the index template, the kubelet-log
 * copier): capped exponential backoff with jitter, slept on an injectable clock so tests run retry loops
 * fast and deterministically, without real sleeps.
 */
export interface Clock {
  /** Wall-clock time in ms since the epoch. */
  now(): number;
  /** Like global setTimeout; the returned handle is passed to clearTimeout. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Uniform random number in [0, 1). */
  random(): number;
}

/** The real clock (timers are unref'd so they never keep the process alive). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: () => Math.random(),
};

/** Parameters of {@link backoffDelay}. */
export interface BackoffParams {
  /** Delay after the first failure, ms. */
  initialMs: number;
  /** Cap, ms. */
  maxMs: number;
}

/**
 * Capped exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the cap for failure n (1-based) is min(maxMs, initialMs * 2^(n-1)); the delay is drawn
 * uniformly from [cap/2, cap), so agents restarted together do not reconnect in lockstep.
 * @param failures consecutive failures so far (>= 1)
 * @param random a number in [0, 1)
 * @returns delay in ms
 */
export function backoffDelay(failures: number, p: BackoffParams, random: number): number {
  const exp = Math.min(Math.max(failures - 1, 0), 30);
  const cap = Math.min(p.maxMs, p.initialMs * 2 ** exp);
  return Math.floor(cap / 2 + (cap / 2) * random);
}

/**
 * Resolve after `ms` on `clock`, or early (without rejecting) when `signal` aborts.
 * @returns true when the time elapsed, false when aborted
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      resolve(false);
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
