import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCri, decodeCriText, isCriCopy, parseCriLine } from '../../../src/logfile/cri.ts';

test('parseCriLine: kubelet CRI records', () => {
  const cases: [string, ReturnType<typeof parseCriLine>][] = [
    ['2016-10-06T00:17:09.669794202Z stdout F The content of the log entry 1', { time: '2016-10-06T00:17:09.669794202Z', stream: 'stdout', full: true, content: 'The content of the log entry 1' }],
    ['2016-10-06T00:17:09.669794203Z stderr P First line of log entry 2', { time: '2016-10-06T00:17:09.669794203Z', stream: 'stderr', full: false, content: 'First line of log entry 2' }],
    ['2024-05-01T10:00:00.1+02:00 stdout F:x  two spaces', { time: '2024-05-01T10:00:00.1+02:00', stream: 'stdout', full: true, content: ' two spaces' }],
    ['2024-05-01T10:00:00Z stdout F ', { time: '2024-05-01T10:00:00Z', stream: 'stdout', full: true, content: '' }],
    ['2024-05-01T10:00:00Z stdout F', { time: '2024-05-01T10:00:00Z', stream: 'stdout', full: true, content: '' }],
    ['2024-05-01T10:00:00Z stdin F x', undefined],
    ['2024-05-01T10:00:00Z stdout X x', undefined],
    ['yesterday stdout F x', undefined],
    ['plain text line', undefined],
    ['', undefined],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseCriLine(line), want, line);
});

test('decodeCri merges P partials per stream, keeps the first fragment time and offset', () => {
  const out = decodeCri([
    { text: '2024-05-01T10:00:00.000000001Z stdout P hel', offset: 0 },
    { text: '2024-05-01T10:00:00.000000002Z stderr F oops', offset: 40 },
    { text: '2024-05-01T10:00:00.000000003Z stdout P lo ', offset: 80 },
    { text: '2024-05-01T10:00:00.000000004Z stdout F world', offset: 120 },
    { text: 'not cri', offset: 160 },
    { text: '2024-05-01T10:00:00.000000005Z stdout P dangling', offset: 168 },
  ]);
  assert.deepEqual(out, [
    { text: 'oops', stream: 'stderr', time: '2024-05-01T10:00:00.000000002Z', offset: 40, fragments: 1 },
    { text: 'hello world', stream: 'stdout', time: '2024-05-01T10:00:00.000000001Z', offset: 0, fragments: 3 },
    { text: 'not cri', stream: 'unknown', time: '', offset: 160, fragments: 1 },
    { text: 'dangling', stream: 'stdout', time: '2024-05-01T10:00:00.000000005Z', offset: 168, fragments: 1, partial: true },
  ]);
});

test('decodeCri bounds a merged line', () => {
  const parts = Array.from({ length: 10 }, () => '2024-05-01T10:00:00Z stdout P 0123456789');
  const [line] = decodeCri([...parts, '2024-05-01T10:00:00Z stdout F end'], 25);
  assert.equal(line!.text, '0123456789012345678901234');
  assert.equal(line!.truncated, true);
  assert.equal(line!.fragments, 11);
});

test('decodeCriText and copy names', () => {
  assert.equal(decodeCriText('2024-05-01T10:00:00Z stdout P a\n2024-05-01T10:00:00Z stdout F b\n2024-05-01T10:00:01Z stderr F c\n'), 'ab\nc\n');
  assert.equal(decodeCriText(''), '');
  assert.ok(isCriCopy('stdio-0.cri.log'));
  assert.ok(isCriCopy('stdio-12.cri.log.3'));
  assert.ok(!isCriCopy('0.log'));
  assert.ok(!isCriCopy('stdio-x.cri.log'));
});

test('criDecodeStream decodes across chunk boundaries', async () => {
  const { criDecodeStream } = await import('../../../src/logfile/cri-stream.ts');
  const { Readable } = await import('node:stream');
  const { text } = await import('node:stream/consumers');
  const src = '2024-05-01T10:00:00Z stdout P hé\n2024-05-01T10:00:00Z stdout F llo\n2024-05-01T10:00:01Z stderr F x\n2024-05-01T10:00:02Z stdout F no newline';
  const bytes = Buffer.from(src);
  const chunks = [bytes.subarray(0, 32), bytes.subarray(32, 50), bytes.subarray(50)]; // splits inside é and mid-line
  assert.equal(await text(Readable.from(chunks).pipe(criDecodeStream())), 'héllo\nx\nno newline\n');
  const fmt = criDecodeStream({ format: (l) => `${l.time} ${l.stream} ${l.text}` });
  assert.equal(await text(Readable.from([Buffer.from('2024-05-01T10:00:00Z stderr F boom\n')]).pipe(fmt)), '2024-05-01T10:00:00Z stderr boom\n');
});
