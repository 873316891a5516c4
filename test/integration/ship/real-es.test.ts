/**
 * Shipping into a real Elasticsearch (integ-test-zip, see test/servers/real-es.ts), one server for the
 * whole file: exactly-once after kill -9 of the agent, and after Elasticsearch is stopped under load and
 * restarted on the same port. Skipped loudly when Elasticsearch cannot start on this machine.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import { Registry } from 'prom-client';
import { shipConfigSchema } from '../../../src/ship/config.ts';
import { createShipper } from '../../../src/ship/index.ts';
import { createEsClient } from '../../../src/ship/es-client.ts';
import { esSearchRouter } from '../../../src/http/routes/es-search.ts';
import express from 'express';
import request from 'supertest';
import { startRealEs, type RealEs } from '../../servers/real-es.ts';
import { bytes, dirCatalog, expectedOffsets, flinkLines, logger, podDir, waitFor } from './helpers.ts';
import split2 from 'split2';

const here = dirname(fileURLToPath(import.meta.url));
const node = process.execPath;

let es: RealEs | undefined;
let skip: string | undefined;
let client: Client;

/** All shipped docs of one file: sorted offsets, and the `_id` of each. */
async function shipped(index: string, path: string): Promise<{ offsets: number[]; ids: string[] }> {
  await client.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true });
  const offsets: number[] = [];
  const ids: string[] = [];
  let after: (string | number)[] | undefined;
  for (;;) {
    const r = await client.search<{ log: { offset: number } }>({
      index, size: 5000, query: { term: { 'log.file.path': path } }, sort: [{ 'log.offset': 'asc' }], _source: ['log.offset'],
      ...(after ? { search_after: after } : {}),
    });
    const hits = r.hits.hits;
    if (hits.length === 0) break;
    for (const h of hits) {
      offsets.push(h._source!.log.offset);
      ids.push(h._id!);
    }
    after = hits[hits.length - 1]!.sort as (string | number)[];
  }
  return { offsets, ids };
}

async function count(index: string): Promise<number> {
  try {
    await client.indices.refresh({ index, allow_no_indices: true, ignore_unavailable: true });
    return (await client.count({ index, allow_no_indices: true, ignore_unavailable: true })).count;
  } catch {
    return 0;
  }
}

function assertExactlyOnce(file: string, got: { offsets: number[]; ids: string[] }): void {
  const want = expectedOffsets(bytes(file));
  assert.equal(got.offsets.length, want.length, 'document count equals record count');
  assert.deepEqual(got.offsets, want, 'offsets equal the records\' first-line offsets');
  const prefix = got.ids[0]!.split(':')[0];
  assert.deepEqual(got.ids, want.map((o) => `${prefix}:${o}`), 'ids are file identity + offset');
}

