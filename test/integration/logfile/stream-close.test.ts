import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { gzRange, openDecompressed } from '../../../src/logfile/gzip.ts';
import { rangeStream } from '../../../src/logfile/range.ts';
import type { SafeFile } from '../../../src/store/safe-open.ts';
import { tempRoot, type TempRoot } from './fixtures.ts';

let root: TempRoot;
before(async () => { root = await tempRoot(); });
after(async () => { await root.cleanup(); });

const content = Buffer.from(Array.from({ length: 200_000 }, (_, i) => `line ${i}\n`).join(''));

/**
 * Record, in order, each positional read of `file` settling and the stream's `close`; start one read,
 * destroy the stream while it is in flight, then close the handle as a route does on `close`.
 */
async function destroyMidRead(file: SafeFile, stream: Readable): Promise<{ order: string[]; error: unknown }> {
  const order: string[] = [];
  const read = file.handle.read.bind(file.handle);
  let started!: () => void;
  const inFlight = new Promise<void>((r) => (started = r));
  file.handle.read = ((...args: Parameters<typeof read>) => {
    started();
    const p = read(...args);
    p.then(() => order.push('read settled'), () => order.push('read failed'));
    return p;
  }) as typeof file.handle.read;
  let error: unknown = null;
  stream.on('error', (e) => { error = e; });
  stream.once('close', () => order.push('close'));
  stream.read(0); // a read starts (at once for a range, on the next tick through a pipe for .gz)
  await inFlight;
  stream.destroy();
  await once(stream, 'close');
  await file.handle.close();
  return { order, error };
}

test('a range stream destroyed mid-read closes only after its read, and reads no more', async () => {
  const f = await root.file('plain.log', content);
  const { order, error } = await destroyMidRead(f, rangeStream(f, 0, content.length));
  assert.deepEqual(order, ['read settled', 'close']);
  assert.equal(error, null);
});

test('a decompressed .gz stream and a .gz range destroyed mid-read close after the file read', async () => {
  for (const [name, open] of [
    ['a.log.gz', (f: SafeFile) => openDecompressed(f)],
    ['b.log.gz', (f: SafeFile) => gzRange(f, 10, 100_000)],
  ] as const) {
    const f = await root.file(name, gzipSync(content));
    const { order, error } = await destroyMidRead(f, open(f));
    assert.equal(order.at(-1), 'close', `${name}: ${order.join(', ')}`);
    assert.ok(order.includes('read settled'), `${name}: ${order.join(', ')}`);
    assert.equal(error, null);
  }
});
