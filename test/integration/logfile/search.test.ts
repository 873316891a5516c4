import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { compileMatcher, searchFile, type SearchMatch, type SearchOptions, type Matcher } from '../../../src/logfile/search.ts';
import { openDecompressed } from '../../../src/logfile/gzip.ts';
import { lineStartAtOrAfter } from '../../../src/logfile/sources.ts';
import type { SafeFile } from '../../../src/store/safe-open.ts';
import type { Readable } from 'node:stream';
import { tempRoot, writeStreamed, type TempRoot } from './fixtures.ts';

let root: TempRoot;
before(async () => { root = await tempRoot(); });
after(async () => { await root.cleanup(); });

async function run(src: SafeFile | Readable, m: Matcher, o: Partial<SearchOptions> = {}) {
  const hits: SearchMatch[] = [];
  const res = await searchFile(src, m, {
    signal: new AbortController().signal,
    byteBudget: { remaining: Number.MAX_SAFE_INTEGER },
    deadline: Date.now() + 60_000,
    onMatch: (h) => void hits.push(h),
    ...o,
  });
  return { hits, res };
}

/** The expected hits computed naively from the text (ASCII/UTF-8 content, \n lines). */
function naive(content: string, pred: (line: string) => boolean): [number, number, string][] {
  const out: [number, number, string][] = [];
  let off = 0;
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((l, i) => {
    if (pred(l)) out.push([off, i + 1, l.replace(/\r$/, '')]);
    off += Buffer.byteLength(l) + 1;
  });
  return out;
}
const triples = (hits: SearchMatch[]) => hits.map((h) => [h.offset, h.lineNumber, h.line] as [number, number, string]);

const sample = [
  'INFO start',
  'ERROR boom — über',
  'WARN  careful',
  '\tat org.Foo.bar(Foo.java:1)',
  'error lower case',
  'INFO ünïcode ERROR at end',
  '',
  'ERROR last without newline',
].join('\n');

test('literal search: offsets, line numbers and text', async () => {
  const f = await root.file('a.log', sample);
  const { hits, res } = await run(f, compileMatcher('ERROR', { regex: false }));
  assert.deepEqual(triples(hits), naive(sample, (l) => l.includes('ERROR')));
  assert.equal(res.bytesScanned, Buffer.byteLength(sample));
  assert.equal(res.stoppedBy, undefined);
});

test('case-insensitive literal and regex (non-ASCII lines map to byte offsets)', async () => {
  const f = await root.file('b.log', sample);
  const ci = await run(f, compileMatcher('error', { regex: false, caseInsensitive: true }));
  assert.deepEqual(triples(ci.hits), naive(sample, (l) => /error/i.test(l)));
  const re = await run(f, compileMatcher('^(ERROR|WARN)\\s', { regex: true }));
  assert.deepEqual(triples(re.hits), naive(sample, (l) => /^(ERROR|WARN)\s/.test(l)));
  const end = await run(f, compileMatcher('end$', { regex: true }));
  assert.deepEqual(triples(end.hits), naive(sample, (l) => /end$/.test(l)));
  const uni = await run(f, compileMatcher('ü.er', { regex: true }));
  assert.deepEqual(triples(uni.hits), naive(sample, (l) => /ü.er/.test(l)));
});

test('a regex never matches across lines', async () => {
  const f = await root.file('c.log', 'abc\ndef\n');
  assert.equal((await run(f, compileMatcher('c\\sd', { regex: true }))).hits.length, 0);
  assert.equal((await run(f, compileMatcher('c[^x]d', { regex: true }))).hits.length, 0);
});

test('bad regex and bad queries', () => {
  assert.throws(() => compileMatcher('(ab', { regex: true }), (e: { code: string; message: string }) => e.code === 'PODLOG_E_BAD_REGEX' && /missing closing \)/.test(e.message));
  assert.throws(() => compileMatcher('(a)\\1', { regex: true }), { code: 'PODLOG_E_BAD_REGEX' });
  assert.throws(() => compileMatcher('', { regex: false }), { code: 'PODLOG_E_BAD_PARAM' });
  assert.throws(() => compileMatcher('a\nb', { regex: false }), { code: 'PODLOG_E_BAD_PARAM' });
});

