import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';
import { waitFor } from '../../helpers/wait.ts';
import { compileMatcher } from '../../../src/logfile/search.ts';
import { MAX_LINE_BYTES } from '../../../src/logfile/line.ts';
import { searchNode } from '../../../src/search/node-search.ts';
import { BATCH_BYTES, NdjsonSink } from '../../../src/search/ndjson-sink.ts';
import { searchRingsAllocated } from '../../../src/search/node-search.ts';
import { findRipgrep, ripgrepArgs, type Ripgrep } from '../../../src/search/ripgrep.ts';
import { searchNodeWithRipgrep } from '../../../src/search/rg-search.ts';

/** `lines` log lines of ~100 bytes; every fifth mentions Kafka (mixed case). */
function manyHitsLog(lines: number): { text: Buffer; hits: number } {
  const parts: string[] = [];
  let hits = 0;
  for (let i = 1; i <= lines; i++) {
    if (i % 5 === 0) {
      hits++;
      parts.push(`2026-11-20 10:00:00,${String(i % 1000).padStart(3, '0')} INFO  o.a.k.c.c.i.ConsumerCoordinator [] - KafkaConsumer ${i} joined group\n`);
    } else {
      parts.push(`2026-11-20 10:00:00,${String(i % 1000).padStart(3, '0')} INFO  o.a.f.r.c.CheckpointCoordinator [] - Triggering checkpoint ${i}\n`);
    }
  }
  return { text: Buffer.from(parts.join('')), hits };
}

function listen(app: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(app);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

function get(port: number, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path }, resolve);
    req.on('error', reject);
    req.end();
  });
}

const rg = findRipgrep({ engine: 'auto', ripgrepPath: '' }, process.env.PATH);
const ENGINES: { name: string; ripgrep?: Ripgrep; skip?: string }[] = [
  { name: 'built-in engine' },
  rg ? { name: `ripgrep engine (${rg.version})`, ripgrep: rg } : { name: 'ripgrep engine', skip: 'ripgrep (rg) is not installed: apt-get install ripgrep' },
];

