/**
 * The WebAssembly SIMD kernels behind search (see newlines.ts for how they are used), written
 * with a tiny in-line assembler so no toolchain is needed. Each kernel is shown in WAT-like
 * pseudo code above its body; `kernels.wat` beside this file is the same module in WebAssembly text,
 * and a test checks that wabt's wat2wasm assembles it into exactly these bytes. Opcodes: WebAssembly core spec §5.4 (binary format) and the
 * fixed-width SIMD extension (prefix 0xFD). Memory: one exported memory, sized by the caller.
 */
import { code, funcBody, I32, op, section, str, uleb, V128 } from './wasm-asm.ts';

/**
 * count(p, end) → number of 0x0A bytes in [p, end).
 *   nl = splat(10)
 *   while p + 64 <= end:                       ;; outer: at most 63 inner rounds per flush
 *     acc = 0; k = 63
 *     while k != 0 && p + 64 <= end:
 *       acc -= eq(load p, nl) + eq(load p+16, nl) + eq(load p+32, nl) + eq(load p+48, nl)   (lane-wise, eq = -1)
 *       p += 64; k--
 *     c += sum of the 16 lanes of acc (pairwise widening adds, then 4 lane extracts)
 *   while p + 16 <= end: c += popcnt(bitmask(eq(load p, nl))); p += 16
 *   while p < end: c += load8(p) == 10; p++
 * params 0 p, 1 end; locals 2 c, 3 k (i32), 4 nl, 5 acc (v128)
 */
const COUNT = {
  locals: [[2, I32], [2, V128]] as const,
  body: code(
    op.i32(10), op.splat8, op.set(4),
    op.block, op.loop,
      op.get(0), op.i32(64), op.add, op.get(1), op.gtU, op.brIf(1),
      op.vzero, op.set(5), op.i32(63), op.set(3),
      op.block, op.loop,
        op.get(3), op.eqz, op.brIf(1),
        op.get(0), op.i32(64), op.add, op.get(1), op.gtU, op.brIf(1),
        op.get(5), op.get(0), op.vload(0), op.get(4), op.eq8, op.sub8,
        op.get(0), op.vload(16), op.get(4), op.eq8, op.sub8,
        op.get(0), op.vload(32), op.get(4), op.eq8, op.sub8,
        op.get(0), op.vload(48), op.get(4), op.eq8, op.sub8, op.set(5),
        op.get(0), op.i32(64), op.add, op.set(0),
        op.get(3), op.i32(1), op.sub, op.set(3),
        op.br(0),
      op.end, op.end,
      op.get(5), op.extaddU8to16, op.extaddU16to32, op.set(5),
      op.get(2),
      op.get(5), op.extractLane32(0), op.add,
      op.get(5), op.extractLane32(1), op.add,
      op.get(5), op.extractLane32(2), op.add,
      op.get(5), op.extractLane32(3), op.add,
      op.set(2),
      op.br(0),
    op.end, op.end,
    op.block, op.loop,
      op.get(0), op.i32(16), op.add, op.get(1), op.gtU, op.brIf(1),
      op.get(2), op.get(0), op.vload(0), op.get(4), op.eq8, op.bitmask8, op.popcnt, op.add, op.set(2),
      op.get(0), op.i32(16), op.add, op.set(0),
      op.br(0),
    op.end, op.end,
    op.block, op.loop,
      op.get(0), op.get(1), op.geU, op.brIf(1),
      op.get(2), op.get(0), op.load8, op.i32(10), op.eq, op.add, op.set(2),
      op.get(0), op.i32(1), op.add, op.set(0),
      op.br(0),
    op.end, op.end,
    op.get(2),
  ),
};

/**
 * lower(src, dst, len): dst[i] = src[i] + 32 if 'A' <= src[i] <= 'Z' else src[i].
 *   while len >= 16: v = load src; store dst, v + ((v - 65 <u 26) & 32); src, dst += 16; len -= 16
 *   while len > 0: byte version of the same
 * params 0 src, 1 dst, 2 len; locals 3 v, 4 b (i32), 5 'A', 6 26, 7 32 (v128)
 */