test('many chunks: counts and line numbers match a naive scan', async () => {
  const path = root.path('big.log');
  const line = (i: number) => `2024-05-01 10:00:00,${String(i % 1000).padStart(3, '0')} ${i % 97 === 0 ? 'ERROR' : 'INFO '} org.apache.flink.Task - record ${i}${i % 5 === 0 ? ' ü' : ''}\n`;
  const n = 120_000; // ~8 MiB: several literal and regex chunks
  await writeStreamed(path, n, line);
  const f = await root.open('big.log');
  const content = Array.from({ length: n }, (_, i) => line(i)).join('');
  const expected = naive(content, (l) => l.includes('ERROR'));
  const lit = await run(f, compileMatcher('ERROR', { regex: false }));
  assert.deepEqual(triples(lit.hits), expected);
  const re = await run(f, compileMatcher('ERROR +org', { regex: true }));
  assert.deepEqual(triples(re.hits), expected);
  const alt = await run(f, compileMatcher('ERROR|record 1234', { regex: true }));
  assert.deepEqual(triples(alt.hits), naive(content, (l) => l.includes('ERROR') || l.includes('record 1234')));
  const altCi = await run(f, compileMatcher('error|RECORD 1234', { regex: true, caseInsensitive: true }));
  assert.deepEqual(triples(altCi.hits), triples(alt.hits));
  const re2 = await run(f, compileMatcher('record [0-9]*00 ü$', { regex: true }));
  assert.deepEqual(triples(re2.hits), naive(content, (l) => /record [0-9]*00 ü$/.test(l)));
});

test('limit, budget, deadline and abort stop the search', async () => {
  const content = Array.from({ length: 50_000 }, (_, i) => `line ${i} hit\n`).join('');
  const f = await root.file('stop.log', content);
  const m = compileMatcher('hit', { regex: false });
  const lim: SearchMatch[] = [];
  const r1 = await searchFile(f, m, { signal: new AbortController().signal, byteBudget: { remaining: 1e9 }, deadline: Date.now() + 60_000, onMatch: (h) => { lim.push(h); return lim.length < 3; } });
  assert.equal(r1.stoppedBy, 'limit');
  assert.equal(lim.length, 3);
  const budget = { remaining: 0 };
  const r2 = await run(f, m, { byteBudget: budget });
  assert.equal(r2.res.stoppedBy, 'budget');
  assert.equal(r2.hits.length, 0);
  const r3 = await run(f, m, { deadline: Date.now() - 1 });
  assert.equal(r3.res.stoppedBy, 'deadline');
  const ac = new AbortController();
  ac.abort();
  const r4 = await run(f, m, { signal: ac.signal });
  assert.equal(r4.res.stoppedBy, 'aborted');
  // the shared budget is decremented by what was read
  const shared = { remaining: 1e9 };
  await run(f, m, { byteBudget: shared });
  assert.equal(shared.remaining, 1e9 - content.length);
});

test('long lines are cut in results; binary files are refused', async () => {
  const long = 'x'.repeat(3000) + ' needle ' + 'y'.repeat(100);
  const f = await root.file('long.log', `short needle\n${long}\n`);
  const { hits } = await run(f, compileMatcher('needle', { regex: false }), { maxLineBytes: 1000 });
  assert.equal(hits.length, 2);
  assert.equal(hits[1]?.truncated, true);
  assert.equal(hits[1]?.offset, 13);
  assert.match(hits[1]!.line, /^x{1000} … \[podlog: line cut at 1000 bytes, 3109 in total\]$/);
  const bin = await root.file('bin.dat', Buffer.from([1, 0, 2, 0x6e, 0x65, 0x0a]));
  await assert.rejects(run(bin, compileMatcher('ne', { regex: false })), { code: 'PODLOG_E_BINARY' });
});

test('a line longer than the whole buffer is searched in its head only', async () => {
  const path = root.path('huge.log');
  await writeStreamed(path, 8, (i) => (i === 0 ? 'first needle\n' : i < 7 ? 'n'.repeat(1 << 20) : 'needle tail\nlast needle\n'));
  const f = await root.open('huge.log');
  const { hits } = await run(f, compileMatcher('needle', { regex: false }), { maxLineBytes: 1024 });
  assert.deepEqual(hits.map((h) => [h.lineNumber, h.offset]), [[1, 0], [3, 13 + 6 * (1 << 20) + 'needle tail\n'.length]]);
  const all = await run(f, compileMatcher('n+', { regex: true }), { maxLineBytes: 1024 });
  assert.deepEqual(all.hits.map((h) => [h.lineNumber, h.truncated]), [[1, false], [2, true], [3, false]]);
  assert.match(all.hits[1]!.line, /total length not known yet/);
});

