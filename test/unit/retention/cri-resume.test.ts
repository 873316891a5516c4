import { test } from 'node:test';
import assert from 'node:assert/strict';
import { criTimeNs, ResumeFilter, tailOf } from '../../../src/retention/cri-resume.ts';

const L = (t: string, text: string) => `2026-11-20T10:00:${t}Z stdout F ${text}\n`;
const source = L('01.5', 'a') + L('02.000000001', 'b') + L('02.00000001', 'c') + L('03', 'd');

/** Feed `input` to a filter in pieces of `step` bytes; the bytes it lets through. */
function run(f: ResumeFilter, input: string, step: number): string {
  const b = Buffer.from(input);
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += step) out.push(f.push(b.subarray(i, i + step)));
  return Buffer.concat(out).toString();
}

test('CRI times compare by value: fractions of any length, offsets', () => {
  assert.equal(criTimeNs(Buffer.from('2026-11-20T10:00:02.5Z stdout F x')), criTimeNs(Buffer.from('2026-11-20T10:00:02.500000000Z stdout F y')));
  assert.ok(criTimeNs(Buffer.from('2026-11-20T10:00:02.00000001Z x'))! > criTimeNs(Buffer.from('2026-11-20T10:00:02.000000009Z x'))!);
  assert.equal(criTimeNs(Buffer.from('2026-11-20T11:00:00+01:00 stdout F x')), criTimeNs(Buffer.from('2026-11-20T10:00:00Z stdout F x')));
  assert.equal(criTimeNs(Buffer.from('not a time at all')), undefined);
});

test('resume after the copy\'s last line, at any chunk boundary', () => {
  for (const step of [1, 3, 7, 1000]) {
    const tail = tailOf(Buffer.from(L('01.5', 'a') + L('02.000000001', 'b')), true)!;
    assert.equal(run(new ResumeFilter(tail), source, step), L('02.00000001', 'c') + L('03', 'd'), `step ${step}`);
  }
});

test('a copy ending inside a line: the rest of that line, then the following lines', () => {
  const copied = L('01.5', 'a') + L('02.000000001', 'b').slice(0, 20);
  for (const step of [1, 5, 1000]) {
    const f = new ResumeFilter(tailOf(Buffer.from(copied), true)!);
    assert.equal(copied + run(f, source, step), source, `step ${step}`);
  }
});

test('the last copied line is gone from the source: resume at the first newer record', () => {
  const f = new ResumeFilter(tailOf(Buffer.from(L('02.000000005', 'gone')), true)!);
  assert.equal(run(f, source, 4), L('02.00000001', 'c') + L('03', 'd'));
});

test('a last line without a CRI time cannot be placed: everything passes (never drops)', () => {
  const f = new ResumeFilter(tailOf(Buffer.from('garbage line\n'), true)!);
  assert.equal(run(f, source, 1000), source);
});

test('a window that starts inside the last line is not used', () => {
  assert.equal(tailOf(Buffer.from('no newline before the end\n'), false), undefined);
  assert.deepEqual(tailOf(Buffer.from('x\ny\n'), false), { last: Buffer.from('y\n'), partial: Buffer.alloc(0) });
});
