import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, cutMarker, decodeLine, utf8Boundary, type Line } from '../../../src/logfile/line.ts';
import { isBinary } from '../../../src/logfile/binary.ts';

function split(chunks: (string | Buffer)[], opts: { max?: number; early?: boolean } = {}): { lines: Line[]; partial?: Line } {
  const s = new LineSplitter({ offset: 0, lineNumber: 1, maxLineBytes: opts.max ?? 1024, emitOversizedEarly: opts.early ?? false });
  const lines: Line[] = [];
  for (const c of chunks) s.push(Buffer.isBuffer(c) ? c : Buffer.from(c), (l) => void lines.push(l));
  const partial = s.peekPartial();
  return partial ? { lines, partial } : { lines };
}

test('splits lines across chunks with offsets, numbers and byte lengths', () => {
  const { lines, partial } = split(['ab\ncd', 'e\n\nfg']);
  assert.deepEqual(lines.map((l) => [l.offset, l.lineNumber, l.text, l.bytes]), [
    [0, 1, 'ab', 3],
    [3, 2, 'cde', 4],
    [7, 3, '', 1],
  ]);
  assert.equal(partial?.text, 'fg');
  assert.equal(partial?.partial, true);
  assert.equal(partial?.offset, 8);
});

test('strips \\r before \\n', () => {
  const { lines } = split(['a\r\nb\r', '\n']);
  assert.deepEqual(lines.map((l) => l.text), ['a', 'b']);
});

test('invalid UTF-8 becomes U+FFFD', () => {
  const { lines } = split([Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x0a])]);
  assert.equal(lines[0]?.text, 'a\uFFFDb\uFFFD');
});

test('cuts long lines with the total in the marker, across chunks', () => {
  const { lines } = split(['x'.repeat(10), 'y'.repeat(10) + '\nok\n'], { max: 8 });
  assert.equal(lines[0]?.text, 'xxxxxxxx' + cutMarker(8, 21));
  assert.equal(lines[0]?.truncated, true);
  assert.equal(lines[0]?.bytes, 21);
  assert.deepEqual(lines[1], { offset: 21, lineNumber: 2, text: 'ok', truncated: false, bytes: 3 });
});

test('a line of exactly max bytes is not cut', () => {
  const { lines } = split(['12345678\n'], { max: 8 });
  assert.equal(lines[0]?.text, '12345678');
  assert.equal(lines[0]?.truncated, false);
});

test('early mode emits a cut line before its newline, then skips the rest', () => {
  const s = new LineSplitter({ offset: 0, maxLineBytes: 4, emitOversizedEarly: true });
  const lines: Line[] = [];
  s.push(Buffer.from('abcdefg'), (l) => void lines.push(l));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.text, 'abcd' + cutMarker(4, undefined));
  s.push(Buffer.from('hij\nnext\n'), (l) => void lines.push(l));
  assert.deepEqual(lines.map((l) => [l.offset, l.text]).slice(1), [[11, 'next']]);
});

test('push stops when onLine returns false', () => {
  const s = new LineSplitter({ offset: 100, maxLineBytes: 10 });
  const lines: Line[] = [];
  const used = s.push(Buffer.from('a\nb\nc\n'), (l) => { lines.push(l); return lines.length < 2; });
  assert.equal(used, 4);
  assert.equal(s.position, 104);
});

test('cut lines do not end inside a UTF-8 character', () => {
  const buf = Buffer.from('aé€x'); // 1 + 2 + 3 + 1 bytes
  assert.equal(utf8Boundary(buf, 2), 1);
  assert.equal(utf8Boundary(buf, 4), 3);
  assert.equal(utf8Boundary(buf, 6), 6);
  assert.equal(decodeLine(buf, 5, 7), 'aé' + cutMarker(5, 7));
});

test('binary detection: NUL, control ratio, text with ANSI colours and invalid UTF-8', () => {
  assert.equal(isBinary(Buffer.alloc(0)), false);
  assert.equal(isBinary(Buffer.from('hello\nworld\n')), false);
  assert.equal(isBinary(Buffer.from('a\u0000b')), true);
  assert.equal(isBinary(Buffer.from('\u001b[31mERROR\u001b[0m something\r\n\tat x\n')), false);
  assert.equal(isBinary(Buffer.from([0xff, 0xfe, 0x41, 0x0a])), false);
  assert.equal(isBinary(Buffer.from([1, 2, 3, 4, 5, 0x41, 0x42, 0x43])), true);
  // only the first 8 KiB count
  assert.equal(isBinary(Buffer.concat([Buffer.alloc(8192, 0x41), Buffer.from([0])])), false);
});