test('searching a decompressed .gz stream', async () => {
  const content = 'a\nb needle\nc\n';
  const f = await root.file('x.log.1.gz', Buffer.concat([gzipSync('a\n'), gzipSync('b needle\nc\n')]));
  const { hits, res } = await run(openDecompressed(f), compileMatcher('needle', { regex: false }));
  assert.deepEqual(triples(hits), naive(content, (l) => l.includes('needle')));
  assert.equal(res.bytesScanned, content.length);
});

test('search through a searchSource() (the reader facade): gz stream, early stop and corrupt data', async () => {
  const content = Array.from({ length: 20_000 }, (_, i) => `row ${i} needle\n`).join('');
  const f = await root.file('y.log.2.gz', gzipSync(content));
  let stream: Readable | undefined;
  const reader = { searchSource: () => (stream = openDecompressed(f)) };
  const hits: SearchMatch[] = [];
  const r = await searchFile(reader, compileMatcher('needle', { regex: false }), {
    signal: new AbortController().signal,
    byteBudget: { remaining: 1e9 },
    deadline: Date.now() + 60_000,
    onMatch: (h) => { hits.push(h); return hits.length < 5; },
  });
  assert.equal(r.stoppedBy, 'limit');
  assert.deepEqual(hits.map((h) => h.lineNumber), [1, 2, 3, 4, 5]);
  assert.equal(stream?.destroyed, true);
  const bad = await root.file('z.log.gz', Buffer.from('\x1f\x8b\x08\x00garbage that is not deflate'));
  await assert.rejects(run(openDecompressed(bad), compileMatcher('x', { regex: false })), { code: 'PODLOG_E_BAD_PARAM' });
});

test('a candidate line is verified alone, never with bytes that precede it in the buffer', async () => {
  // "Zzz…" lines without the needle and "needle" lines without a Z: `Z.*needle` matches no line,
  // but would if a line were checked together with the tail of an earlier, carried-over line
  const path = root.path('stale.log');
  await writeStreamed(path, 60_000, (i) => (i % 3 === 0 ? 'a needle here\n' : `Z${'z'.repeat(50 + (i % 17))}\n`));
  const f = await root.open('stale.log');
  const { hits } = await run(f, compileMatcher('Z.*needle', { regex: true }));
  assert.equal(hits.length, 0);
});

test('a file searched in parts (ranges moved to line starts) gives the whole-file hits, line numbers and newline count', async () => {
  const lines = Array.from({ length: 30_000 }, (_, i) => (i === 1234 ? 'x'.repeat(3 * 1024 * 1024) + ' needle in a long line' : `line ${i}${i % 7 === 0 ? ' needle' : ''}`));
  const content = lines.join('\n') + '\n';
  const f = await root.file('parts.log', content);
  for (const m of [compileMatcher('needle', { regex: false }), compileMatcher('ne+dle$', { regex: true }), compileMatcher('[0-9]+ needle', { regex: true })]) {
    const whole = await run(f, m);
    const size = Buffer.byteLength(content);
    const cuts = [0, 1000, size / 3, size / 2 + 17, size - 5].map(Math.floor);
    const got: [number, number, string][] = [];
    let base = 0;
    for (let i = 0; i < cuts.length; i++) {
      const start = await lineStartAtOrAfter(f, cuts[i]!);
      const end = i === cuts.length - 1 ? Infinity : await lineStartAtOrAfter(f, cuts[i + 1]!);
      const part = await run(f, m, { range: { start, end: Math.max(start, end) } });
      got.push(...part.hits.map((h) => [h.offset, base + h.lineNumber, h.line] as [number, number, string]));
      base += part.res.newlines;
    }
    assert.deepEqual(got, triples(whole.hits), m.source);
    assert.equal(base, lines.length);
    assert.equal(whole.res.newlines, lines.length);
  }
});
