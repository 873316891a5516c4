/**
 * Fast newline counting (and ASCII case folding) for search.
 *
 * Counting `\n` with a `Buffer#indexOf` loop costs one native call per line (~1.3 GB/s on
 * 170-byte log lines); this tiny WebAssembly SIMD kernel counts 16 bytes per step
 * (`i8x16.eq` + `i8x16.bitmask` + `i32.popcnt`, ~6 GB/s) in a buffer that lives in the module's
 * own memory, so file reads land there directly and nothing is copied. The module is built
 * here from the WAT below (no toolchain needed); when WebAssembly SIMD is missing the
 * indexOf loop is used instead.
 *
 * ```wat
 * (module
 *   (memory (export "mem") PAGES)
 *   (func (export "count") (param $p i32) (param $end i32) (result i32)
 *     (local $c i32) (local $nl v128)
 *     (local.set $nl (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))
 *     (block (loop                                ;; 16 bytes at a time
 *       (br_if 1 (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
 *       (local.set $c (i32.add (local.get $c)
 *         (i32.popcnt (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $nl))))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *       (br 0)))
 *     (block (loop                                ;; the last < 16 bytes
 *       (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $c (i32.add (local.get $c) (i32.eq (i32.load8_u (local.get $p)) (i32.const 10))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 1)))
 *       (br 0)))
 *     (local.get $c)))
 * ```
 * A second function, `lower(src, dst, len)`, copies bytes with A–Z mapped to a–z 16 at a time
 * (`(v - 'A') <u 26` as a lane mask, `& 32`, added), for case-insensitive literal search.
 * Opcodes: WebAssembly core spec §5.4 and the fixed-width SIMD proposal (0xFD prefix).
 */

const WASM_PAGE = 65536;

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [...leb(s.length), ...Buffer.from(s)];

const CODE = [
  0xfd, 0x0c, ...new Array<number>(16).fill(10), 0x21, 3,
  0x02, 0x40, 0x03, 0x40,
  0x20, 0, 0x41, 16, 0x6a, 0x20, 1, 0x4b, 0x0d, 1,
  0x20, 2, 0x20, 0, 0xfd, 0x00, 4, 0, 0x20, 3, 0xfd, 0x23, 0xfd, 0x64, 0x69, 0x6a, 0x21, 2,
  0x20, 0, 0x41, 16, 0x6a, 0x21, 0, 0x0c, 0, 0x0b, 0x0b,
  0x02, 0x40, 0x03, 0x40,
  0x20, 0, 0x20, 1, 0x4f, 0x0d, 1,
  0x20, 2, 0x20, 0, 0x2d, 0, 0, 0x41, 10, 0x46, 0x6a, 0x21, 2,
  0x20, 0, 0x41, 1, 0x6a, 0x21, 0, 0x0c, 0, 0x0b, 0x0b,
  0x20, 2, 0x0b,
];

const splat = (b: number): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(b)];

/** `lower(src, dst, len)`: ASCII lower-case copy; params 0..2, locals 3 (v128), 4 (i32), 5..7 (v128 constants). */
const LOWER = [
  ...splat(65), 0x21, 5, ...splat(26), 0x21, 6, ...splat(32), 0x21, 7,
  0x02, 0x40, 0x03, 0x40,
  0x20, 2, 0x41, 16, 0x49, 0x0d, 1, // if len < 16 break
  0x20, 1, // dst
  0x20, 0, 0xfd, 0x00, 0, 0, 0x22, 3, // v = load(src)
  0x20, 3, 0x20, 5, 0xfd, 0x71, 0x20, 6, 0xfd, 0x26, 0x20, 7, 0xfd, 0x4e, // (v - 'A' <u 26) & 32
  0xfd, 0x6e, 0xfd, 0x0b, 0, 0, // store(dst, v + that)
  0x20, 0, 0x41, 16, 0x6a, 0x21, 0,
  0x20, 1, 0x41, 16, 0x6a, 0x21, 1,
  0x20, 2, 0x41, 16, 0x6b, 0x21, 2,
  0x0c, 0, 0x0b, 0x0b,
  0x02, 0x40, 0x03, 0x40,
  0x20, 2, 0x45, 0x0d, 1, // if len == 0 break
  0x20, 1,
  0x20, 0, 0x2d, 0, 0, 0x21, 4, // b = load8(src)
  0x20, 4, 0x41, 32, 0x6a, 0x20, 4, 0x20, 4, 0x41, 0xc1, 0x00, 0x6b, 0x41, 26, 0x49, 0x1b, // b - 65 <u 26 ? b + 32 : b
  0x3a, 0, 0, // store8
  0x20, 0, 0x41, 1, 0x6a, 0x21, 0,
  0x20, 1, 0x41, 1, 0x6a, 0x21, 1,
  0x20, 2, 0x41, 1, 0x6b, 0x21, 2,
  0x0c, 0, 0x0b, 0x0b,
  0x0b,
];