const LOWER = {
  locals: [[1, V128], [1, I32], [3, V128]] as const,
  body: code(
    op.i32(65), op.splat8, op.set(5), op.i32(26), op.splat8, op.set(6), op.i32(32), op.splat8, op.set(7),
    op.block, op.loop,
      op.get(2), op.i32(16), op.ltU, op.brIf(1),
      op.get(1),
      op.get(0), op.vload(0), op.tee(3),
      op.get(3), op.get(5), op.sub8, op.get(6), op.ltU8, op.get(7), op.vand,
      op.add8, op.vstore,
      op.get(0), op.i32(16), op.add, op.set(0),
      op.get(1), op.i32(16), op.add, op.set(1),
      op.get(2), op.i32(16), op.sub, op.set(2),
      op.br(0),
    op.end, op.end,
    op.block, op.loop,
      op.get(2), op.eqz, op.brIf(1),
      op.get(1),
      op.get(0), op.load8, op.set(4),
      op.get(4), op.i32(32), op.add, op.get(4), op.get(4), op.i32(65), op.sub, op.i32(26), op.ltU, op.select,
      op.store8,
      op.get(0), op.i32(1), op.add, op.set(0),
      op.get(1), op.i32(1), op.add, op.set(1),
      op.get(2), op.i32(1), op.sub, op.set(2),
      op.br(0),
    op.end, op.end,
  ),
};

/**
 * find(start, end, np, nlen, o1, o2) → first i in [start, end - nlen] with
 * mem[i..i+nlen) == mem[np..np+nlen), else -1. Needs nlen ≥ 1 and 0 ≤ o1, o2 < nlen. Filters 16
 * positions at once on two needle bytes (at offsets o1, o2 — the caller picks rare ones), then
 * compares each candidate in full (W. Muła, "SIMD-friendly algorithms for substring searching"):
 *   b1 = splat(needle[o1]); b2 = splat(needle[o2]); i = start
 *   while i + nlen + 15 <= end:
 *     m = bitmask(eq(load(i + o1), b1) & eq(load(i + o2), b2))
 *     while m != 0: pos = i + ctz(m); if mem[pos..pos+nlen) == needle: return pos; m &= m - 1
 *     i += 16
 *   while i + nlen <= end: if mem[i..i+nlen) == needle: return i; i++
 *   return -1
 * params 0 start, 1 end, 2 np, 3 nlen, 4 o1, 5 o2; locals 6 i, 7 m, 8 pos, 9 j (i32), 10 b1, 11 b2 (v128)
 */
const FIND = {
  locals: [[4, I32], [2, V128]] as const,
  body: code(
    op.get(2), op.get(4), op.add, op.load8, op.splat8, op.set(10),
    op.get(2), op.get(5), op.add, op.load8, op.splat8, op.set(11),
    op.get(0), op.set(6),
    op.block, op.loop, // B1 L1
      op.get(6), op.get(3), op.add, op.i32(15), op.add, op.get(1), op.gtU, op.brIf(1),
      op.get(6), op.get(4), op.add, op.vload(0), op.get(10), op.eq8,
      op.get(6), op.get(5), op.add, op.vload(0), op.get(11), op.eq8,
      op.vand, op.bitmask8, op.set(7),
      op.block, op.loop, // B2 L2
        op.get(7), op.eqz, op.brIf(1),
        op.get(6), op.get(7), op.ctz, op.add, op.set(8),
        op.i32(0), op.set(9),
        op.block, op.block, op.loop, // Mismatch, Match, L3
          op.get(9), op.get(3), op.geU, op.brIf(1),
          op.get(8), op.get(9), op.add, op.load8, op.get(2), op.get(9), op.add, op.load8, op.ne, op.brIf(2),
          op.get(9), op.i32(1), op.add, op.set(9),
          op.br(0),
        op.end, op.end,
        op.get(8), op.ret,
        op.end,
        op.get(7), op.get(7), op.i32(1), op.sub, op.and, op.set(7),
        op.br(0),
      op.end, op.end,
      op.get(6), op.i32(16), op.add, op.set(6),
      op.br(0),
    op.end, op.end,
    op.block, op.loop, // B4 L4: the last positions, one by one
      op.get(6), op.get(3), op.add, op.get(1), op.gtU, op.brIf(1),
      op.i32(0), op.set(9),
      op.block, op.block, op.loop,
        op.get(9), op.get(3), op.geU, op.brIf(1),
        op.get(6), op.get(9), op.add, op.load8, op.get(2), op.get(9), op.add, op.load8, op.ne, op.brIf(2),
        op.get(9), op.i32(1), op.add, op.set(9),
        op.br(0),
      op.end, op.end,
      op.get(6), op.ret,
      op.end,
      op.get(6), op.i32(1), op.add, op.set(6),
      op.br(0),
    op.end, op.end,
    op.i32(-1),
  ),
};

/**
 * findCount(start, end, np, nlen, o1, o2, slot): like find, and also counts newlines on the way, so
 * one pass gives both the match and the line number. Before returning it stores at `slot` the
 * position `i` up to which it counted and at `slot + 4` the number of 0x0A bytes in [start, i).
 * `i` ≤ the returned match position; newlines between `i` and the match are the caller's to count.
 *   (find's SIMD loop, with, for each 16-byte block passed without a match:
 *    c += popcnt(bitmask(eq(load i, splat 10))))
 * params 0 start, 1 end, 2 np, 3 nlen, 4 o1, 5 o2, 6 slot;
 * locals 7 i, 8 m, 9 pos, 10 j, 11 c (i32), 12 b1, 13 b2, 14 nl (v128)
 */
