import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { gzLines, gzRange, gzTail, isGzipName, openDecompressed, gzIsBinary } from '../../../src/logfile/gzip.ts';
import { tempRoot, type TempRoot } from './fixtures.ts';

let root: TempRoot;
before(async () => { root = await tempRoot(); });
after(async () => { await root.cleanup(); });

const numbered = (n: number): string => Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');

test('isGzipName', () => {
  assert.equal(isGzipName('taskmanager.log.1.gz'), true);
  assert.equal(isGzipName('x.GZ'), true);
  assert.equal(isGzipName('x.log'), false);
  assert.equal(isGzipName('gz'), false);
});

test('gz tail with line numbers, multi-member, partial last line', async () => {
  const content = numbered(30_000) + 'tail without newline';
  const f = await root.file('a.log.gz', Buffer.concat([gzipSync(content.slice(0, 100_000)), gzipSync(content.slice(100_000))]));
  const t = await gzTail(f, 3);
  assert.deepEqual(t.lines.map((l) => [l.lineNumber, l.text, l.partial ?? false]), [[29_999, 'line 29999', false], [30_000, 'line 30000', false], [30_001, 'tail without newline', true]]);
  assert.equal(t.lines[0]?.offset, content.indexOf('line 29999\n'));
  assert.equal(t.endOffset, Buffer.byteLength(content));
  // lines before an offset (scrolling up)
  const up = await gzTail(f, 2, { endOffset: t.startOffset });
  assert.deepEqual(up.lines.map((l) => l.text), ['line 29997', 'line 29998']);
});

test('gz lines from an offset (mid-line → next line) and ranges', async () => {
  const content = numbered(1000);
  const f = await root.file('b.log.gz', gzipSync(content));
  const at = content.indexOf('line 500\n');
  const r = await gzLines(f, at + 2, 2);
  assert.deepEqual(r.lines.map((l) => [l.lineNumber, l.offset, l.text]), [[501, content.indexOf('line 501\n'), 'line 501'], [502, content.indexOf('line 502\n'), 'line 502']]);
  assert.equal(r.nextOffset, content.indexOf('line 503\n'));
  assert.equal(r.eof, false);
  const end = await gzLines(f, 0, 5000);
  assert.equal(end.lines.length, 1000);
  assert.equal(end.eof, true);
  assert.equal(await text(gzRange(f, 7, 30)), content.slice(7, 30));
  assert.equal(await text(gzRange(f, content.length - 5, Infinity)), content.slice(-5));
  assert.equal(await text(openDecompressed(f)), content);
});

test('gzip bomb cap, corrupt data and binary content', async () => {
  const f = await root.file('bomb.log.gz', gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x61)));
  await assert.rejects(gzTail(f, 1, { maxDecompressedBytes: 1024 * 1024 }), (e: { code: string; message: string }) => e.code === 'PODLOG_E_BAD_PARAM' && /more than 1048576 bytes/.test(e.message));
  const bad = await root.file('bad.log.gz', Buffer.from('this is not gzip'));
  await assert.rejects(gzTail(bad, 1), (e: { code: string; message: string }) => e.code === 'PODLOG_E_BAD_PARAM' && /not valid gzip/.test(e.message));
  const bin = await root.file('bin.gz', gzipSync(Buffer.from([0, 1, 2, 3])));
  assert.equal(await gzIsBinary(bin), true);
  await assert.rejects(gzTail(bin, 1), { code: 'PODLOG_E_BINARY' });
});
