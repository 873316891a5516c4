import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMatcher } from '../../../src/logfile/matcher.ts';
import { createScanBuffer } from '../../../src/logfile/newlines.ts';

const show = (q: string, regex: boolean, ci = false) => {
  const m = compileMatcher(q, { regex, caseInsensitive: ci });
  return { needles: m.needles?.map((b) => b.toString()) ?? null, choices: m.needleChoices?.map((c) => c.map((b) => b.toString())) ?? null, fold: m.fold, verify: m.re !== null };
};

test('needles: literals found by indexOf, regexes by their required literals', () => {
  const cases: [string, boolean, boolean, ReturnType<typeof show>][] = [
    ['ERROR', false, false, { needles: ['ERROR'], choices: null, fold: false, verify: false }],
    ['Error', false, true, { needles: ['error'], choices: null, fold: true, verify: false }],
    ['Über Fehler', false, true, { needles: ['ber fehler'], choices: null, fold: true, verify: true }],
    ['ERROR|WARN', true, false, { needles: ['ERROR', 'WARN'], choices: null, fold: false, verify: false }],
    ['error|Warn', true, true, { needles: ['error', 'warn'], choices: null, fold: true, verify: false }],
    ['ERROR|WARN$', true, false, { needles: ['ERROR', 'WARN'], choices: null, fold: false, verify: true }],
    ['ERROR|', true, false, { needles: null, choices: null, fold: false, verify: true }],
    ['error|wärn', true, true, { needles: ['error', 'rn'], choices: null, fold: true, verify: true }],
    ['Task.*failed', true, false, { needles: ['failed'], choices: [['Task'], ['failed']], fold: false, verify: true }],
    ['[0-9]+', true, false, { needles: null, choices: null, fold: false, verify: true }],
    ['(?i)error', true, false, { needles: null, choices: null, fold: false, verify: true }],
    ['a*', true, false, { needles: null, choices: null, fold: false, verify: true }],
  ];
  for (const [q, regex, ci, want] of cases) assert.deepEqual(show(q, regex, ci), want, q);
});

test('errors', () => {
  assert.throws(() => compileMatcher('x{2,1}', { regex: true }), { code: 'PODLOG_E_BAD_REGEX' });
  assert.throws(() => compileMatcher('(?<=a)b', { regex: true }), { code: 'PODLOG_E_BAD_REGEX' });
  assert.throws(() => compileMatcher('x'.repeat(5000), { regex: false }), { code: 'PODLOG_E_BAD_PARAM' });
  assert.throws(() => compileMatcher('(.*){1000}(.*){1000}', { regex: true }), (e: { code: string; message: string }) => e.code === 'PODLOG_E_BAD_REGEX' && /too complex/.test(e.message));
});

test('SIMD newline count and ASCII fold agree with a byte loop', () => {
  const sb = createScanBuffer(4096);
  const data = Buffer.alloc(3000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 256;
  data.copy(sb.buf, 0);
  for (const [s, e] of [[0, 3000], [3, 17], [5, 5], [1, 2999], [16, 48]] as const) {
    let want = 0;
    for (let i = s; i < e; i++) if (data[i] === 10) want++;
    assert.equal(sb.count(s, e), want, `count ${s}..${e}`);
    sb.lower(s, e);
    for (let i = s; i < e; i++) {
      const b = data[i]!;
      assert.equal(sb.folded[i], b >= 65 && b <= 90 ? b + 32 : b);
    }
  }
});

test('SIMD finder agrees with Buffer#indexOf (plain and folded, all start offsets near the ends)', () => {
  const sb = createScanBuffer(8192);
  assert.equal(sb.simd, true, 'WebAssembly SIMD is expected on Node 24');
  const text = Buffer.from('ab abc abcd ERROR Error eRRoR x\nERRORERROR\n'.repeat(40) + 'tail ERROR');
  text.copy(sb.buf, 0);
  sb.lower(0, text.length);
  const freq = new Uint32Array(256);
  for (const b of text) freq[b]!++;
  for (const n of ['ERROR', 'ab', 'abcd ', 'x\nE', 'ROR', 'tail ERROR', 'zz', 'ERRORERROR\n']) {
    const needle = Buffer.from(n);
    const f = sb.finder(needle, false, freq);
    for (const from of [0, 1, 5, 17, text.length - 12, text.length - 10, text.length - 1]) {
      for (const to of [text.length, text.length - 1, from + 40]) {
        const want = text.indexOf(needle, from);
        assert.equal(f(from, to), want >= 0 && want + needle.length <= to ? want : -1, `${n} ${from}..${to}`);
      }
    }
    const lowerNeedle = Buffer.from(n.toLowerCase());
    const g = sb.finder(lowerNeedle, true, freq);
    const foldedText = Buffer.from(text.toString('latin1').toLowerCase(), 'latin1');
    assert.equal(g(3, text.length), foldedText.indexOf(lowerNeedle, 3), `folded ${n}`);
  }
});

test('counting finder: match positions and newline counts agree with indexOf and a byte loop', () => {
  const sb = createScanBuffer(16384);
  const text = Buffer.from(Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? `line ${i} has ERROR in it` : `line ${i} Error free`)).join('\n') + '\nlast ERROR');
  text.copy(sb.buf, 0);
  sb.lower(0, text.length);
  const freq = new Uint32Array(256);
  for (const b of text) freq[b]!++;
  for (const [needle, folded] of [['ERROR', false], ['error', true], ['line 29', false]] as const) {
    const cf = sb.countingFinder(Buffer.from(needle), folded, freq);
    const hay = folded ? Buffer.from(text.toString('latin1').toLowerCase(), 'latin1') : text;
    let from = 0;
    for (;;) {
      const p = cf.find(from, text.length);
      const want = hay.indexOf(needle, from);
      assert.equal(p, want, `${needle} from ${from}`);
      assert.ok(cf.scanned >= from && (p < 0 ? cf.scanned <= text.length : cf.scanned <= p));
      let nl = 0;
      for (let i = from; i < cf.scanned; i++) if (text[i] === 10) nl++;
      assert.equal(cf.newlines, nl, `${needle} newlines from ${from}`);
      if (p < 0) break;
      from = p + 1;
    }
  }
});

test('any-of counting finder: leftmost start of any needle, newline counts', () => {
  const sb = createScanBuffer(16384);
  const text = Buffer.from(Array.from({ length: 400 }, (_, i) => (i % 11 === 0 ? `l${i} ERROR x` : i % 5 === 0 ? `l${i} WARN y` : `l${i} INFO z`)).join('\n') + '\nWARN');
  text.copy(sb.buf, 0);
  const freq = new Uint32Array(256);
  for (const b of text) freq[b]!++;
  const needles = ['ERROR', 'WARN', 'x\nl'].map((s) => Buffer.from(s));
  const cf = sb.anyCountingFinder(needles, false, freq)!;
  assert.ok(cf);
  let from = 0;
  for (;;) {
    const p = cf.find(from, text.length);
    const hits = needles.map((n) => text.indexOf(n, from)).filter((i) => i >= 0);
    assert.equal(p, hits.length ? Math.min(...hits) : -1, `from ${from}`);
    let nl = 0;
    for (let i = from; i < cf.scanned; i++) if (text[i] === 10) nl++;
    assert.equal(cf.newlines, nl);
    if (p < 0) break;
    from = p + 1;
  }
  assert.equal(sb.anyCountingFinder([Buffer.from('a')], false, freq), undefined, 'one needle: use countingFinder');
});
