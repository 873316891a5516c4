/**
 * Shipping against the protocol-faithful test server: exactly-once ids and offsets, per-item 429s,
 * mapping errors to the dead-letter file, Elasticsearch down then back, rotation while shipping.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync, truncateSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { shipConfigSchema, type ShipConfigInput } from '../../../src/ship/config.ts';
import { createShipper, type Shipper } from '../../../src/ship/index.ts';
import { createEsClient } from '../../../src/ship/es-client.ts';
import { startFakeEs, type FakeEs } from '../../servers/fake-es.ts';
import { bytes, dirCatalog, expectedOffsets, flinkLines, logger, podDir, waitFor } from './helpers.ts';

const UID = '1f0e8c7a-0000-4000-8000-000000000001';

/** The client `main.ts` would build for `url` (no credentials). */
function esClient(url: string) {
  return createEsClient(config(url), {});
}

function config(url: string, extra: Partial<ShipConfigInput> = {}) {
  return shipConfigSchema.parse({
    esUrl: url, namespaces: ['flink'], pollMs: 30, checkpointIntervalMs: 30, multilineTimeoutMs: 60,
    flushIntervalMs: 10, flushBytes: 64 * 1024, backoffInitialMs: 5, backoffMaxMs: 40, ...extra,
  });
}

interface Env {
  root: string;
  state: string;
  dir: string;
  shipper: Shipper;
  registry: Registry;
  ctl: AbortController;
}

async function setup(fake: FakeEs, extra: Partial<ShipConfigInput> = {}, ns = 'flink'): Promise<Env> {
  const root = mkdtempSync(join(tmpdir(), 'podlog-ship-root-'));
  const state = mkdtempSync(join(tmpdir(), 'podlog-ship-state-'));
  const dir = podDir(root, ns, 'tm-0', UID, 'flink-main-container');
  const registry = new Registry();
  const shipper = createShipper({
    catalog: dirCatalog(root), priorityOf: () => ({ labels: { app: 'wordcount', 'app.kubernetes.io/name': 'flink' }, annotations: {}, jobId: 'a1b2' }),
    config: config(fake.url, extra), client: esClient(fake.url), stateDir: state, logger, metrics: registry, hostName: 'node-1',
  });
  const ctl = new AbortController();
  return { root, state, dir, shipper, registry, ctl };
}

async function teardown(env: Env): Promise<void> {
  await env.shipper.stop();
  rmSync(env.root, { recursive: true, force: true });
  rmSync(env.state, { recursive: true, force: true });
}

