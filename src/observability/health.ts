import { Gauge, type Registry } from 'prom-client';

/** How a part of the agent is degraded: `retrying` (it keeps trying and recovers by itself) or `disabled` (off until the cause is fixed and the agent restarted). */
export type DegradedState = 'retrying' | 'disabled';

/** One degraded part as `/readyz` shows it. */
export interface PartHealth {
  state: DegradedState;
  /** One sentence: what is wrong and what fixes it (no absolute host paths beyond the agent's own state directory). */
  reason: string;
  /** ISO-8601 time the part became degraded. */
  since: string;
}

/**
 * Parts of the agent (bounded names, e.g. `cri-copy`, `ship`, `kube-records`) that run degraded while the
 * rest serves. `/readyz` lists them (`degraded`), and `podlog_degraded{part}` is 1 while a part is degraded.
 */
export interface Health {
  /** Mark `part` degraded (replaces an earlier reason; `since` is kept while the state stays the same). */
  degraded(part: string, state: DegradedState, reason: string): void;
  /** Mark `part` healthy again. */
  recovered(part: string): void;
  /** The degraded parts now, by name (empty when all is well). */
  snapshot(): Record<string, PartHealth>;
}

/**
 * Build the health board; registers `podlog_degraded{part}` on `registry` when given.
 * @param now clock, ms since the epoch
 */
export function createHealth(registry?: Registry, now: () => number = Date.now): Health {
  const parts = new Map<string, PartHealth>();
  const gauge = registry ? new Gauge({ name: 'podlog_degraded', help: '1 while a part of the agent runs degraded (retrying or disabled), else 0.', labelNames: ['part'], registers: [registry] }) : undefined;
  return {
    degraded(part, state, reason) {
      const was = parts.get(part);
      parts.set(part, { state, reason, since: was?.state === state ? was.since : new Date(now()).toISOString() });
      gauge?.set({ part }, 1);
    },
    recovered(part) {
      if (!parts.delete(part)) return;
      gauge?.set({ part }, 0);
    },
    snapshot: () => Object.fromEntries(parts),
  };
}
