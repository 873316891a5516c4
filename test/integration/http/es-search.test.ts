/** `GET /es/search` against the test server: filters, links back to the node-local file, errors. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@elastic/elasticsearch';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { PodlogError } from '../../../src/errors.ts';
import { shipConfigSchema } from '../../../src/ship/config.ts';
import { esSearchRouter, type EsSearchDeps } from '../../../src/http/routes/es-search.ts';
import { startFakeEs, type FakeEs } from '../../servers/fake-es.ts';

const onError: ErrorRequestHandler = (err, _req, res, _next) => {
  const e = err instanceof PodlogError ? err : new PodlogError('PODLOG_E_INTERNAL', 'internal');
  res.status(e.status).json({ error: { code: e.code, message: e.message } });
};

function app(deps: EsSearchDeps) {
  const a = express();
  a.use('/api/v1', esSearchRouter(deps));
  a.use(onError);
  return a;
}

function doc(ns: string, pod: string, offset: number, message: string, ts: string, job?: string) {
  return {
    '@timestamp': ts, message, log: { level: 'ERROR', file: { path: `/var/log/podlog/${ns}_${pod}_uid-${pod}/flink-main-container/taskmanager.log` }, offset },
    kubernetes: { namespace: ns, pod: { name: pod, uid: `uid-${pod}` }, container: { name: 'flink-main-container' } },
    host: { name: 'node-1' }, ...(job ? { flink: { job: { id: job } } } : {}),
  };
}

describe('GET /api/v1/es/search', () => {
  let fake: FakeEs;
  let client: Client;
  const permissive = { assertRead: async () => undefined, readableFilter: async () => () => true };
  before(async () => {
    fake = await startFakeEs();
    client = new Client({ node: fake.url });
    const idx = 'logs-podlog.flink-flink';
    const put = (id: string, source: Record<string, unknown>) => fake.docs.set(id, { _index: idx, _id: id, source });
    put('a:0', doc('flink', 'tm-0', 0, 'Checkpoint 7 expired before completing', '2024-05-01T10:00:00.000Z', 'job1'));
    put('a:120', doc('flink', 'tm-0', 120, 'java.io.IOException: unable to open JDBC writer', '2024-05-01T11:00:00.000Z', 'job1'));
    put('b:0', doc('secret', 'jm-0', 0, 'JDBC writer failed in secret namespace', '2024-05-01T12:00:00.000Z', 'job2'));
  });
  after(async () => {
    await client.close();
    await fake.close();
  });

  it('answers 503 PODLOG_E_UNAVAILABLE when Elasticsearch is not configured', async () => {
    const res = await request(app({ config: shipConfigSchema.parse({}) })).get('/api/v1/es/search?q=x');
    assert.equal(res.status, 503);
    assert.equal(res.body.error.code, 'PODLOG_E_UNAVAILABLE');
  });

  it('searches message text and links each hit to the node-local file at its offset', async () => {
    const res = await request(app({ config: shipConfigSchema.parse({ esUrl: fake.url }), client, ...permissive })).get('/api/v1/es/search?q=JDBC writer&namespace=flink');
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 1);
    const h = res.body.hits[0];
    assert.equal(h.id, 'a:120');
    assert.equal(h.log.offset, 120);
    assert.equal(h.kubernetes.pod.name, 'tm-0');
    assert.equal(h.job, 'job1');
    assert.equal(h.link, '/api/v1/namespaces/flink/pods/tm-0/containers/flink-main-container/files/taskmanager.log?uid=uid-tm-0&offset=120');
  });

  it('filters by job, pod and time; newest first', async () => {
    const a = app({ config: shipConfigSchema.parse({ esUrl: fake.url }), client, ...permissive });
    assert.deepEqual((await request(a).get('/api/v1/es/search?job=job1')).body.hits.map((h: { id: string }) => h.id), ['a:120', 'a:0']);
    assert.deepEqual((await request(a).get('/api/v1/es/search?pod=jm-0')).body.hits.map((h: { id: string }) => h.id), ['b:0']);
    assert.deepEqual((await request(a).get('/api/v1/es/search?from=2024-05-01T10:30:00Z&to=1714561200000')).body.hits.map((h: { id: string }) => h.id), ['a:120']);
    assert.equal((await request(a).get('/api/v1/es/search?from=yesterday')).status, 400);
    assert.equal((await request(a).get('/api/v1/es/search?after=!!')).status, 400);
  });

  it('only searches namespaces the caller may read', async () => {
    const a = app({
      config: shipConfigSchema.parse({ esUrl: fake.url }), client,
      assertRead: async (_req, ns) => {
        if (ns !== 'flink') throw new PodlogError('PODLOG_E_FORBIDDEN', 'no');
      },
      readableFilter: async () => (ns) => ns === 'flink',
    });
    const res = await request(a).get('/api/v1/es/search?q=JDBC');
    assert.deepEqual(res.body.hits.map((h: { id: string }) => h.id), ['a:120']);
    assert.equal((await request(a).get('/api/v1/es/search?namespace=secret')).status, 403);
  });

  it('answers 502 PODLOG_E_UPSTREAM when Elasticsearch is unreachable', async () => {
    const dead = new Client({ node: 'http://127.0.0.1:9', maxRetries: 0 });
    const res = await request(app({ config: shipConfigSchema.parse({ esUrl: 'http://127.0.0.1:9' }), client: dead, ...permissive })).get('/api/v1/es/search?q=x');
    assert.equal(res.status, 502);
    assert.equal(res.body.error.code, 'PODLOG_E_UPSTREAM');
    await dead.close();
  });
});