/** Every expected (path-content, offset) shipped exactly once: compare ids' offsets with the file. */
function docsByMessage(fake: FakeEs): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of fake.docs.values()) {
    const key = String(d.source.message);
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

describe('ship to the test server', () => {
  let fake: FakeEs;
  before(async () => {
    fake = await startFakeEs();
  });
  after(async () => {
    await fake.close();
  });

  it('ships every record once with ECS fields, ids = identity + offset, offsets = record starts', async () => {
    fake.docs.clear();
    const env = await setup(fake);
    const file = join(env.dir, 'taskmanager.log');
    writeFileSync(file, 'Starting kubernetes-taskmanager as a console application on host tm-0.\n' + flinkLines(300, { seed: 1 }));
    await env.shipper.start(env.ctl.signal);
    appendFileSync(file, flinkLines(200, { seed: 2 }));
    writeFileSync(join(env.dir, 'gc.log'), '[0.003s][info][gc] Using G1\n');
    await waitFor(async () => (await env.shipper.caughtUp()) && env.shipper.status().files.length === 1, 'catch-up');
    const content = bytes(file);
    const want = expectedOffsets(content);
    const docs = [...fake.docs.values()].filter((d) => (d.source.log as { file: { path: string } }).file.path === file);
    const got = docs.map((d) => (d.source.log as { offset: number }).offset).sort((a, b) => a - b);
    assert.deepEqual(got, want);
    for (const d of docs) assert.equal(d._id.split(':')[1], String((d.source.log as { offset: number }).offset));
    assert.equal(new Set(docs.map((d) => d._id.split(':')[0])).size, 1);
    const err = docs.find((d) => String(d.source.message).startsWith('record 1-0 '))!;
    const src = err.source as Record<string, any>;
    if (process.env.DBG) console.log(JSON.stringify(src));
    assert.equal(src['@timestamp'], '2024-05-01T00:16:40.000Z');
    assert.equal(src.log.level, 'ERROR');
    assert.equal(src.log.logger, 'org.apache.flink.runtime.taskexecutor.TaskExecutor');
    assert.match(src.error.stack_trace, /^java\.io\.IOException: unable to open JDBC writer\n\tat org\.apache/);
    assert.match(src.error.stack_trace, /\t\.\.\. 16 more$/);
    assert.equal(src.kubernetes.namespace, 'flink');
    assert.equal(src.kubernetes.pod.name, 'tm-0');
    assert.equal(src.kubernetes.pod.uid, UID);
    assert.equal(src.kubernetes.container.name, 'flink-main-container');
    assert.equal(src.kubernetes.labels['app_kubernetes_io/name'], 'flink');
    assert.equal(src.host.name, 'node-1');
    assert.equal(src.orchestrator.type, 'kubernetes');
    assert.equal(src.flink.job.id, 'a1b2');
    assert.deepEqual(src.data_stream, { type: 'logs', dataset: 'podlog.flink', namespace: 'flink' });
    assert.equal(err._index, 'logs-podlog.flink-flink');
    const pre = docs.find((d) => (d.source.log as { offset: number }).offset === 0)!;
    assert.equal(pre.source.message, 'Starting kubernetes-taskmanager as a console application on host tm-0.');
    assert.ok(fake.templates.has('podlog-logs'));
    assert.equal(env.shipper.unshippedBytes(file), 0);
    assert.equal(env.shipper.unshippedBytes(join(env.dir, 'gc.log')), 0, 'GC logs do not ship');
    const reg = JSON.parse(readFileSync(join(env.state, 'ship', 'registry.json'), 'utf8'));
    await waitFor(() => JSON.parse(readFileSync(join(env.state, 'ship', 'registry.json'), 'utf8')).entries[0].offset === content.length, 'checkpoint persisted');
    assert.equal(reg.version, 1);
    await teardown(env);
  });

  it('retries per-item 429s and whole-request 429/503/connection failures without loss or duplicates', async () => {
    fake.docs.clear();
    const env = await setup(fake);
    const file = join(env.dir, 'taskmanager.log');
    writeFileSync(file, flinkLines(400, { seed: 3 }));
    const rejected = new Set<string>();
    fake.itemFault = (a, _src, seq) => {
      if (seq % 5 === 0 && !rejected.has(a._id)) {
        rejected.add(a._id);
        return { status: 429, type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' };
      }
      return undefined;
    };
    fake.failNext.push({ status: 429 }, { status: 503 }, { status: 502 });
    await env.shipper.start(env.ctl.signal);
    await waitFor(() => rejected.size > 0, 'an item 429');
    fake.down = true;
    appendFileSync(file, flinkLines(200, { seed: 4 }));
    await waitFor(() => env.shipper.status().consecutiveFailures >= 3, 'retries while down');
    fake.down = false;
    await waitFor(() => env.shipper.caughtUp(), 'catch-up');
    fake.itemFault = undefined;
    const counts = docsByMessage(fake);
    assert.equal(counts.size, 600);
    for (const [msg, n] of counts) assert.equal(n, 1, msg);
    const want = expectedOffsets(bytes(file));
    assert.equal(want.length, 600);
    const metrics = await env.registry.getSingleMetricAsString('podlog_ship_documents_total');
    assert.match(metrics, /result="retried"} [1-9]/);
    assert.match(await env.registry.getSingleMetricAsString('podlog_ship_bulk_requests_total'), /outcome="retry"} [1-9]/);
    await teardown(env);
  });

  it('writes mapping errors to the dead-letter file with the reason and moves on', async () => {
    fake.docs.clear();
    const env = await setup(fake);
    const file = join(env.dir, 'jobmanager.log');
    writeFileSync(file, flinkLines(50, { seed: 5 }));
    fake.itemFault = (_a, src) =>
      src.includes('record 5-13 ') ? { status: 400, type: 'document_parsing_exception', reason: "[1:15] failed to parse field [log.offset] of type [long]" } : undefined;
    await env.shipper.start(env.ctl.signal);
    await waitFor(() => env.shipper.caughtUp(), 'catch-up');
    fake.itemFault = undefined;
    assert.equal(docsByMessage(fake).size, 49);
    const dl = readFileSync(join(env.state, 'ship', 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(dl.length, 1);
    assert.equal(dl[0].type, 'document_parsing_exception');
    assert.match(dl[0].reason, /failed to parse field/);
    assert.match(dl[0].doc, /record 5-13 /);
    assert.equal(dl[0].path, file);
    assert.match(await env.registry.getSingleMetricAsString('podlog_ship_documents_total'), /result="dead_lettered"} 1/);
    await teardown(env);
  });

  it('rotation while shipping (rename+create, copytruncate, .gz) neither re-ships nor skips', async () => {
    fake.docs.clear();
    const env = await setup(fake);
    const live = join(env.dir, 'taskmanager.log');
    writeFileSync(live, flinkLines(100, { seed: 10 }));
    await env.shipper.start(env.ctl.signal);
    appendFileSync(live, flinkLines(100, { seed: 11 }));
    // rename + create
    renameSync(live, `${live}.1`);
    writeFileSync(live, flinkLines(100, { seed: 12 }));
    appendFileSync(`${live}.1`, flinkLines(10, { seed: 13 })); // the writer's last lines before reopening
    await waitFor(() => env.shipper.caughtUp(), 'catch-up after rename');
    // compress the rotated file (logrotate compress): content already shipped
    writeFileSync(`${live}.1.gz`, gzipSync(readFileSync(`${live}.1`)));
    rmSync(`${live}.1`);
    // copytruncate of the live file while it grows
    appendFileSync(live, flinkLines(50, { seed: 14 }));
    copyFileSync(live, `${live}.2`);
    truncateSync(live, 0);
    appendFileSync(live, flinkLines(30, { seed: 15 }));
    try {
      await waitFor(async () => (await env.shipper.caughtUp()) && docsByMessage(fake).size >= 390, 'catch-up after copytruncate', 10_000);
    } catch (e) {
      console.log(docsByMessage(fake).size, JSON.stringify(env.shipper.status()), readFileSync(join(env.state, 'ship', 'registry.json'), 'utf8'));
      await teardown(env);
      throw e;
    }
    const counts = docsByMessage(fake);
    for (const [msg, n] of counts) assert.equal(n, 1, `shipped ${n} times: ${msg}`);
    assert.equal(counts.size, 390); // 100+100+100+10+50+30 records
    await waitFor(() => env.shipper.status().files.every((f) => !f.path.endsWith('.gz')), 'the .gz harvester finished', 3000).catch((e) => {
      console.log(JSON.stringify(env.shipper.status()), readFileSync(join(env.state, 'ship', 'registry.json'), 'utf8'));
      throw e;
    });
    assert.ok(existsSync(`${live}.1.gz`));
    await teardown(env);
  });

  it('restart resumes from the checkpoint: replays are 409s, nothing new is created twice', async () => {
    fake.docs.clear();
    const env = await setup(fake);
    const file = join(env.dir, 'taskmanager.log');
    writeFileSync(file, flinkLines(100, { seed: 20 }));
    await env.shipper.start(env.ctl.signal);
    await waitFor(() => env.shipper.caughtUp(), 'catch-up');
    await env.shipper.stop();
    appendFileSync(file, flinkLines(50, { seed: 21 }));
    const again = createShipper({
      catalog: dirCatalog(env.root), priorityOf: () => undefined, config: config(fake.url), client: esClient(fake.url), stateDir: env.state, logger,
      metrics: new Registry(), hostName: 'node-1',
    });
    await again.start(new AbortController().signal);
    await waitFor(async () => (await again.caughtUp()) && docsByMessage(fake).size === 150, 'catch-up after restart');
    for (const [msg, n] of docsByMessage(fake)) assert.equal(n, 1, msg);
    env.shipper = again;
    await teardown(env);
  });

  it('a file rotated while the agent was down is resumed where it stopped', async () => {
    fake.docs.clear();
    const env = await setup(fake);
    const live = join(env.dir, 'taskmanager.log');
    writeFileSync(live, flinkLines(80, { seed: 50 }));
    await env.shipper.start(env.ctl.signal);
    await waitFor(async () => (await env.shipper.caughtUp()) && docsByMessage(fake).size === 80, 'catch-up');
    await env.shipper.stop();
    appendFileSync(live, flinkLines(20, { seed: 51 })); // written before the rotation, never shipped
    renameSync(live, `${live}.1`);
    writeFileSync(live, flinkLines(30, { seed: 52 }));
    const again = createShipper({
      catalog: dirCatalog(env.root), priorityOf: () => undefined, config: config(fake.url), client: esClient(fake.url), stateDir: env.state, logger,
      metrics: new Registry(), hostName: 'node-1',
    });
    env.shipper = again;
    await again.start(new AbortController().signal);
    await waitFor(async () => (await again.caughtUp()) && docsByMessage(fake).size === 130, 'catch-up after restart');
    for (const [msg, n] of docsByMessage(fake)) assert.equal(n, 1, msg);
    await teardown(env);
  });

  it('policy follows label changes without a restart; lag and unshipped bytes are exposed', async () => {
    fake.docs.clear();
    const root = mkdtempSync(join(tmpdir(), 'podlog-ship-root-'));
    const state = mkdtempSync(join(tmpdir(), 'podlog-ship-state-'));
    const dir = podDir(root, 'jobs', 'tm-1', UID, 'flink-main-container');
    const file = join(dir, 'taskmanager.log');
    writeFileSync(file, flinkLines(40, { seed: 60 }));
    const info: { priority?: 'P0' | 'P1' | 'P2' | 'P3'; labels: Record<string, string>; annotations: Record<string, string> } = { priority: 'P3', labels: {}, annotations: {} };
    const registry = new Registry();
    const shipper = createShipper({
      catalog: dirCatalog(root), priorityOf: () => ({ ...info }), config: config(fake.url, { namespaces: [] }), client: esClient(fake.url), stateDir: state, logger,
      metrics: registry, hostName: 'node-1',
    });
    try {
      await shipper.start(new AbortController().signal);
      await waitFor(() => shipper.status().templateInstalled, 'template');
      assert.equal(shipper.unshippedBytes(file), 0, 'a P3 pod does not ship');
      assert.equal(shipper.status().files.length, 0);
      fake.down = true;
      info.priority = 'P0';
      shipper.refresh();
      await waitFor(() => shipper.status().files.length === 1, 'P0: harvesting starts');
      assert.equal(shipper.unshippedBytes(file), bytes(file).length, 'nothing acknowledged while Elasticsearch is down');
      const lagOfPod = async () => (await registry.getSingleMetric('podlog_ship_lag_bytes')!.get()).values.filter((v) => v.labels.namespace === 'jobs' && v.labels.pod === 'tm-1');
      await waitFor(async () => (await lagOfPod()).some((v) => v.value > 0), 'lag gauge');
      const text = await registry.metrics();
      assert.doesNotMatch(text, /taskmanager\.log|flink-main-container/, 'series are labelled by namespace and pod, never by file');
      fake.down = false;
      await waitFor(async () => (await shipper.caughtUp()) && docsByMessage(fake).size === 40, 'shipped');
      info.annotations = { 'podlog.io/ship': 'false' };
      shipper.refresh();
      await waitFor(() => shipper.status().files.length === 0, 'opt-out stops the harvester');
      await waitFor(async () => (await lagOfPod()).length === 0 && !/pod="tm-1"/.test(await registry.metrics()), 'lag series removed');
      appendFileSync(file, flinkLines(5, { seed: 61 }));
      assert.equal(shipper.unshippedBytes(file), 0, 'opted-out files are not protected from retention');
    } finally {
      await shipper.stop();
      rmSync(root, { recursive: true, force: true });
      rmSync(state, { recursive: true, force: true });
    }
  });
});