const FIND_COUNT = {
  locals: [[5, I32], [3, V128]] as const,
  body: code(
    op.get(2), op.get(4), op.add, op.load8, op.splat8, op.set(12),
    op.get(2), op.get(5), op.add, op.load8, op.splat8, op.set(13),
    op.i32(10), op.splat8, op.set(14),
    op.get(0), op.set(7),
    op.block, op.loop, // B1 L1
      op.get(7), op.get(3), op.add, op.i32(15), op.add, op.get(1), op.gtU, op.brIf(1),
      op.get(7), op.get(4), op.add, op.vload(0), op.get(12), op.eq8,
      op.get(7), op.get(5), op.add, op.vload(0), op.get(13), op.eq8,
      op.vand, op.bitmask8, op.set(8),
      op.block, op.loop, // B2 L2
        op.get(8), op.eqz, op.brIf(1),
        op.get(7), op.get(8), op.ctz, op.add, op.set(9),
        op.i32(0), op.set(10),
        op.block, op.block, op.loop, // Mismatch, Match, L3
          op.get(10), op.get(3), op.geU, op.brIf(1),
          op.get(9), op.get(10), op.add, op.load8, op.get(2), op.get(10), op.add, op.load8, op.ne, op.brIf(2),
          op.get(10), op.i32(1), op.add, op.set(10),
          op.br(0),
        op.end, op.end,
        op.get(6), op.get(7), op.store32(0), op.get(6), op.get(11), op.store32(4),
        op.get(9), op.ret,
        op.end,
        op.get(8), op.get(8), op.i32(1), op.sub, op.and, op.set(8),
        op.br(0),
      op.end, op.end,
      op.get(11), op.get(7), op.vload(0), op.get(14), op.eq8, op.bitmask8, op.popcnt, op.add, op.set(11),
      op.get(7), op.i32(16), op.add, op.set(7),
      op.br(0),
    op.end, op.end,
    op.get(6), op.get(7), op.store32(0), op.get(6), op.get(11), op.store32(4),
    op.block, op.loop, // the last positions, one by one (not counted)
      op.get(7), op.get(3), op.add, op.get(1), op.gtU, op.brIf(1),
      op.i32(0), op.set(10),
      op.block, op.block, op.loop,
        op.get(10), op.get(3), op.geU, op.brIf(1),
        op.get(7), op.get(10), op.add, op.load8, op.get(2), op.get(10), op.add, op.load8, op.ne, op.brIf(2),
        op.get(10), op.i32(1), op.add, op.set(10),
        op.br(0),
      op.end, op.end,
      op.get(7), op.ret,
      op.end,
      op.get(7), op.i32(1), op.add, op.set(7),
      op.br(0),
    op.end, op.end,
    op.i32(-1),
  ),
};

/**
 * findAnyCount(start, end, table, meta, K, maxLen, slot): findCount for K needles at once (the
 * first position where any of them starts). `meta` holds per needle four i32 (address, length, o1,
 * o2), `table` per needle two v128 (its bytes at o1 and o2, splatted). `maxLen` is the longest
 * needle. The filter mask is the OR over needles of (eq(load(i + o1), b1) & eq(load(i + o2), b2)).
 * params 0 start, 1 end, 2 table, 3 meta, 4 K, 5 maxLen, 6 slot;
 * locals 7 i, 8 m, 9 pos, 10 j, 11 c, 12 k, 13 np, 14 nlen, 15 t (i32), 16 nl (v128)
 */
const verifyAll = (onMatch: number[]): number[] =>
  code(
    op.i32(0), op.set(12),
    op.block, op.loop, // Bk Lk
      op.get(12), op.get(4), op.geU, op.brIf(1),
      op.get(3), op.get(12), op.i32(4), op.shl, op.add, op.set(15),
      op.get(15), op.load32(0), op.set(13), op.get(15), op.load32(4), op.set(14),
      op.block, // Next
        op.get(9), op.get(14), op.add, op.get(1), op.gtU, op.brIf(0),
        op.i32(0), op.set(10),
        op.block, op.block, op.loop, // Mis Mat L
          op.get(10), op.get(14), op.geU, op.brIf(1),
          op.get(9), op.get(10), op.add, op.load8, op.get(13), op.get(10), op.add, op.load8, op.ne, op.brIf(2),
          op.get(10), op.i32(1), op.add, op.set(10),
          op.br(0),
        op.end, op.end,
        ...onMatch,
        op.end, // Mis
      op.end, // Next
      op.get(12), op.i32(1), op.add, op.set(12),
      op.br(0),
    op.end, op.end,
  );

