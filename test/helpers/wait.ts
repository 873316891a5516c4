/**
 * Test helpers for waiting without sleeps: poll a condition every 10 ms until it holds or a
 * deadline passes.
 */

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this many ms (default 15,000: generous for a loaded CI machine; a passing wait returns at once). */
  timeoutMs?: number;
  /** Poll interval in ms (default 10). */
  intervalMs?: number;
  /** Described in the timeout error. */
  what?: string;
}

/**
 * Resolve with the first truthy value of `cond()` (sync or async), polling every 10 ms.
 * @throws Error when `timeoutMs` passes first (message names `what` and the last error thrown by `cond`, if any)
 */
export async function waitFor<T>(cond: () => T | Promise<T>, opts: WaitOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const interval = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      const why = lastErr instanceof Error ? ` (last error: ${lastErr.message})` : '';
      throw new Error(`waitFor timed out after ${timeoutMs} ms${opts.what ? ` waiting for ${opts.what}` : ''}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
