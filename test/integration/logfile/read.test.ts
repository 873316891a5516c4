import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { tailLines } from '../../../src/logfile/tail.ts';
import { readLines, readLinesBefore } from '../../../src/logfile/lines.ts';
import { readRange } from '../../../src/logfile/range.ts';
import { cutMarker, MAX_LINE_BYTES } from '../../../src/logfile/line.ts';
import { tempRoot, writeStreamed, type TempRoot } from './fixtures.ts';

let root: TempRoot;
before(async () => { root = await tempRoot(); });
after(async () => { await root.cleanup(); });

const numbered = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');

test('tail of an empty file', async () => {
  const f = await root.file('empty.log', '');
  assert.deepEqual(await tailLines(f, 10), { lines: [], startOffset: 0, endOffset: 0, followOffset: 0 });
  assert.deepEqual(await readLines(f, 0, { maxLines: 10 }), { lines: [], nextOffset: 0, eof: true });
});

test('tail returns the last n lines with offsets', async () => {
  const content = numbered(100_000);
  const f = await root.file('many.log', content);
  const r = await tailLines(f, 3);
  assert.deepEqual(r.lines.map((l) => l.text), ['line 99998', 'line 99999', 'line 100000']);
  assert.equal(r.lines[0]?.offset, content.lastIndexOf('line 99998'));
  assert.equal(r.startOffset, content.lastIndexOf('line 99998'));
  assert.equal(r.endOffset, content.length);
  assert.equal(r.followOffset, content.length);
  assert.equal(r.lines[2]?.bytes, 'line 100000\n'.length);
  // more lines than the file has
  const all = await tailLines(await root.file('few.log', 'a\nb\n'), 10);
  assert.deepEqual(all.lines.map((l) => [l.offset, l.text]), [[0, 'a'], [2, 'b']]);
  // page up with readLinesBefore
  const up = await readLinesBefore(f, r.startOffset, 2);
  assert.deepEqual(up.lines.map((l) => l.text), ['line 99996', 'line 99997']);
});

test('tail across many 64 KiB blocks', async () => {
  const content = numbered(50_000);
  const f = await root.file('blocks.log', content);
  const r = await tailLines(f, 40_000);
  assert.equal(r.lines.length, 40_000);
  assert.equal(r.lines[0]?.text, 'line 10001');
  assert.equal(r.lines[0]?.offset, content.indexOf('line 10001\n'));
});

test('last line without newline is partial; follow offset is its start', async () => {
  const f = await root.file('partial.log', 'one\ntwo\nthr');
  const r = await tailLines(f, 2);
  assert.deepEqual(r.lines.map((l) => [l.text, l.partial ?? false]), [['two', false], ['thr', true]]);
  assert.equal(r.followOffset, 8);
  const fw = await readLines(f, 0, { maxLines: 10 });
  assert.deepEqual(fw.lines.map((l) => [l.lineNumber, l.text, l.partial ?? false]), [[1, 'one', false], [2, 'two', false], [3, 'thr', true]]);
  assert.equal(fw.nextOffset, 8);
  assert.equal(fw.eof, true);
});

test('CRLF lines and empty lines', async () => {
  const f = await root.file('crlf.log', 'a\r\n\r\nb\r\n');
  assert.deepEqual((await tailLines(f, 5)).lines.map((l) => l.text), ['a', '', 'b']);
  assert.deepEqual((await readLines(f, 0, { maxLines: 5 })).lines.map((l) => l.text), ['a', '', 'b']);
});

test('invalid UTF-8 shows U+FFFD', async () => {
  const f = await root.file('bad.log', Buffer.from([0x6f, 0x6b, 0xe2, 0x28, 0xa1, 0x0a]));
  assert.equal((await tailLines(f, 1)).lines[0]?.text, 'ok\uFFFD(\uFFFD');
});

test('binary files are refused for line views', async () => {
  const f = await root.file('bin.dat', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 0x0a]));
  await assert.rejects(tailLines(f, 1), { code: 'PODLOG_E_BINARY' });
  await assert.rejects(readLines(f, 0, { maxLines: 1 }), { code: 'PODLOG_E_BINARY' });
  assert.equal((await tailLines(f, 1, { allowBinary: true })).lines.length, 1);
});