function spawnAgent(root: string, state: string): { child: ChildProcess; started: Promise<void> } {
  const child = spawn(node, ['--import', 'tsx', join(here, 'agent-child.ts'), root, state, es!.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const started = new Promise<void>((res, rej) => {
    child.stdout!.pipe(split2()).on('data', (line: string) => {
      if (line === 'started') res();
    });
    child.once('exit', (c) => rej(new Error(`agent exited ${c}`)));
  });
  return { child, started };
}

describe('ship to a real Elasticsearch', { timeout: 600_000 }, () => {
  before(async () => {
    const r = await startRealEs();
    if ('skip' in r) {
      skip = r.skip;
      console.warn(`\n!!! SKIPPING real Elasticsearch tests: ${skip}\n`);
      return;
    }
    es = r;
    client = new Client({ node: es.url });
  });
  after(async () => {
    await client?.close();
    await es?.close();
  });

  it('kill -9 of the agent while shipping, then restart: every record present exactly once', async (t) => {
    if (!es) return t.skip(skip);
    const root = mkdtempSync(join(tmpdir(), 'podlog-ship-root-'));
    const state = mkdtempSync(join(tmpdir(), 'podlog-ship-state-'));
    const kids: ChildProcess[] = [];
    try {
      const dir = podDir(root, 'flink', 'tm-kill', 'uid-kill', 'flink-main-container');
      const file = join(dir, 'taskmanager.log');
      writeFileSync(file, flinkLines(8_000, { seed: 30 }));
      const index = 'logs-podlog.flink-flink';
      const a = spawnAgent(root, state);
      kids.push(a.child);
      await a.started;
      await waitFor(async () => (await count(index)) > 500, 'first documents', 120_000, 100);
      appendFileSync(file, flinkLines(1000, { seed: 31 }));
      a.child.kill('SIGKILL');
      await new Promise((r) => a.child.once('exit', r));
      const mid = await count(index);
      appendFileSync(file, flinkLines(1000, { seed: 32 }));
      const b = spawnAgent(root, state);
      kids.push(b.child);
      await b.started;
      const want = expectedOffsets(bytes(file)).length;
      await waitFor(async () => (await count(index)) >= want, `all ${want} records (had ${mid} at the kill)`, 240_000, 500);
      assert.ok(mid < want, 'the agent was killed mid-way');
      assertExactlyOnce(file, await shipped(index, file));
    } finally {
      for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('Elasticsearch stopped under load and restarted on the same port: retries with backoff, exactly once', async (t) => {
    if (!es) return t.skip(skip);
    const root = mkdtempSync(join(tmpdir(), 'podlog-ship-root-'));
    const state = mkdtempSync(join(tmpdir(), 'podlog-ship-state-'));
    const dir = podDir(root, 'flink-down', 'jm-0', 'uid-down', 'flink-main-container');
    const file = join(dir, 'jobmanager.log');
    const index = 'logs-podlog.flink-flink_down';
    const waits: number[] = [];
    const config = shipConfigSchema.parse({
      esUrl: es.url, namespaces: ['flink-down'], pollMs: 50, checkpointIntervalMs: 50, multilineTimeoutMs: 100,
      flushBytes: 128 * 1024, flushIntervalMs: 20, concurrency: 2, backoffInitialMs: 50, backoffMaxMs: 1000, requestTimeoutMs: 10_000,
      maxInFlightBytes: 1024 * 1024,
    });
    const shipper = createShipper({
      catalog: dirCatalog(root), priorityOf: () => undefined, config, client: createEsClient(config, {}),
      stateDir: state, logger, metrics: new Registry(), hostName: 'node-1',
      sleep: (ms, signal) => {
        waits.push(ms);
        return new Promise((r) => {
          const tm = setTimeout(r, ms);
          signal.addEventListener('abort', () => (clearTimeout(tm), r()), { once: true });
        });
      },
    });
    try {
      writeFileSync(file, flinkLines(5_000, { seed: 40 }));
      await shipper.start(new AbortController().signal);
      await waitFor(async () => (await count(index)) > 300, 'first documents', 120_000, 100);
      await es.stop();
      for (let i = 0; i < 5; i++) appendFileSync(file, flinkLines(1000, { seed: 41 + i }));
      await waitFor(() => shipper.status().consecutiveFailures >= 6, 'retries while Elasticsearch is down', 60_000);
      assert.ok(shipper.status().inFlightBytes <= 1024 * 1024 + 64 * 1024, 'memory bounded by in-flight bytes while down');
      assert.ok(Math.max(...waits) <= 1000 && waits.length >= 6, 'capped backoff');
      assert.ok(!(await shipper.caughtUp()));
      await es.start();
      await waitFor(() => shipper.caughtUp(), 'catch-up after restart', 240_000, 200);
      const dl = join(state, 'ship', 'dead-letter.ndjson');
      assert.equal(existsSync(dl) ? readFileSync(dl, 'utf8') : '', '', 'no dead letters');
      assertExactlyOnce(file, await shipped(index, file));
      assert.ok(existsSync(join(state, 'ship', 'registry.json')));
      assert.equal(JSON.parse(readFileSync(join(state, 'ship', 'registry.json'), 'utf8')).version, 1);
    } finally {
      await shipper.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('GET /es/search finds shipped records in the real server and links back to the file', async (t) => {
    if (!es) return t.skip(skip);
    const cfg = shipConfigSchema.parse({ esUrl: es.url });
    const app = express().use('/api/v1', esSearchRouter({ config: cfg, client, assertRead: async () => undefined, readableFilter: async () => () => true }));
    const res = await request(app).get('/api/v1/es/search').query({ q: 'record 30-7 completed', namespace: 'flink', size: 5 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.total >= 1);
    const hit = res.body.hits.find((h: { message: string }) => h.message.startsWith('record 30-7 '));
    assert.ok(hit, 'the record is found');
    assert.equal(hit.log.level, 'ERROR');
    assert.match(hit.link, /^\/api\/v1\/namespaces\/flink\/pods\/tm-kill\/containers\/flink-main-container\/files\/taskmanager\.log\?uid=uid-kill&offset=\d+$/);
    // "postgres-service" tokenizes the same with the pattern and the standard analyzer (the integ-test-zip lacks the former)
    const stack = await request(app).get('/api/v1/es/search').query({ q: 'postgres service', pod: 'tm-kill', size: 2 });
    assert.equal(stack.body.hits.length, 2);
    assert.ok(stack.body.next, 'a cursor for the next page');
    const page2 = await request(app).get('/api/v1/es/search').query({ q: 'postgres service', pod: 'tm-kill', size: 2, after: stack.body.next });
    assert.equal(page2.status, 200);
    assert.notEqual(page2.body.hits[0].id, stack.body.hits[0].id);
  });
});
