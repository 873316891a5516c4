import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { utimesSync } from 'node:fs';
import request from 'supertest';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';

const JM = [
  '2026-11-20 10:00:00,001 INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint        [] - Starting StandaloneSessionClusterEntrypoint.',
  '2026-11-20 10:00:01,002 WARN  org.apache.flink.runtime.checkpoint.CheckpointCoordinator    [] - Checkpoint 3 expired before completing.',
  '2026-11-20 10:00:02,003 ERROR org.apache.flink.runtime.executiongraph.ExecutionGraph       [] - Job failed.',
  'java.lang.RuntimeException: injected failure',
  '\tat com.example.Enrich.map(Enrich.java:42)',
];
const TEXT = JM.join('\n') + '\n';

describe('pods and files API', () => {
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  const base = '/api/v1/namespaces/flink-jobs/pods/orders-enrich-6d5f7b9c8-x2kqp/containers/flink-main-container/files';
  before(async () => {
    root.file('flink-jobs', 'orders-enrich-6d5f7b9c8-x2kqp', uid(1), 'flink-main-container', 'jobmanager.log', TEXT);
    const r1 = root.file('flink-jobs', 'orders-enrich-6d5f7b9c8-x2kqp', uid(1), 'flink-main-container', 'jobmanager.log.1', 'old line 1\nold line 2\n');
    const r2 = root.file('flink-jobs', 'orders-enrich-6d5f7b9c8-x2kqp', uid(1), 'flink-main-container', 'jobmanager.log.2.gz', gzipSync('gz line 1\ngz line 2\ngz line 3\n'));
    utimesSync(r1, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    utimesSync(r2, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    // an older generation of the same pod name, finished long ago
    const old = root.file('flink-jobs', 'orders-enrich-6d5f7b9c8-x2kqp', uid(0), 'flink-main-container', 'jobmanager.log', 'first generation\n');
    utimesSync(old, new Date('2026-01-01'), new Date('2026-01-01'));
    root.file('other', 'web-0', uid(2), 'nginx', 'access.log', 'GET /\n');
    // a copy of the kubelet's CRI log: a line split into a partial (P) and a final (F) record
    root.file('other', 'web-0', uid(2), 'nginx', 'stdio-0.cri.log', '2026-11-20T10:00:00.000000001Z stdout P hello \n2026-11-20T10:00:00.000000002Z stdout F world\n2026-11-20T10:00:01.000000000Z stderr F oops\n');
    t = await buildTestApp(root);
  });
  after(async () => {
    await t.close();
    root.cleanup();
  });

  test('GET /pods lists every pod generation, newest activity first, with containers and files', async () => {
    const res = await request(t.app).get('/api/v1/pods').expect(200);
    assert.equal(res.body.items.length, 3);
    const gens = res.body.items.filter((p: { name: string }) => p.name === 'orders-enrich-6d5f7b9c8-x2kqp');
    assert.deepEqual(gens.map((p: { uid: string }) => p.uid), [uid(1), uid(0)]);
    const files = gens[0].containers[0].files; // live first, then rotated newest first
    assert.deepEqual(files.map((f: { name: string; live: boolean; kind: string }) => [f.name, f.live, f.kind]), [
      ['jobmanager.log', true, 'live'],
      ['jobmanager.log.1', false, 'rotated'],
      ['jobmanager.log.2.gz', false, 'compressed'],
    ]);
    assert.equal(files[0].size, Buffer.byteLength(TEXT));
    assert.ok(Date.parse(gens[0].createdAt) > 0, 'createdAt from the pod folder');
    assert.equal(typeof files[0].mtime, 'number');
    const ns = await request(t.app).get('/api/v1/pods?namespace=other').expect(200);
    assert.deepEqual(ns.body.items.map((p: { name: string }) => p.name), ['web-0']);
    const exited = await request(t.app).get('/api/v1/pods?state=exited').expect(200);
    assert.deepEqual(exited.body.items.map((p: { uid: string }) => p.uid), [uid(0)]);
    await request(t.app).get('/api/v1/pods?state=sleeping').expect(400);
  });

  test('GET one pod: newest generation, ?uid picks another, generations listed', async () => {
    const res = await request(t.app).get('/api/v1/namespaces/flink-jobs/pods/orders-enrich-6d5f7b9c8-x2kqp').expect(200);
    assert.equal(res.body.uid, uid(1));
    assert.equal(res.body.generations.length, 2);
    const old = await request(t.app).get(`/api/v1/namespaces/flink-jobs/pods/orders-enrich-6d5f7b9c8-x2kqp?uid=${uid(0)}`).expect(200);
    assert.equal(old.body.uid, uid(0));
    assert.equal(old.body.state, 'exited');
    const missing = await request(t.app).get('/api/v1/namespaces/flink-jobs/pods/nope').expect(404);
    assert.equal(missing.body.error.code, 'PODLOG_E_NOT_FOUND');
  });

  test('raw bytes, Range 206 and 416, download', async () => {
    const res = await request(t.app).get(`${base}/jobmanager.log`).expect(200);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.text, TEXT);
    const part = await request(t.app).get(`${base}/jobmanager.log`).set('Range', 'bytes=0-9').expect(206);
    assert.equal(part.text, TEXT.slice(0, 10));
    assert.equal(part.headers['content-range'], `bytes 0-9/${Buffer.byteLength(TEXT)}`);
    const suffix = await request(t.app).get(`${base}/jobmanager.log`).set('Range', 'bytes=-5').expect(206);
    assert.equal(suffix.text, TEXT.slice(-5));
    const bad = await request(t.app).get(`${base}/jobmanager.log`).set('Range', 'bytes=99999-').expect(416);
    assert.equal(bad.body.error.code, 'PODLOG_E_RANGE');
    assert.equal(bad.headers['content-range'], `bytes */${Buffer.byteLength(TEXT)}`);
    const dl = await request(t.app).get(`${base}/jobmanager.log?download=1`).expect(200);
    assert.match(dl.headers['content-disposition'] ?? '', /attachment; filename="?jobmanager.log"?/);
  });

  test('?tail=N as text and JSON', async () => {
    const res = await request(t.app).get(`${base}/jobmanager.log?tail=2`).expect(200);
    assert.equal(res.text, JM.slice(-2).join('\n') + '\n');
    const json = await request(t.app).get(`${base}/jobmanager.log?tail=2&format=json`).expect(200);
    assert.deepEqual(json.body.lines.map((l: { text: string }) => l.text), JM.slice(-2));
    assert.equal(json.body.lines[0].offset, Buffer.byteLength(JM.slice(0, 3).join('\n') + '\n'));
    assert.equal(json.body.nextOffset, Buffer.byteLength(TEXT));
    await request(t.app).get(`${base}/jobmanager.log?tail=-1`).expect(400);
    await request(t.app).get(`${base}/jobmanager.log?tail=abc`).expect(400);
  });

  test('line windows forward and backward', async () => {
    const fwd = await request(t.app).get(`${base}/jobmanager.log/lines?from=0&count=2`).expect(200);
    assert.deepEqual(fwd.body.lines.map((l: { text: string }) => l.text), JM.slice(0, 2));
    assert.equal(fwd.body.lines[1].lineNumber, 2);
    const next = await request(t.app).get(`${base}/jobmanager.log/lines?from=${fwd.body.nextOffset}&count=100`).expect(200);
    assert.deepEqual(next.body.lines.map((l: { text: string }) => l.text), JM.slice(2));
    assert.equal(next.body.eof, true);
    const back = await request(t.app).get(`${base}/jobmanager.log/lines?before=${fwd.body.nextOffset}&count=1`).expect(200);
    assert.deepEqual(back.body.lines.map((l: { text: string }) => l.text), [JM[1]]);
    await request(t.app).get(`${base}/jobmanager.log/lines?from=1&before=2`).expect(400);
  });

  test('.gz files are served decompressed', async () => {
    const res = await request(t.app).get(`${base}/jobmanager.log.2.gz`).expect(200);
    assert.equal(res.text, 'gz line 1\ngz line 2\ngz line 3\n');
    const tail = await request(t.app).get(`${base}/jobmanager.log.2.gz?tail=1`).expect(200);
    assert.equal(tail.text, 'gz line 3\n');
    const win = await request(t.app).get(`${base}/jobmanager.log.2.gz/lines?from=0&count=2`).expect(200);
    assert.deepEqual(win.body.lines.map((l: { text: string }) => l.text), ['gz line 1', 'gz line 2']);
    const dl = await request(t.app).get(`${base}/jobmanager.log.2.gz?download=1`).expect(200);
    assert.match(dl.headers['content-disposition'] ?? '', /filename="?jobmanager.log.2"?$/);
  });

  test('copies of container stdout/stderr (CRI format) are decoded when viewed, raw on request', async () => {
    const cri = '/api/v1/namespaces/other/pods/web-0/containers/nginx/files/stdio-0.cri.log';
    const text = await request(t.app).get(cri).expect(200);
    assert.equal(text.text, '2026-11-20T10:00:00.000000001Z stdout hello world\n2026-11-20T10:00:01.000000000Z stderr oops\n');
    const tail = await request(t.app).get(`${cri}?tail=1`).expect(200);
    assert.equal(tail.text, '2026-11-20T10:00:01.000000000Z stderr oops\n');
    const win = await request(t.app).get(`${cri}/lines?from=0&count=10`).expect(200);
    assert.deepEqual(win.body.lines.map((l: { text: string; offset: number }) => [l.offset, l.text]), [
      [0, '2026-11-20T10:00:00.000000001Z stdout hello world'],
      [93, '2026-11-20T10:00:01.000000000Z stderr oops'],
    ]);
    const raw = await request(t.app).get(`${cri}?decode=raw&tail=1`).expect(200);
    assert.match(raw.text, / stderr F oops/);
    const pod = await request(t.app).get('/api/v1/namespaces/other/pods/web-0').expect(200);
    assert.equal(pod.body.containers[0].files.find((f: { name: string }) => f.name === 'stdio-0.cri.log').stdio, true);
  });

  test('unknown routes and files answer 404 in the JSON error shape', async () => {
    const a = await request(t.app).get('/api/v1/nothing').expect(404);
    assert.equal(a.body.error.code, 'PODLOG_E_NOT_FOUND');
    const b = await request(t.app).get(`${base}/missing.log`).expect(404);
    assert.equal(b.body.error.code, 'PODLOG_E_NOT_FOUND');
    const c = await request(t.app).get('/api/v1/namespaces/flink-jobs/pods/orders-enrich-6d5f7b9c8-x2kqp/containers/nope/files/x.log').expect(404);
    assert.match(c.body.error.message, /no file nope\/x.log/);
  });

  test('health, readiness and Prometheus metrics', async () => {
    await request(t.app).get('/healthz').expect(200);
    const ready = await request(t.app).get('/readyz').expect(200);
    assert.equal(ready.body.pods, 3);
    await request(t.app).get(`${base}/jobmanager.log`).expect(200);
    const m = await request(t.app).get('/metrics').expect(200);
    for (const name of ['podlog_bytes_served_total', 'podlog_search_bytes_scanned_total', 'podlog_follow_clients', 'podlog_errors_total{code="PODLOG_E_NOT_FOUND"}']) {
      assert.ok(m.text.includes(name), name);
    }
    const served = /^podlog_bytes_served_total (\d+)/m.exec(m.text);
    assert.ok(served && Number(served[1]) >= Buffer.byteLength(TEXT));
  });
});