test('readLines pages forward; a mid-line offset starts at the next line', async () => {
  const content = numbered(10);
  const f = await root.file('page.log', content);
  const p1 = await readLines(f, 0, { maxLines: 3 });
  assert.deepEqual(p1.lines.map((l) => [l.lineNumber, l.text]), [[1, 'line 1'], [2, 'line 2'], [3, 'line 3']]);
  assert.equal(p1.eof, false);
  const p2 = await readLines(f, p1.nextOffset, { maxLines: 3, fromLineNumber: 4 });
  assert.deepEqual(p2.lines.map((l) => [l.lineNumber, l.offset, l.text]), [[4, 21, 'line 4'], [5, 28, 'line 5'], [6, 35, 'line 6']]);
  const mid = await readLines(f, 23, { maxLines: 1, fromLineNumber: 4 });
  assert.deepEqual(mid.lines.map((l) => [l.lineNumber, l.offset, l.text]), [[5, 28, 'line 5']]);
  const end = await readLines(f, content.length, { maxLines: 5 });
  assert.deepEqual(end, { lines: [], nextOffset: content.length, eof: true });
  await assert.rejects(readLines(f, content.length + 1, { maxLines: 1 }), { code: 'PODLOG_E_RANGE' });
  await assert.rejects(readLines(f, 0, { maxLines: 0 }), { code: 'PODLOG_E_BAD_PARAM' });
  const small = await readLines(f, 0, { maxLines: 100, maxBytes: 10 });
  assert.equal(small.lines.length, 2);
});

test('a 100 MB line is cut in tail and forward reads without being buffered', async () => {
  const path = root.path('huge.log');
  const chunk = 'x'.repeat(1024 * 1024);
  await writeStreamed(path, 102, (i) => (i === 0 ? 'before\n' : i === 101 ? 'after\n' : chunk));
  const f = await root.open('huge.log');
  const before = process.memoryUsage().rss;
  const r = await tailLines(f, 2);
  const total = 100 * 1024 * 1024 + 'after\n'.length; // the huge line runs into 'after' (no newline between)
  assert.equal(r.lines.length, 2);
  assert.equal(r.lines[0]?.text, 'before');
  assert.equal(r.lines[1]?.truncated, true);
  assert.equal(r.lines[1]?.bytes, total);
  assert.equal(r.lines[1]?.text, 'x'.repeat(MAX_LINE_BYTES) + cutMarker(MAX_LINE_BYTES, total));
  const fw = await readLines(f, 0, { maxLines: 5 });
  assert.equal(fw.lines.length, 2);
  assert.equal(fw.lines[1]?.text.length, MAX_LINE_BYTES + cutMarker(MAX_LINE_BYTES, total).length);
  assert.equal(fw.eof, true);
  assert.ok(process.memoryUsage().rss - before < 60 * 1024 * 1024, 'reading a 100 MB line must not buffer it');
});

test('readRange streams bounded ranges and checks bounds', async () => {
  const content = numbered(20_000);
  const f = await root.file('range.log', content);
  assert.equal(await text(await readRange(f, 10, 200_000)), content.slice(10, 200_000));
  assert.equal(await text(await readRange(f, 5, 5)), '');
  assert.equal(await text(await readRange(f, content.length - 3, content.length + 100)), content.slice(-3));
  await assert.rejects(readRange(f, content.length + 1, content.length + 2), { code: 'PODLOG_E_RANGE' });
  await assert.rejects(readRange(f, 10, 5), { code: 'PODLOG_E_BAD_PARAM' });
  await assert.rejects(readRange(f, -1, 5), { code: 'PODLOG_E_BAD_PARAM' });
});

test('a file truncated while a range is streamed ends the stream early, without error', async () => {
  const content = numbered(100_000);
  const f = await root.file('shrink.log', content);
  const { truncate } = await import('node:fs/promises');
  const stream = await readRange(f, 0, content.length);
  let got = 0;
  let truncated = false;
  for await (const chunk of stream) {
    got += (chunk as Buffer).length;
    if (!truncated) {
      truncated = true;
      await truncate(root.path('shrink.log'), 100_000);
    }
  }
  assert.ok(got <= 100_000 + 2 * 65536, `read ${got} bytes after truncation to 100000`);
  // line views after the truncation see the new size
  const t = await tailLines(f, 1);
  assert.equal(t.endOffset, 100_000);
});
