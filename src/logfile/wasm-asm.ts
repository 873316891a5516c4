/**
 * A minimal WebAssembly binary assembler for the kernels in simd.ts: LEB128, the instructions
 * they use, and module sections. Encodings: WebAssembly core spec §5 (binary format) and the
 * fixed-width SIMD extension (opcode prefix 0xFD).
 */

/** Unsigned LEB128. */
export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};

/** Signed LEB128 (for i32.const). */
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
};

/** Value type i32. */
export const I32 = 0x7f;
/** Value type v128. */
export const V128 = 0x7b;

/** Instruction encoders (only those the kernels use). */
export const op = {
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  tee: (i: number) => [0x22, i],
  i32: (n: number) => [0x41, ...sleb(n)],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (d: number) => [0x0c, d],
  brIf: (d: number) => [0x0d, d],
  ret: [0x0f],
  select: [0x1b],
  eqz: [0x45],
  eq: [0x46],
  ne: [0x47],
  ltU: [0x49],
  gtU: [0x4b],
  geU: [0x4f],
  ctz: [0x68],
  popcnt: [0x69],
  add: [0x6a],
  sub: [0x6b],
  and: [0x71],
  load8: [0x2d, 0, 0],
  store32: (offset = 0) => [0x36, 0, ...uleb(offset)],
  load32: (offset = 0) => [0x28, 0, ...uleb(offset)],
  or: [0x72],
  shl: [0x74],
  store8: [0x3a, 0, 0],
  vload: (offset = 0) => [0xfd, 0x00, 0, ...uleb(offset)],
  vstore: [0xfd, 0x0b, 0, 0],
  vzero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  splat8: [0xfd, 0x0f],
  extractLane32: (lane: number) => [0xfd, 0x1b, lane],
  eq8: [0xfd, 0x23],
  ltU8: [0xfd, 0x26],
  vand: [0xfd, 0x4e],
  bitmask8: [0xfd, 0x64],
  add8: [0xfd, 0x6e],
  sub8: [0xfd, 0x71],
  extaddU8to16: [0xfd, 0x7d],
  extaddU16to32: [0xfd, 0x7f],
};

/** Concatenate instructions. */
export const code = (...parts: (number | number[])[]): number[] => parts.flatMap((p) => (Array.isArray(p) ? p : [p]));

/** One function: its local declarations (count, type) and body (without the final `end`). */
export interface Kernel {
  locals: readonly (readonly [number, number])[];
  body: number[];
}

/** A module section with its id and size. */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
/** A name (length-prefixed UTF-8). */
export const str = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s)];
/** A function body entry of the code section. */
export const funcBody = (k: Kernel): number[] => {
  const b = [...uleb(k.locals.length), ...k.locals.flatMap(([n, t]) => [...uleb(n), t]), ...k.body, 0x0b];
  return [...uleb(b.length), ...b];
};
