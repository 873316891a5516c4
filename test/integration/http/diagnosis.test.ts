/** GET /api/v1/namespaces/:ns/pods/:pod/diagnosis through express + supertest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { isPodlogError } from '../../../src/errors.ts';
import { diagnosisRouter } from '../../../src/http/routes/diagnosis.ts';
import type { DiagnoseInput } from '../../../src/diagnose/types.ts';

const NOW = new Date('2024-05-01T12:00:00Z');
const POD = {
  metadata: { name: 'orders-tm-1-1', namespace: 'flink-jobs', uid: '6f1c3a2e-0000-4000-8000-000000000001' },
  spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'app:1' }] },
  status: { phase: 'Pending', containerStatuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "db-credentials" not found' } } }] },
};

function app(calls: [string, string, string | undefined][] = []) {
  const a = express();
  a.use('/api/v1', diagnosisRouter({
    async getPodInput(ns, pod, uid): Promise<DiagnoseInput | undefined> {
      calls.push([ns, pod, uid]);
      return ns === 'flink-jobs' && pod === 'orders-tm-1-1' ? { pod: POD, events: [], now: NOW } : undefined;
    },
  }));
  // The lead's error middleware renders PodlogError the same way.
  a.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    if (isPodlogError(err)) res.status(err.status).json({ error: { code: err.code, message: err.message } });
    else res.status(500).json({ error: { code: 'PODLOG_E_INTERNAL', message: 'internal error' } });
  });
  return a;
}

test('JSON by default', async () => {
  const res = await request(app()).get('/api/v1/namespaces/flink-jobs/pods/orders-tm-1-1/diagnosis').expect(200);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
  assert.equal(res.body.severity, 'critical');
  assert.equal(res.body.findings[0].class, 'CreateContainerConfigError');
  assert.equal(res.body.now, '2024-05-01T12:00:00Z');
  assert.match(res.headers['vary'] ?? '', /Accept/);
});

test('prose with Accept: text/plain', async () => {
  const res = await request(app()).get('/api/v1/namespaces/flink-jobs/pods/orders-tm-1-1/diagnosis').set('Accept', 'text/plain').expect(200);
  assert.match(res.headers['content-type'] ?? '', /text\/plain/);
  assert.match(res.text, /^Container main of pod flink-jobs\/orders-tm-1-1 cannot be created: the Secret "db-credentials" it reads does not exist\./);
});

test('JSON preferred when both are acceptable with higher q for JSON', async () => {
  const res = await request(app()).get('/api/v1/namespaces/flink-jobs/pods/orders-tm-1-1/diagnosis').set('Accept', 'text/plain;q=0.5, application/json').expect(200);
  assert.match(res.headers['content-type'] ?? '', /application\/json/);
});

test('uid is passed through; unknown pod → 404 PODLOG_E_NOT_FOUND; bad names → 400', async () => {
  const calls: [string, string, string | undefined][] = [];
  const a = app(calls);
  await request(a).get('/api/v1/namespaces/flink-jobs/pods/orders-tm-1-1/diagnosis?uid=6f1c3a2e-0000-4000-8000-000000000001').expect(200);
  assert.deepEqual(calls[0], ['flink-jobs', 'orders-tm-1-1', '6f1c3a2e-0000-4000-8000-000000000001']);
  const nf = await request(a).get('/api/v1/namespaces/flink-jobs/pods/gone-0/diagnosis').expect(404);
  assert.deepEqual(nf.body, { error: { code: 'PODLOG_E_NOT_FOUND', message: 'no pod flink-jobs/gone-0 is known to this agent' } });
  const bad = await request(a).get('/api/v1/namespaces/Flink_Jobs/pods/x/diagnosis').expect(400);
  assert.equal(bad.body.error.code, 'PODLOG_E_BAD_PARAM');
  const badUid = await request(a).get('/api/v1/namespaces/flink-jobs/pods/orders-tm-1-1/diagnosis?uid=../../etc').expect(400);
  assert.equal(badUid.body.error.code, 'PODLOG_E_BAD_PARAM');
});
