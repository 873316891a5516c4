/** Unit tests of the viewer's bounded line cache, time seek and local find over an in-memory "file". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineBlock, type WindowSource } from '../src/viewer/block.ts';
import { seekTime } from '../src/viewer/seek.ts';
import { Finder } from '../src/viewer/find.ts';
import type { ApiLines } from '../src/api.ts';

/** A file of `n` lines "line i" (stack traces every 10th line), served like the agent's windows. */
function memFile(n: number): { src: WindowSource; text: string; offsets: number[] } {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    lines.push(i % 10 === 5 ? `\tat x.Y.z(Y.java:${i})` : `${t} ${i % 10 === 4 ? 'ERROR' : 'INFO '} line ${i}`);
  }
  const offsets: number[] = [];
  let o = 0;
  for (const l of lines) {
    offsets.push(o);
    o += Buffer.byteLength(l) + 1;
  }
  const size = o;
  const win = (from: number, to: number): ApiLines => ({
    lines: lines.slice(from, to).map((text, k) => ({ offset: offsets[from + k]!, text })),
    startOffset: offsets[from] ?? size,
    nextOffset: offsets[to] ?? size,
    size,
    eof: to >= n,
  });
  const firstAt = (off: number) => {
    const i = offsets.findIndex((x) => x >= off);
    return i < 0 ? n : i;
  };
  const src: WindowSource = {
    from: async (off, count) => {
      const i = firstAt(off);
      return win(i, Math.min(n, i + count));
    },
    before: async (off, count) => {
      const i = firstAt(off);
      return win(Math.max(0, i - count), i);
    },
    tail: async (count) => win(Math.max(0, n - count), n),
  };
  return { src, text: lines.join('\n'), offsets };
}

test('LineBlock stays bounded while scrolling down through the whole file', async () => {
  const f = memFile(20_000);
  const b = new LineBlock(f.src, 1000, 300);
  await b.jumpTo(0, 0);
  assert.equal(b.start, 0);
  let steps = 0;
  while (!b.eof) {
    await b.extendDown();
    assert.ok(b.lines.length <= 1000);
    assert.equal(b.lines[0]!.offset, b.start);
    steps++;
  }
  assert.ok(steps > 60);
  assert.ok(b.lines[b.lines.length - 1]!.text.endsWith(' line 19999'));
  // and back up to the start
  while (!b.atStart) await b.extendUp();
  assert.equal(b.lines[0]!.offset, 0);
  assert.ok(b.lines.length <= 1000);
});

test('LineBlock groups stack traces under their first line and inherits its level', async () => {
  const f = memFile(100);
  const b = new LineBlock(f.src);
  await b.jumpTo(0, 0);
  const head = b.lines[4]!;
  assert.equal(head.level, 'error');
  assert.equal(head.groupSize, 1);
  assert.equal(b.lines[5]!.head, head.offset);
  assert.equal(b.lines[5]!.level, 'error');
});

test('LineBlock.jumpTo a line start holds lines above and below; a newer jump wins', async () => {
  const f = memFile(5000);
  const b = new LineBlock(f.src);
  const p1 = b.jumpTo(f.offsets[100]!, 50, 100);
  const p2 = b.jumpTo(f.offsets[3000]!, 50, 100);
  assert.equal(await p1, false);
  assert.equal(await p2, true);
  assert.equal(b.lines[0]!.offset, f.offsets[2950]);
  assert.equal(b.lines[b.indexOf(f.offsets[3000]!)]!.offset, f.offsets[3000]);
});

test('seekTime bisects to the first line at or after a time', async () => {
  const f = memFile(200_000);
  const size = (await f.src.tail(1, new AbortController().signal)).size ?? 0;
  const read = (o: number, n: number) => f.src.from(o, n, new AbortController().signal);
  const off = await seekTime(read, size, '2025-01-01T10:00:00.000');
  // 10:00:00 = second 36000; line 36000 is a timestamped line (36000 % 10 = 0).
  assert.equal(off, f.offsets[36000]);
  assert.equal(await seekTime(read, size, '2030-01-01T00:00:00.000'), size);
  assert.equal(await seekTime(read, size, '2000-01-01T00:00:00.000'), 0);
});

test('Finder steps through matches in the held block, both ways, and wraps', async () => {
  const f = memFile(100);
  const b = new LineBlock(f.src);
  await b.jumpTo(0, 0);
  const fd = new Finder({ namespace: 'n', pod: 'p', uid: 'u', container: 'c', file: 'f' }, b);
  assert.equal((await fd.step('line 4', -1, 1))?.offset, f.offsets[4]);
  assert.equal((await fd.step('line 4', f.offsets[4]!, 1))?.offset, f.offsets[40]);
  assert.equal((await fd.step('line 4', f.offsets[40]!, -1))?.offset, f.offsets[4]);
  const w = await fd.step('line 4', f.offsets[49]!, 1);
  assert.equal(w?.offset, f.offsets[4]);
  assert.equal(w?.wrapped, true);
  assert.equal(await fd.step('absent', 0, 1), null);
});

test('Folds: single toggles, fold all, and toggles as exceptions to fold all', async () => {
  const { Folds } = await import('../src/viewer/folds.ts');
  const f = new Folds();
  assert.equal(f.has(10), false);
  f.toggle(10);
  assert.equal(f.has(10), true);
  f.setAll(true);
  assert.equal(f.has(10), true);
  assert.equal(f.has(20), true);
  f.toggle(20);
  assert.equal(f.has(20), false);
  f.setAll(false);
  assert.equal(f.has(20), false);
  assert.equal(f.has(10), false);
});

test('LineBlock stays within its character budget with very long lines, keeping one window', async () => {
  const long = 'x'.repeat(100_000);
  const n = 300;
  const size = n * (long.length + 1);
  const win = (from: number, to: number): ApiLines => ({
    lines: Array.from({ length: Math.max(0, to - from) }, (_, k) => ({ offset: (from + k) * (long.length + 1), text: long })),
    startOffset: from * (long.length + 1),
    nextOffset: Math.min(to, n) * (long.length + 1),
    size,
    eof: to >= n,
  });
  const idx = (off: number) => Math.ceil(off / (long.length + 1));
  const src: WindowSource = {
    from: async (off, count) => win(idx(off), Math.min(n, idx(off) + count)),
    before: async (off, count) => win(Math.max(0, idx(off) - count), idx(off)),
    tail: async (count) => win(n - count, n),
  };
  const b = new LineBlock(src, 6000, 20, 3_000_000);
  await b.jumpTo(0, 0);
  while (!b.eof) {
    await b.extendDown();
    const chars = b.lines.reduce((a, l) => a + l.text.length, 0);
    assert.ok(chars <= 3_000_000 || b.lines.length <= 20, `held ${chars} chars in ${b.lines.length} lines`);
    assert.equal(b.start, b.lines[0]!.offset);
  }
  assert.equal(b.lines[b.lines.length - 1]!.offset, (n - 1) * (long.length + 1));
});
