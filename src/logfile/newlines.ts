/**
 * Scan buffers for search: file data is read straight into WebAssembly memory, where SIMD
 * kernels (simd.ts) count newlines (~5 GB/s; a `Buffer#indexOf` loop manages ~1.3 GB/s on
 * 170-byte log lines), fold ASCII case, and find needles by a two-rare-bytes filter (~4 GB/s,
 * about twice `Buffer#indexOf` on log text). Without WebAssembly SIMD, plain JS fallbacks
 * (`indexOf` loops) give the same results, slower.
 */
import { instantiateKernels, type Kernels } from './simd.ts';

const WASM_PAGE = 65536;
/** Room for needles in module memory; needles beyond it are searched with `Buffer#indexOf`. */
const NEEDLE_AREA = 64 * 1024;

/** Most needles one {@link ScanBuffer.anyCountingFinder} looks for at once. */
export const MAX_ANY = 8;

/** Finds one needle: first match at or after `from` whose end is ≤ `to`, or -1. */
export type Finder = (from: number, to: number) => number;

/**
 * A finder that also counts newlines on its way (one pass instead of two): after each `find`,
 * `newlines` is the number of `\n` bytes in `[from, scanned)`, with `scanned` ≤ the match (or
 * ≤ `to` when there is none); the bytes from `scanned` on are not counted.
 */
export interface CountingFinder {
  find(from: number, to: number): number;
  scanned: number;
  newlines: number;
}

/** A scan buffer plus kernels over it. */
export interface ScanBuffer {
  /** The buffer file reads go into (`capacity` bytes). */
  readonly buf: Buffer;
  /** A second buffer of the same size receiving ASCII-lower-cased copies ({@link lower}); empty unless made `withFold`. */
  readonly folded: Buffer;
  /** Number of `\n` bytes in `buf[start..end)`. */
  count(start: number, end: number): number;
  /** Copy `buf[start..end)` to `folded[start..end)` with A–Z turned into a–z (other bytes unchanged). */
  lower(start: number, end: number): void;
  /**
   * A finder for `needle` in `buf` (or in `folded` when `inFolded`). `freq` (byte → count in a
   * sample of the data) picks the two rarest needle bytes for the SIMD filter.
   */
  finder(needle: Buffer, inFolded: boolean, freq: ArrayLike<number>): Finder;
  /** A {@link CountingFinder} for `needle` (arguments as {@link finder}). */
  countingFinder(needle: Buffer, inFolded: boolean, freq: ArrayLike<number>): CountingFinder;
  /**
   * A {@link CountingFinder} for the first place where any of `needles` (2 to {@link MAX_ANY}) starts,
   * or undefined when they do not fit the kernel (then use one {@link finder} per needle).
   */
  anyCountingFinder(needles: readonly Buffer[], inFolded: boolean, freq: ArrayLike<number>): CountingFinder | undefined;
  /** True when the WebAssembly SIMD kernels are in use. */
  readonly simd: boolean;
  /** Forget the needles placed so far (before reuse from the pool). */
  reset(): void;
}

/**
 * Idle scan buffers by size, reused across searches and files (a fresh WebAssembly memory per file
 * costs ~0.1–5 ms). At most {@link POOL_BYTES} of idle buffers are kept (per thread), and all are
 * dropped after {@link POOL_IDLE_MS} without a search, so an idle agent does not hold their memory.
 */
const pool = new Map<string, ScanBuffer[]>();
/** Idle buffer bytes kept (capacity, counted twice for buffers with a folded copy). */
const POOL_BYTES = 32 * 1024 * 1024;
let pooledBytes = 0;
/** Drop the pool after this long without a release, in ms. */
const POOL_IDLE_MS = 30_000;
let poolTimer: NodeJS.Timeout | undefined;

/**
 * A scan buffer from the pool (or a new one); give it back with {@link releaseScanBuffer} once the
 * search is over. Arguments as {@link createScanBuffer}.
 */
export function acquireScanBuffer(capacity: number, withFold: boolean): ScanBuffer {
  const sb = pool.get(`${capacity}/${withFold}`)?.pop();
  if (sb) {
    pooledBytes -= footprint(capacity, withFold);
    sb.reset();
    return sb;
  }
  return createScanBuffer(capacity, withFold);
}