for (const engine of ENGINES) describe(`search under load: many hits, slow clients, too many searches, ${engine.name}`, { skip: engine.skip ?? false }, () => {
  const root = makeRoot();
  const LINES = 400_000; // ~40 MB (scanned in parts on two workers), 80,000 hits
  const log = manyHitsLog(LINES);
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  let srv: { server: Server; port: number };
  before(async () => {
    root.file('team-a', 'kafka-bridge-0', uid(1), 'app', 'app.log', log.text);
    t = await buildTestApp(root, { ...(engine.ripgrep ? { ripgrep: engine.ripgrep } : {}), config: { search: { maxLimit: 1_000_000, maxConcurrent: 1, maxQueued: 0 } } });
    srv = await listen(t.app);
  });
  after(async () => {
    srv.server.closeAllConnections();
    srv.server.close();
    await t.close();
    root.cleanup();
  });

  test('a search matching 20% of the lines delivers every hit, in order, and ends with its done line', async () => {
    const res = await get(srv.port, '/api/v1/search?q=kafka&case=false&limit=1000000');
    assert.equal(res.statusCode, 200);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const rows = Buffer.concat(chunks).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = rows.at(-1)!;
    assert.equal(summary.done, true);
    assert.equal(summary.stopped_by, 'done');
    assert.equal(summary.matches, log.hits);
    const hits = rows.slice(0, -1);
    assert.equal(hits.length, log.hits);
    assert.deepEqual(hits.map((h) => h.line_number).slice(0, 3), [5, 10, 15]);
    assert.equal(hits.at(-1)!.line_number, LINES);
    assert.ok(hits.every((h, i) => h.line_number === 5 * (i + 1) && String(h.line).includes('KafkaConsumer')));
  });

  test('beyond search.maxConcurrent + maxQueued: 429 PODLOG_E_RATE_LIMITED with Retry-After; the slot frees when the client leaves', async () => {
    // a client that never reads holds its search (paused on backpressure) and so the only slot
    const holder = await get(srv.port, '/api/v1/search?q=kafka&case=false&limit=1000000');
    assert.equal(holder.statusCode, 200);
    holder.pause();
    const refused = await waitFor(async () => {
      const r = await get(srv.port, '/api/v1/search?q=nothing-matches-this');
      const body = await readAll(r);
      return r.statusCode === 429 ? { r, body } : undefined;
    }, { what: 'a refused search' });
    assert.equal(refused.r.headers['retry-after'], '10');
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'PODLOG_E_RATE_LIMITED');
    holder.destroy();
    const ok = await waitFor(async () => {
      const r = await get(srv.port, '/api/v1/search?q=nothing-matches-this');
      const body = await readAll(r);
      return r.statusCode === 200 ? body : undefined;
    }, { what: 'the slot freed after the holder left' });
    assert.equal((JSON.parse(ok.trim()) as { stopped_by: string }).stopped_by, 'done');
  });

  test('a consumer that never reads: the search pauses with at most high-water mark + one batch + one line buffered', { skip: engine.ripgrep ? 'the built-in scan loop (searchNode); the ripgrep engine has its own test below' : false }, async () => {
    // a response that accepts its first write and then never drains, like a client that stopped reading
    const HWM = 16 * 1024;
    const stuck = new Writable({ highWaterMark: HWM, write: () => {} });
    const sink = new NdjsonSink(stuck);
    let pushed = 0;
    let paused: Promise<boolean> | undefined;
    const ac = new AbortController();
    const search = searchNode(t.catalog, { namespace: 'team-a' }, compileMatcher('kafka', { regex: false, caseInsensitive: true }), { limit: 1_000_000, byteBudget: 1e12, deadline: Date.now() + 600_000 }, (hit) => {
      pushed++;
      const r = sink.push(JSON.stringify(hit));
      if (r instanceof Promise) paused = r;
      return r;
    }, ac.signal, pino({ level: 'silent' }));
    await waitFor(() => paused !== undefined, { what: "the search to pause on backpressure" });
    const held = stuck.writableLength + sink.pending;
    assert.ok(held <= HWM + BATCH_BYTES + 6 * MAX_LINE_BYTES, `held ${held} bytes`);
    const pushedAtPause = pushed;
    assert.ok(pushedAtPause < log.hits / 10, `pushed ${pushedAtPause} of ${log.hits} hits before pausing`);
    stuck.destroy(); // the client goes away: the paused push settles false and the search stops
    ac.abort();
    const summary = await search;
    assert.notEqual(summary.stopped_by, 'done');
    assert.equal(pushed, pushedAtPause, 'nothing was pushed while paused');
  });
});

describe('search under load, ripgrep engine: a consumer that never reads', { skip: rg ? false : 'ripgrep (rg) is not installed: apt-get install ripgrep' }, () => {
  const root = makeRoot();
  const log = manyHitsLog(400_000);
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  before(async () => {
    root.file('team-a', 'kafka-bridge-0', uid(1), 'app', 'app.log', log.text);
    t = await buildTestApp(root, { ripgrep: rg! });
  });
  after(async () => {
    await t.close();
    root.cleanup();
  });

  test('the search pauses (rg blocks on its pipe) with a bounded amount held, and stops when the client goes', async () => {
    const HWM = 16 * 1024;
    let written = 0;
    // accepts writes until one overflows its high-water mark, then never drains
    const stuck = new Writable({ highWaterMark: HWM, write: (chunk: Buffer, _enc, cb) => {
      written += chunk.length;
      if (written < HWM) cb();
    } });
    const sink = new NdjsonSink(stuck);
    const ac = new AbortController();
    const args = ripgrepArgs({ q: 'kafka', regex: false, ci: true })!;
    const search = searchNodeWithRipgrep(t.catalog, { namespace: 'team-a' }, args, compileMatcher('kafka', { regex: false, caseInsensitive: true }), { limit: 1_000_000, byteBudget: 1e12, deadline: Date.now() + 600_000 }, sink, ac.signal, pino({ level: 'silent' }), rg!);
    let settled = false;
    void search.then(() => (settled = true));
    await waitFor(() => stuck.writableLength > HWM, { what: 'the response to fill' });
    const held = stuck.writableLength + sink.pending;
    assert.ok(held <= HWM + 2 * BATCH_BYTES + MAX_LINE_BYTES, `held ${held} bytes`);
    assert.ok(written < log.text.length / 10, `wrote ${written} bytes before pausing`);
    assert.equal(settled, false);
    stuck.destroy();
    ac.abort();
    const summary = await search;
    assert.notEqual(summary.stopped_by, 'done');
    assert.ok(summary.matches < log.hits, `${summary.matches} of ${log.hits} hits taken`);
  });
});

