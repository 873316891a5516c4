/**
 * The scan buffer's two implementations — WebAssembly SIMD kernels and the plain-JS fallback used where
 * SIMD is unavailable — give the same answers as a byte loop and `Buffer#indexOf` on the same data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScanBuffer } from '../../../src/logfile/newlines.ts';

const TEXT = Buffer.from(
  Array.from({ length: 500 }, (_, i) => (i % 7 === 0 ? `2026-11-20 10:00:${String(i % 60).padStart(2, '0')},001 ERROR line ${i} Failed` : `line ${i} INFO ok ÄÖ`)).join('\n') + '\ntail ERROR',
);
const FREQ = new Uint32Array(256);
for (const b of TEXT) FREQ[b]!++;
const FOLDED = Buffer.from(TEXT.map((b) => (b >= 65 && b <= 90 ? b + 32 : b)));

function newlines(from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (TEXT[i] === 10) n++;
  return n;
}

for (const simd of [true, false]) {
  const name = simd ? 'SIMD kernels' : 'plain-JS fallback';

  test(`${name}: newline count, ASCII fold and finders agree with a byte loop and indexOf`, () => {
    const sb = createScanBuffer(TEXT.length + 64, true, { simd });
    assert.equal(sb.simd, simd, 'the implementation asked for');
    TEXT.copy(sb.buf, 0);
    for (const [s, e] of [[0, TEXT.length], [3, 17], [5, 5], [1, TEXT.length - 1], [16, 48], [100, 3333]] as const) {
      assert.equal(sb.count(s, e), newlines(s, e), `count ${s}..${e}`);
    }
    sb.lower(0, TEXT.length);
    assert.ok(sb.folded.subarray(0, TEXT.length).equals(FOLDED), 'folded copy');
    for (const n of ['ERROR', 'Failed\nline', 'zz', 'tail ERROR', 'ÄÖ']) {
      for (const inFolded of [false, true]) {
        const needle = Buffer.from(inFolded ? n.toLowerCase() : n);
        const hay = inFolded ? FOLDED : TEXT;
        const f = sb.finder(needle, inFolded, FREQ);
        for (const from of [0, 1, 17, TEXT.length - 12]) assert.equal(f(from, TEXT.length), hay.indexOf(needle, from), `${n} from ${from}`);
        const cf = sb.countingFinder(needle, inFolded, FREQ);
        let from = 0;
        for (;;) {
          const p = cf.find(from, TEXT.length);
          assert.equal(p, hay.indexOf(needle, from), `counting ${n} from ${from}`);
          assert.equal(cf.newlines, newlines(from, cf.scanned), `newlines before ${cf.scanned}`);
          if (p < 0) break;
          from = p + 1;
        }
      }
    }
    const any = sb.anyCountingFinder([Buffer.from('ERROR'), Buffer.from('INFO')], false, FREQ);
    if (!simd) assert.equal(any, undefined, 'the fallback leaves any-of to one finder per needle');
    else assert.equal(any!.find(0, TEXT.length), Math.min(TEXT.indexOf('ERROR'), TEXT.indexOf('INFO')));
  });
}