/** Return a buffer from {@link acquireScanBuffer}; it must no longer be used by the caller. */
export function releaseScanBuffer(sb: ScanBuffer, capacity: number, withFold: boolean): void {
  const key = `${capacity}/${withFold}`;
  const idle = pool.get(key) ?? [];
  const bytes = footprint(capacity, withFold);
  if (pooledBytes + bytes <= POOL_BYTES) {
    idle.push(sb);
    pooledBytes += bytes;
  }
  pool.set(key, idle);
  if (poolTimer) poolTimer.refresh();
  else {
    poolTimer = setTimeout(() => {
      pool.clear();
      pooledBytes = 0;
      poolTimer = undefined;
    }, POOL_IDLE_MS);
    poolTimer.unref();
  }
}

const footprint = (capacity: number, withFold: boolean) => capacity * (withFold ? 2 : 1);

function lowerWithLoop(src: Buffer, dst: Buffer, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    dst[i] = b >= 65 && b <= 90 ? b + 32 : b;
  }
}

function countWithIndexOf(buf: Buffer, start: number, end: number): number {
  let c = 0;
  let i = buf.indexOf(10, start);
  while (i >= 0 && i < end) {
    c++;
    i = buf.indexOf(10, i + 1);
  }
  return c;
}

/** `Buffer#indexOf` finder bounded by `to`. */
function indexOfFinder(hay: Buffer, needle: Buffer): Finder {
  return (from, to) => {
    const i = hay.indexOf(needle, from);
    return i >= 0 && i + needle.length <= to ? i : -1;
  };
}

/** Counting finder made of a finder and a separate count (fallback). */
function twoPassCounting(find: Finder, count: (s: number, e: number) => number): CountingFinder {
  const cf: CountingFinder = {
    scanned: 0,
    newlines: 0,
    find(from, to) {
      const p = find(from, to);
      cf.scanned = p < 0 ? to : p;
      cf.newlines = count(from, cf.scanned);
      return p;
    },
  };
  return cf;
}

/** Offsets of the two rarest bytes of `needle` by `freq` (the same offset twice for a 1-byte needle). */
export function rareOffsets(needle: Buffer, freq: ArrayLike<number>): [number, number] {
  const idx = [...needle.keys()].sort((a, b) => (freq[needle[a]!] ?? 0) - (freq[needle[b]!] ?? 0) || a - b);
  const o1 = idx[0] ?? 0;
  const o2 = idx.find((i) => needle[i] !== needle[o1]) ?? idx[1] ?? o1;
  return [o1, o2];
}

let simdWorks: boolean | undefined;

/**
 * A buffer of at least `capacity` bytes with the kernels, and when `withFold` a second one for
 * ASCII-folded copies. Each call makes its own WebAssembly memory (so concurrent searches never
 * share one), freed with the returned object. `simd: false` gives the plain-JS fallback that runs
 * where WebAssembly SIMD is unavailable (tests and the bench compare the two).
 */
