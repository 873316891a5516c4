import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, rename, truncate, unlink, writeFile, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { follow, type FollowEvent } from '../../../src/logfile/follow.ts';
import type { Line } from '../../../src/logfile/line.ts';
import { lstatSafe, openSafe } from '../../../src/store/safe-open.ts';
import { waitFor } from '../../helpers/wait.ts';
import { tempRoot, type TempRoot } from './fixtures.ts';

let root: TempRoot;
beforeEach(async () => { root = await tempRoot(); });
afterEach(async () => { await root.cleanup(); });

interface Run {
  lines: Line[];
  events: string[];
  /** Lines and events in arrival order. */
  log: string[];
  stop: () => Promise<void>;
}

async function start(name: string, startOffset: number, opts: { watch?: boolean; goneAfterMs?: number } = {}): Promise<Run> {
  const ac = new AbortController();
  let started = false;
  const run: Run = { lines: [], events: [], log: [], stop: async () => {} };
  const done = follow({
    reopen: () => openSafe(root.dir, root.path(name)),
    statName: () => lstatSafe(root.dir, root.path(name)),
    startOffset,
    signal: ac.signal,
    pollMs: 20,
    ...(opts.watch !== undefined ? { watch: opts.watch } : {}),
    goneAfterMs: opts.goneAfterMs ?? 5000,
    onStart: () => { started = true; },
    onLines: (ls) => { for (const l of ls) { run.lines.push(l); run.log.push(`${l.offset}:${l.text}`); } },
    onEvent: (e: FollowEvent) => { run.events.push(e.type); run.log.push(`!${e.type}`); },
  });
  run.stop = async () => { ac.abort(); await done; };
  try {
    await waitFor(() => started, { what: 'follow to open the file' });
  } catch (e) {
    await run.stop();
    throw e;
  }
  return run;
}

const texts = (r: Run) => r.lines.map((l) => l.text);

for (const watch of [true, false]) {
  test(`emits appended complete lines, holds a partial one (watch=${watch})`, async () => {
    await writeFile(root.path('app.log'), 'old 1\nold 2\n');
    const r = await start('app.log', 12, { watch });
    try {
      await appendFile(root.path('app.log'), 'new 1\nnew');
      await waitFor(() => r.lines.length === 1, { what: 'first line' });
      assert.deepEqual(r.lines[0], { offset: 12, text: 'new 1', truncated: false, bytes: 6 });
      await appendFile(root.path('app.log'), ' 2\r\n');
      await waitFor(() => r.lines.length === 2, { what: 'completed partial line' });
      assert.deepEqual(texts(r), ['new 1', 'new 2']);
      assert.equal(r.lines[1]?.offset, 18);
    } finally {
      await r.stop();
    }
  });
}

test('rename + create: drains the old file, then reads the new one from 0', async () => {
  await writeFile(root.path('app.log'), '');
  const r = await start('app.log', 0);
  try {
    await appendFile(root.path('app.log'), 'a1\n');
    await waitFor(() => r.lines.length === 1);
    await appendFile(root.path('app.log'), 'a2\n'); // may or may not be seen before the rename
    await rename(root.path('app.log'), root.path('app.log.1'));
    await writeFile(root.path('app.log'), 'b1\n');
    await waitFor(() => r.lines.length === 3, { what: 'lines of both files' });
    assert.deepEqual(r.log, ['0:a1', '3:a2', '!rotated', '0:b1']);
  } finally {
    await r.stop();
  }
});

test('copytruncate: truncation restarts at 0', async () => {
  await writeFile(root.path('app.log'), 'x1\nx2\n');
  const r = await start('app.log', 0);
  try {
    await waitFor(() => r.lines.length === 2);
    await writeFile(root.path('app.log.1'), await readFile(root.path('app.log')));
    await truncate(root.path('app.log'), 0);
    await waitFor(() => r.events.includes('truncated'), { what: 'truncated event' });
    await appendFile(root.path('app.log'), 'y1\n');
    await waitFor(() => r.lines.length === 3);
    assert.deepEqual(r.log, ['0:x1', '3:x2', '!truncated', '0:y1']);
  } finally {
    await r.stop();
  }
});

