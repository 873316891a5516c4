import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { log4jStart, MultilineGrouper, startTest, type RecordChunk } from '../../../src/ship/multiline.ts';

function group(text: string, max = 1 << 20, isStart = log4jStart): RecordChunk[] {
  const g = new MultilineGrouper(isStart, max);
  const out: RecordChunk[] = [];
  let off = 0;
  for (const line of text.split('\n').slice(0, -1)) {
    const r = g.push(line, off, off + Buffer.byteLength(line) + 1);
    if (r) out.push(r);
    off += Buffer.byteLength(line) + 1;
  }
  const r = g.flush();
  if (r) out.push(r);
  return out;
}

describe('multiline grouping', () => {
  it('joins stack frames, Caused by, ... N more, tab-indented and blank lines to the previous record', () => {
    const text = [
      '2025-11-28 23:01:48,779 INFO  a.B [] - one',
      '2025-11-28 23:01:48,780 ERROR a.B [] - two',
      'java.io.IOException: unable to open JDBC writer',
      '\tat x.Y.z(Y.java:1) ~[?:?]',
      'Caused by: java.net.UnknownHostException: postgres-service',
      '\t... 16 more',
      '',
      '\tkey: value',
      '2025-11-28 23:01:48,781 INFO  a.B [] - three',
    ].join('\n') + '\n';
    const recs = group(text);
    assert.deepEqual(recs.map((r) => r.lines.length), [1, 7, 1]);
    assert.equal(recs[0]!.offset, 0);
    assert.equal(recs[1]!.offset, recs[0]!.end);
    assert.equal(recs[2]!.end, Buffer.byteLength(text));
  });
  it('a preamble without timestamps forms one record at offset 0', () => {
    const recs = group('/opt/flink/bin/config-parser-utils.sh: line 45\nStarting kubernetes-application\n2025-11-28 23:01:48,779 INFO  a.B [] - x\n');
    assert.deepEqual(recs.map((r) => [r.offset, r.lines.length]), [[0, 2], [recs[1]!.offset, 1]]);
  });
  it('caps a record at maxBytes, deterministically', () => {
    const text = '2025-11-28 23:01:48,779 INFO  a.B [] - x\n' + 'continuation line\n'.repeat(10);
    const recs = group(text, 60);
    assert.ok(recs.length > 1);
    assert.equal(recs.reduce((n, r) => n + (r.end - r.offset), 0), Buffer.byteLength(text));
    assert.deepEqual(group(text, 60), recs);
  });
  it('start test: log4j dates only; configurable pattern', () => {
    assert.equal(log4jStart('2024-05-01 12:00:00,123 INFO x'), true);
    assert.equal(log4jStart('2024-05-01T12:00:00.123Z x'), true);
    assert.equal(log4jStart('\tat x'), false);
    assert.equal(log4jStart('2024-05-01'), false);
    const t = startTest('^\\[\\d+');
    assert.equal(t('[12] x'), true);
    assert.equal(t('x'), false);
    assert.throws(() => startTest('('));
  });
});