const FIND_ANY_COUNT = {
  locals: [[9, I32], [1, V128]] as const,
  body: code(
    op.i32(10), op.splat8, op.set(16),
    op.get(0), op.set(7),
    op.block, op.loop, // B1 L1
      op.get(7), op.get(5), op.add, op.i32(15), op.add, op.get(1), op.gtU, op.brIf(1),
      op.i32(0), op.set(8), op.i32(0), op.set(12),
      op.block, op.loop, // filter over the needles
        op.get(12), op.get(4), op.geU, op.brIf(1),
        op.get(3), op.get(12), op.i32(4), op.shl, op.add, op.set(15),
        op.get(8),
        op.get(7), op.get(15), op.load32(8), op.add, op.vload(0), op.get(2), op.get(12), op.i32(5), op.shl, op.add, op.vload(0), op.eq8,
        op.get(7), op.get(15), op.load32(12), op.add, op.vload(0), op.get(2), op.get(12), op.i32(5), op.shl, op.add, op.vload(16), op.eq8,
        op.vand, op.bitmask8, op.or, op.set(8),
        op.get(12), op.i32(1), op.add, op.set(12),
        op.br(0),
      op.end, op.end,
      op.block, op.loop, // B2 L2: candidates
        op.get(8), op.eqz, op.brIf(1),
        op.get(7), op.get(8), op.ctz, op.add, op.set(9),
        ...verifyAll(code(op.get(6), op.get(7), op.store32(0), op.get(6), op.get(11), op.store32(4), op.get(9), op.ret)),
        op.get(8), op.get(8), op.i32(1), op.sub, op.and, op.set(8),
        op.br(0),
      op.end, op.end,
      op.get(11), op.get(7), op.vload(0), op.get(16), op.eq8, op.bitmask8, op.popcnt, op.add, op.set(11),
      op.get(7), op.i32(16), op.add, op.set(7),
      op.br(0),
    op.end, op.end,
    op.get(6), op.get(7), op.store32(0), op.get(6), op.get(11), op.store32(4),
    op.block, op.loop, // the last positions, one by one (not counted)
      op.get(7), op.get(1), op.geU, op.brIf(1),
      op.get(7), op.set(9),
      ...verifyAll(code(op.get(9), op.ret)),
      op.get(7), op.i32(1), op.add, op.set(7),
      op.br(0),
    op.end, op.end,
    op.i32(-1),
  ),
};

/**
 * The module's bytes: memory "mem" of `pages` 64 KiB pages; functions
 * "count" (i32 i32 → i32), "lower" (i32 i32 i32 → ()), "find" (6 × i32 → i32), "findCount" and
 * "findAnyCount" (7 × i32 → i32).
 */
export function kernelModule(pages: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    ...section(1, [4, 0x60, 2, I32, I32, 1, I32, 0x60, 3, I32, I32, I32, 0, 0x60, 6, I32, I32, I32, I32, I32, I32, 1, I32, 0x60, 7, I32, I32, I32, I32, I32, I32, I32, 1, I32]),
    ...section(3, [5, 0, 1, 2, 3, 3]),
    ...section(5, [1, 0, ...uleb(pages)]),
    ...section(7, [6, ...str('mem'), 2, 0, ...str('count'), 0, 0, ...str('lower'), 0, 1, ...str('find'), 0, 2, ...str('findCount'), 0, 3, ...str('findAnyCount'), 0, 4]),
    ...section(10, [5, ...funcBody(COUNT), ...funcBody(LOWER), ...funcBody(FIND), ...funcBody(FIND_COUNT), ...funcBody(FIND_ANY_COUNT)]),
  ]);
}

/** The exports of an instance of {@link kernelModule}. */
export interface Kernels {
  mem: WebAssembly.Memory;
  count(p: number, end: number): number;
  lower(src: number, dst: number, len: number): void;
  find(start: number, end: number, needlePtr: number, needleLen: number, o1: number, o2: number): number;
  findCount(start: number, end: number, needlePtr: number, needleLen: number, o1: number, o2: number, slot: number): number;
  findAnyCount(start: number, end: number, table: number, meta: number, k: number, maxLen: number, slot: number): number;
}

const modules = new Map<number, WebAssembly.Module>();

/** Instantiate the kernels with `pages` of memory (modules are compiled once per size); throws when WebAssembly SIMD is unavailable. */
export function instantiateKernels(pages: number): Kernels {
  let mod = modules.get(pages);
  if (!mod) {
    mod = new WebAssembly.Module(kernelModule(pages));
    modules.set(pages, mod);
  }
  return new WebAssembly.Instance(mod).exports as unknown as Kernels;
}