export function createScanBuffer(capacity: number, withFold = true, opts: { simd?: boolean } = {}): ScanBuffer {
  const half = Math.ceil(capacity / WASM_PAGE) * WASM_PAGE;
  const slot = (withFold ? 2 : 1) * half; // 8 bytes where findCount leaves (scanned, newlines)
  const anyTable = slot + 16; // MAX_ANY × 32 bytes of splatted filter bytes, then MAX_ANY × 16 bytes of (address, length, o1, o2)
  const anyMeta = anyTable + 32 * MAX_ANY;
  const needleAt = anyMeta + 16 * MAX_ANY;
  const pages = Math.ceil((needleAt + NEEDLE_AREA) / WASM_PAGE) + 1;
  let k: Kernels | undefined;
  if (simdWorks !== false && opts.simd !== false) {
    try {
      k = instantiateKernels(pages);
      simdWorks = true;
    } catch {
      simdWorks = false;
    }
  }
  if (!k) {
    const buf = Buffer.allocUnsafe(capacity);
    const folded = Buffer.allocUnsafe(withFold ? capacity : 0);
    return {
      buf,
      folded,
      count: (s, e) => countWithIndexOf(buf, s, e),
      lower: (s, e) => lowerWithLoop(buf, folded, s, e),
      finder: (needle, inFolded) => indexOfFinder(inFolded ? folded : buf, needle),
      countingFinder: (needle, inFolded) => twoPassCounting(indexOfFinder(inFolded ? folded : buf, needle), (s, e) => countWithIndexOf(buf, s, e)),
      anyCountingFinder: () => undefined,
      simd: false,
      reset: () => {},
    };
  }
  const kernels = k;
  const mem = Buffer.from(kernels.mem.buffer);
  const buf = mem.subarray(0, capacity);
  const folded = withFold ? mem.subarray(half, half + capacity) : Buffer.alloc(0);
  const slotView = new Int32Array(kernels.mem.buffer, slot, 2);
  let needleUsed = 0;
  const place = (needle: Buffer): number => {
    const np = needleAt + needleUsed;
    needle.copy(mem, np);
    needleUsed += needle.length;
    return np;
  };
  const count = (s: number, e: number) => (e > s ? kernels.count(s, e) : 0);
  const sb: ScanBuffer = {
    buf,
    folded,
    simd: true,
    reset: () => {
      needleUsed = 0;
    },
    count,
    lower: (s, e) => {
      if (!withFold) throw new Error('scan buffer made without a folded copy');
      if (e > s) kernels.lower(s, half + s, e - s);
    },
    finder(needle, inFolded, freq) {
      const hay = inFolded ? folded : buf;
      if (needle.length < 2 || needleUsed + needle.length > NEEDLE_AREA) return indexOfFinder(hay, needle);
      const np = place(needle);
      const [o1, o2] = rareOffsets(needle, freq);
      const base = inFolded ? half : 0;
      return (from, to) => {
        if (to - from < needle.length) return -1;
        const i = kernels.find(base + from, base + to, np, needle.length, o1, o2);
        return i < 0 ? -1 : i - base;
      };
    },
    countingFinder(needle, inFolded, freq) {
      // folding leaves newlines where they are, so counting in the folded copy is as good
      if (needle.length < 2 || needleUsed + needle.length > NEEDLE_AREA) return twoPassCounting(sb.finder(needle, inFolded, freq), count);
      const np = place(needle);
      const [o1, o2] = rareOffsets(needle, freq);
      const base = inFolded ? half : 0;
      const cf: CountingFinder = {
        scanned: 0,
        newlines: 0,
        find(from, to) {
          if (to - from < needle.length) {
            cf.scanned = from;
            cf.newlines = 0;
            return -1;
          }
          const i = kernels.findCount(base + from, base + to, np, needle.length, o1, o2, slot);
          cf.scanned = slotView[0]! - base;
          cf.newlines = slotView[1]!;
          return i < 0 ? -1 : i - base;
        },
      };
      return cf;
    },
    anyCountingFinder(needles, inFolded, freq) {
      const total = needles.reduce((n, x) => n + x.length, 0);
      if (needles.length < 2 || needles.length > MAX_ANY || needleUsed + total > NEEDLE_AREA) return undefined;
      const meta = new Int32Array(kernels.mem.buffer, anyMeta, 4 * MAX_ANY);
      let maxLen = 0;
      needles.forEach((n, i) => {
        const np = place(n);
        const [o1, o2] = rareOffsets(n, freq);
        meta.set([np, n.length, o1, o2], 4 * i);
        mem.fill(n[o1]!, anyTable + 32 * i, anyTable + 32 * i + 16);
        mem.fill(n[o2]!, anyTable + 32 * i + 16, anyTable + 32 * i + 32);
        maxLen = Math.max(maxLen, n.length);
      });
      const base = inFolded ? half : 0;
      const k = needles.length;
      const cf: CountingFinder = {
        scanned: 0,
        newlines: 0,
        find(from, to) {
          const i = kernels.findAnyCount(base + from, base + to, anyTable, anyMeta, k, maxLen, slot);
          cf.scanned = slotView[0]! - base;
          cf.newlines = slotView[1]!;
          return i < 0 ? -1 : i - base;
        },
      };
      return cf;
    },
  };
  return sb;
}