async function readAll(r: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

test('NdjsonSink batches lines into writes of about BATCH_BYTES', async () => {
  const writes: number[] = [];
  const out = new Writable({ write: (chunk: Buffer, _enc, cb) => { writes.push(chunk.length); cb(); } });
  const sink = new NdjsonSink(out);
  const line = 'x'.repeat(99);
  for (let i = 0; i < 10_000; i++) {
    const r = sink.push(line);
    if (r instanceof Promise) await r;
  }
  await sink.end('{"done":true}');
  await once(out, 'finish');
  assert.equal(writes.reduce((a, b) => a + b, 0), 10_000 * 100 + '{"done":true}\n'.length);
  assert.ok(writes.length <= Math.ceil((10_000 * 100) / BATCH_BYTES) + 2, `${writes.length} writes`);
});

describe('search on worker threads', () => {
  const root = makeRoot();
  let inWorkers: Awaited<ReturnType<typeof buildTestApp>>;
  let inThread: Awaited<ReturnType<typeof buildTestApp>>;
  before(async () => {
    for (let p = 0; p < 12; p++) {
      const lines = Array.from({ length: 2000 }, (_, i) => (i % 300 === 7 ? `line ${i} of pod ${p}: Checkpoint FAILED` : `line ${i} of pod ${p}: ok`));
      root.file('team-b', `job-${p}`, uid(100 + p), 'app', 'app.log', lines.join('\n') + '\n');
      root.file('team-b', `job-${p}`, uid(100 + p), 'app', 'app.log.1', 'older: checkpoint failed\n');
    }
    root.file('team-b', 'job-0', uid(100), 'app', 'core.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1]));
    inWorkers = await buildTestApp(root, { config: { search: { workers: 2 } } });
    inThread = await buildTestApp(root, { config: { search: { workers: 0 } } });
  });
  after(async () => {
    await inWorkers.close();
    await inThread.close();
    root.cleanup();
  });

  const search = async (t: typeof inWorkers, qs: string) => {
    const { default: request } = await import('supertest');
    const res = await request(t.app).get(`/api/v1/search?${qs}`).expect(200);
    return res.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  test('hits, order and summary are those of the in-thread scan, across many files', async () => {
    for (const qs of ['q=checkpoint+failed&case=false&limit=100000', 'q=FAILED%24&regex=true', 'q=nothing-here']) {
      const a = await search(inWorkers, qs);
      const b = await search(inThread, qs);
      assert.deepEqual(a, b, qs);
      assert.equal(a.at(-1)!.done, true);
    }
    const all = await search(inWorkers, 'q=checkpoint+failed&case=false&limit=100000');
    assert.equal(all.length - 1, 12 * 7 + 12);
    assert.equal(all.at(-1)!.files_skipped, 1); // the binary file
  });

  test('searching many files reuses the hit rings: their number follows the jobs in flight, not the files', async () => {
    await search(inWorkers, 'q=ok&limit=100000');
    const before = searchRingsAllocated();
    for (let i = 0; i < 5; i++) await search(inWorkers, 'q=ok&limit=100000'); // 25 files each
    assert.equal(searchRingsAllocated(), before, 'no new ring after the first search');
    assert.ok(before <= 16, `${before} rings for at most 2 workers' jobs in flight`);
  });

  test('a limit cuts exactly, across file boundaries, and says so', async () => {
    const rows = await search(inWorkers, 'q=FAILED&limit=10');
    assert.equal(rows.length, 11);
    assert.equal(rows.at(-1)!.stopped_by, 'limit');
    assert.equal(rows.at(-1)!.matches, 10);
    assert.deepEqual(rows.slice(0, 10), (await search(inThread, 'q=FAILED&limit=10')).slice(0, 10));
  });
});
