/**
 * Retention's human-friendly amounts: durations (`7d`, `12h`, `90m`) and byte limits given either
 * absolutely (Kubernetes quantities `50Gi`, `500M`, `1e9`) or as a share of the file system (`20%`).
 * Durations are parsed by the `ms` package (vercel/ms: `7d`, `12h`, `30m`, `45s`, `500ms`, `1.5h`);
 * quantities by `parseQuantity` of `src/kube/quantity.ts` (k8s.io/apimachinery `resource.Quantity`
 * syntax), reused rather than duplicated.
 */
import ms from 'ms';
import { formatBytes, parseQuantity } from '../kube/quantity.ts';

/** A byte limit: absolute bytes, or a percentage (0..100) of the file system's total size. */
export type ByteLimit = { bytes: number } | { percent: number };

/**
 * Parse a duration such as `7d`, `12h`, `90m`, `30s`, `250ms`, `1.5h` or a bare number (ms).
 * @returns milliseconds (>= 0), or undefined when `s` is not a duration
 */
export function parseDuration(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isFinite(s) && s >= 0 ? s : undefined;
  const t = s.trim();
  if (t === '') return undefined;
  let v: number | undefined;
  try {
    v = ms(t as ms.StringValue) as number | undefined;
  } catch {
    return undefined;
  }
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

const PERCENT = /^(\d+(?:\.\d+)?|\.\d+)\s*%$/;

/**
 * Parse a byte limit: `20%` (share of the file system, 0 < p <= 100) or a Kubernetes quantity of bytes
 * (`50Gi`, `512Mi`, `10G`, `1e9`, `1048576`). Fractions of a byte are rounded down.
 * @returns the limit, or undefined when `s` is neither (negative values, `0%`, `150%` included)
 */
export function parseByteLimit(s: string | number): ByteLimit | undefined {
  if (typeof s === 'number') return Number.isFinite(s) && s >= 0 ? { bytes: Math.floor(s) } : undefined;
  const t = s.trim();
  const m = PERCENT.exec(t);
  if (m) {
    const p = Number(m[1]);
    return p > 0 && p <= 100 ? { percent: p } : undefined;
  }
  const q = parseQuantity(t);
  return q !== undefined && q >= 0 && Number.isFinite(q) ? { bytes: Math.floor(q) } : undefined;
}

/**
 * Resolve a limit against a file system of `fsTotal` bytes.
 * @returns bytes (a percentage is rounded down)
 */
export function resolveLimit(limit: ByteLimit, fsTotal: number): number {
  return 'bytes' in limit ? limit.bytes : Math.floor((fsTotal * limit.percent) / 100);
}

/** Format a limit back to a human form: `50Gi`, `20%`. */
export function formatLimit(limit: ByteLimit): string {
  return 'bytes' in limit ? formatBytes(limit.bytes) : `${limit.percent}%`;
}

export { formatBytes };

/** A duration in its largest whole-ish unit (`7d`, `36h`, `5m`, `12s`), via `ms`. */
export function formatDuration(msValue: number): string {
  return ms(Math.round(msValue));
}