function moduleBytes(pages: number): Uint8Array<ArrayBuffer> {
  const count = [2, 1, 0x7f, 1, 0x7b, ...CODE]; // locals: 1 × i32, 1 × v128
  const lower = [3, 1, 0x7b, 1, 0x7f, 3, 0x7b, ...LOWER]; // locals: 1 × v128, 1 × i32, 3 × v128
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [2, 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]),
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0, ...leb(pages)]),
    ...section(7, [3, ...name('mem'), 2, 0, ...name('count'), 0, 0, ...name('lower'), 0, 1]),
    ...section(10, [2, ...leb(count.length), ...count, ...leb(lower.length), ...lower]),
  ]);
}

/** A scan buffer plus a newline counter over it. */
export interface ScanBuffer {
  /** The buffer file reads go into (`capacity` bytes). */
  readonly buf: Buffer;
  /** A second buffer of the same size receiving ASCII-lower-cased copies ({@link lower}). */
  readonly folded: Buffer;
  /** Number of `\n` bytes in `buf[start..end)`. */
  count(start: number, end: number): number;
  /** Copy `buf[start..end)` to `folded[start..end)` with A–Z turned into a–z (other bytes unchanged). */
  lower(start: number, end: number): void;
  /** True when the WebAssembly SIMD kernel is in use (false: indexOf fallback). */
  readonly simd: boolean;
}

function lowerWithLoop(src: Buffer, dst: Buffer, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    const b = src[i]!;
    dst[i] = b - 65 < 26 && b >= 65 ? b + 32 : b;
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

let simdWorks: boolean | undefined;

/**
 * A buffer of at least `capacity` bytes with a fast newline counter, and when `withFold` a second
 * one for ASCII-folded copies. Each call makes its own
 * WebAssembly memory (so concurrent searches never share one); the memory is freed with the
 * returned object.
 */
export function createScanBuffer(capacity: number, withFold = true): ScanBuffer {
  const half = Math.ceil(capacity / WASM_PAGE) * WASM_PAGE;
  const pages = ((withFold ? 2 : 1) * half) / WASM_PAGE + 1;
  if (simdWorks !== false) {
    try {
      const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(pages)));
      const mem = inst.exports['mem'] as WebAssembly.Memory;
      const count = inst.exports['count'] as (p: number, e: number) => number;
      const lower = inst.exports['lower'] as (src: number, dst: number, len: number) => void;
      const buf = Buffer.from(mem.buffer, 0, capacity);
      const folded = withFold ? Buffer.from(mem.buffer, half, capacity) : Buffer.alloc(0);
      simdWorks = true;
      return {
        buf,
        folded,
        count: (s, e) => (e > s ? count(s, e) : 0),
        lower: (s, e) => {
          if (!withFold) throw new Error('scan buffer made without a folded copy');
          if (e > s) lower(s, half + s, e - s);
        },
        simd: true,
      };
    } catch {
      simdWorks = false;
    }
  }
  const buf = Buffer.allocUnsafe(capacity);
  const folded = Buffer.allocUnsafe(withFold ? capacity : 0);
  return { buf, folded, count: (s, e) => countWithIndexOf(buf, s, e), lower: (s, e) => lowerWithLoop(buf, folded, s, e), simd: false };
}