test('log4j roll (rename chain .log.1 … .log.N) and gzip of the rotated file', async () => {
  await writeFile(root.path('app.log.1'), 'older\n');
  await writeFile(root.path('app.log'), 'c1\n');
  const r = await start('app.log', 0);
  try {
    await waitFor(() => r.lines.length === 1);
    await appendFile(root.path('app.log'), 'c2\n');
    // log4j RollingFileAppender: shift the chain, then rename the live file and create a new one
    await rename(root.path('app.log.1'), root.path('app.log.2'));
    await rename(root.path('app.log'), root.path('app.log.1'));
    await writeFile(root.path('app.log'), 'd1\n');
    await waitFor(() => r.events.includes('rotated'));
    // logrotate with compress: the rotated copy becomes .gz and the plain one disappears
    await writeFile(root.path('app.log.1.gz'), gzipSync(await readFile(root.path('app.log.1'))));
    await unlink(root.path('app.log.1'));
    await rename(root.path('app.log'), root.path('app.log.0'));
    await writeFile(root.path('app.log'), 'e1\n');
    await waitFor(() => r.lines.some((l) => l.text === 'e1'), { what: 'line of the third file' });
    assert.deepEqual(r.log, ['0:c1', '3:c2', '!rotated', '0:d1', '!rotated', '0:e1']);
  } finally {
    await r.stop();
  }
});

test('deleted then re-created: gone, back', async () => {
  await writeFile(root.path('app.log'), 'p1\npart');
  const r = await start('app.log', 0, { goneAfterMs: 0 });
  try {
    await waitFor(() => r.lines.length === 1);
    await unlink(root.path('app.log'));
    await waitFor(() => r.events.includes('gone'));
    await writeFile(root.path('app.log'), 'q1\n');
    await waitFor(() => r.lines.some((l) => l.text === 'q1'));
    // the unterminated last line of the old file is delivered as partial before switching
    assert.deepEqual(r.log, ['0:p1', '!gone', '3:part', '!back', '0:q1']);
    assert.equal(r.lines[1]?.partial, true);
  } finally {
    await r.stop();
  }
});

test('a line longer than maxLineBytes is emitted cut before its newline', async () => {
  await writeFile(root.path('app.log'), '');
  const ac = new AbortController();
  const got: Line[] = [];
  const done = follow({ reopen: () => openSafe(root.dir, root.path('app.log')), statName: () => lstatSafe(root.dir, root.path('app.log')), startOffset: 0, signal: ac.signal, pollMs: 20, maxLineBytes: 10, onLines: (ls) => void got.push(...ls) });
  try {
    await appendFile(root.path('app.log'), 'z'.repeat(50));
    await waitFor(() => got.length === 1);
    assert.equal(got[0]?.truncated, true);
    assert.match(got[0]!.text, /^z{10} … \[podlog: line cut at 10 bytes, total length not known yet\]$/);
    await appendFile(root.path('app.log'), 'zz\nok\n');
    await waitFor(() => got.length === 2);
    assert.deepEqual([got[1]?.offset, got[1]?.text], [53, 'ok']);
  } finally {
    ac.abort();
    await done;
  }
});

test('start offset past the end is clamped; abort resolves', async () => {
  await writeFile(root.path('app.log'), 'abc\n');
  const r = await start('app.log', 1000);
  try {
    await appendFile(root.path('app.log'), 'def\n');
    await waitFor(() => r.lines.length === 1);
    assert.deepEqual([r.lines[0]?.offset, r.lines[0]?.text], [4, 'def']);
  } finally {
    await r.stop();
  }
});

test('first reopen failing rejects', async () => {
  await assert.rejects(follow({ reopen: () => openSafe(root.dir, root.path('missing.log')), statName: () => lstatSafe(root.dir, root.path('missing.log')), startOffset: 0, signal: new AbortController().signal, onLines: () => {} }), { code: 'PODLOG_E_NOT_FOUND' });
});
