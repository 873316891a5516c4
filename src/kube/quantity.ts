/**
 * Kubernetes resource quantities (`8Gi`, `500m`, `1.5G`, `2e3`), as defined by
 * k8s.io/apimachinery/pkg/api/resource/quantity.go: a signed decimal number followed by a binary SI suffix
 * (Ki Mi Gi Ti Pi Ei), a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent (e3 / E3).
 * No maintained npm library parses these (client-node's `quantityToScalar` is not exported from its package
 * entry and rejects fractions like `1.5Gi`), so this is a small own parser; it is core to the diagnosis.
 */

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;

/**
 * Parses a quantity to a plain number in base units (cores for CPU, bytes for memory and storage).
 * @param q a quantity string or a number (as JSON may carry `"cpu": 2`)
 * @returns the value, or undefined when `q` is not a valid quantity
 */
export function parseQuantity(q: string | number | undefined | null): number | undefined {
  if (q === undefined || q === null) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix in BINARY) return n * (BINARY[suffix] ?? 1);
  if (/^[eE]/.test(suffix)) return n * 10 ** Number(suffix.slice(1));
  return n * (DECIMAL[suffix] ?? 1);
}

/** Rounds to at most 2 decimals and drops trailing zeros (`1.50` → `1.5`). */
function trim(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/**
 * Formats bytes with the largest binary suffix that keeps the value >= 1 (`8589934592` → `8Gi`,
 * `1610612736` → `1.5Gi`, `512` → `512B`).
 */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];
  for (const [u, f] of units) if (Math.abs(bytes) >= f) return `${trim(bytes / f)}${u}`;
  return `${trim(bytes)}B`;
}

/** Formats cores: `4` → `4 CPUs`, `1` → `1 CPU`, `0.5` → `500m CPU`. */
export function formatCpu(cores: number): string {
  if (cores < 1) return `${Math.round(cores * 1000)}m CPU`;
  return `${trim(cores)} ${cores === 1 ? 'CPU' : 'CPUs'}`;
}

/**
 * Describes an amount of a named resource in plain words, with units:
 * `('cpu','4')` → `4 CPUs`, `('memory','8Gi')` → `8Gi memory`, `('ephemeral-storage','10Gi')` →
 * `10Gi ephemeral storage`, `('pods', …)` → `a pod slot`, `('nvidia.com/gpu','2')` → `2 nvidia.com/gpu`.
 * An unparsable quantity is quoted as given.
 */
export function describeAmount(resource: string, q: string | number | undefined): string {
  const v = parseQuantity(q);
  if (v === undefined) return q === undefined ? resource : `${q} ${resource}`;
  switch (resource) {
    case 'cpu':
      return formatCpu(v);
    case 'memory':
      return `${formatBytes(v)} memory`;
    case 'ephemeral-storage':
      return `${formatBytes(v)} ephemeral storage`;
    default:
      return `${trim(v)} ${resource}`;
  }
}

/** Plain-language name of a resource: `cpu` → `CPU`, `ephemeral-storage` → `ephemeral storage`, `pods` → `pod slots`. */
export function resourceWords(resource: string): string {
  switch (resource) {
    case 'cpu':
      return 'CPU';
    case 'memory':
      return 'memory';
    case 'ephemeral-storage':
      return 'ephemeral storage';
    case 'pods':
      return 'free pod slots';
    default:
      return resource;
  }
}
