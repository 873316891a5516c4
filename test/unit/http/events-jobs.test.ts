import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { ALLOW_ALL } from '../../../src/auth/types.ts';
import { isPodlogError } from '../../../src/errors.ts';
import { kubeDefaults } from '../../../src/kube/config.ts';
import type { ClusterLookup } from '../../../src/kube/index.ts';
import type { PodRecord, PodRecords } from '../../../src/kube/records.ts';
import { kubeRouter, type KubeRouterDeps } from '../../../src/http/routes/events-jobs.ts';
import type { CatalogView, PodEntry } from '../../../src/store/types.ts';

function rec(name: string, uid: string, labels: Record<string, string>, extra: Partial<PodRecord> = {}): PodRecord {
  return { version: 1, kind: 'Pod', namespace: 'flink', name, uid, scope: 'node', node: 'n1', firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:00.000Z',
    events: [{ metadata: { uid: `e-${uid}` }, involvedObject: { kind: 'Pod', uid }, reason: 'Started' }],
    pod: { metadata: { name, labels }, status: { phase: 'Running' } }, ...extra };
}

const records = [
  rec('wc-7c9b8d4f6d-x2x4z', 'jm1', { app: 'wc', component: 'jobmanager', type: 'flink-native-kubernetes', 'podlog.io/priority': 'P2' }),
  rec('wc-taskmanager-1-1', 'tm1', { app: 'wc', component: 'taskmanager', type: 'flink-native-kubernetes', 'podlog.io/priority': 'P0' }, { deletedAt: '2026-01-02T00:00:00.000Z' }),
];
const store: PodRecords = {
  get: (ns, name, uid) => records.find((r) => r.namespace === ns && r.name === name && (uid === undefined || r.uid === uid)),
  list: () => records,
  onChange: () => () => undefined,
};
const catalogPod = (name: string, uid: string): PodEntry => ({ namespace: 'flink', name, uid, root: '/r', path: `/r/flink_${name}_${uid}`, containers: new Map(), lastActivityMs: 0 });
const catalog: CatalogView = { pods: () => [catalogPod('wc-taskmanager-1-1', 'tm1'), catalogPod('wc-taskmanager-1-2', 'tm2'), catalogPod('redis-0', 'r0')], generations: () => [], onChange: () => () => undefined };

function app(deps: Partial<KubeRouterDeps>) {
  const a = express();
  a.use((req, _res, next) => {
    req.auth = { identity: { user: 'system:anonymous', groups: [], source: 'none' }, authorizer: ALLOW_ALL, forward: {} }; // as the app's authentication sets it
    next();
  });
  a.use('/api/v1', kubeRouter({ records: store, catalog, config: kubeDefaults(), ...deps }));
  a.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isPodlogError(err)) res.status(err.status).json({ error: { code: err.code, message: err.message } });
    else res.status(500).json({ error: { code: 'PODLOG_E_INTERNAL', message: String(err) } });
  });
  return a;
}

const lookup = (over: Partial<ClusterLookup> = {}): ClusterLookup => ({
  livePod: async () => undefined, isLeader: () => false, leader: () => ({ identity: 'agent-x', address: 'http://10.0.0.9:8080' }), owners: () => [], ...over,
});

test('events: from the record (gone pods too)', async () => {
  const res = await request(app({})).get('/api/v1/namespaces/flink/pods/wc-taskmanager-1-1/events').expect(200);
  assert.equal(res.body.source, 'record');
  assert.equal(res.body.deletedAt, '2026-01-02T00:00:00.000Z');
  assert.equal(res.body.events[0].reason, 'Started');
});

test('events: live pods from the API server, gone ones from the elected agent, else 404', async () => {
  const live = lookup({ livePod: async (ns, name) => (name === 'live-0' ? { pod: { metadata: { uid: 'L' } }, events: [{ metadata: { uid: 'x' }, involvedObject: {}, reason: 'Pulled' }] } : undefined) });
  let asked = '';
  let authorization: string | undefined;
  const askPeer = async (req: { get(h: string): string | undefined }, url: string) => {
    asked = url;
    authorization = req.get('authorization');
    return url.includes('gone-0') ? Response.json({ namespace: 'flink', pod: 'gone-0', uid: 'G', source: 'record', events: [] }) : new Response('{}', { status: 404 });
  };
  const a = app({ lookup: live, askPeer });
  assert.equal((await request(a).get('/api/v1/namespaces/flink/pods/live-0/events').expect(200)).body.source, 'api');
  const peer = await request(a).get('/api/v1/namespaces/flink/pods/gone-0/events').set('authorization', 'Bearer caller-token').expect(200);
  assert.equal(peer.body.source, 'peer');
  assert.equal(asked, 'http://10.0.0.9:8080/api/v1/namespaces/flink/pods/gone-0/events?local=1');
  assert.equal(authorization, 'Bearer caller-token', 'the peer client is handed the caller\'s request, to forward its credentials');
  const nf = await request(a).get('/api/v1/namespaces/flink/pods/never-0/events').expect(404);
  assert.equal(nf.body.error.code, 'PODLOG_E_NOT_FOUND');
  assert.equal((await request(a).get('/api/v1/namespaces/flink/pods/gone-0/events?local=1').expect(404)).body.error.code, 'PODLOG_E_NOT_FOUND');
  const broken = app({ lookup: lookup({ livePod: async () => { throw new Error('ECONNREFUSED'); } }) });
  assert.equal((await request(broken).get('/api/v1/namespaces/flink/pods/x/events').expect(502)).body.error.code, 'PODLOG_E_UPSTREAM');
});

test('events: bad names are 400, no cluster link is 503', async () => {
  assert.equal((await request(app({})).get('/api/v1/namespaces/Flink_/pods/x/events').expect(400)).body.error.code, 'PODLOG_E_BAD_PARAM');
  assert.equal((await request(app({ records: undefined })).get('/api/v1/namespaces/flink/pods/x/events').expect(503)).body.error.code, 'PODLOG_E_UNAVAILABLE');
});

test('jobs: records joined with log folders across states; unrecorded pods by Flink pod name', async () => {
  const res = await request(app({})).get('/api/v1/jobs').expect(200);
  assert.equal(res.body.jobs.length, 1);
  const wc = res.body.jobs[0];
  assert.equal(wc.id, 'wc');
  assert.equal(wc.priority, 'P0');
  assert.deepEqual(wc.states, { running: 1, deleted: 1, unrecorded: 1 });
  assert.deepEqual(wc.pods.map((p: { name: string; hasLogs: boolean; recorded: boolean; component: string }) => [p.name, p.component, p.hasLogs, p.recorded]), [
    ['wc-7c9b8d4f6d-x2x4z', 'jobmanager', false, true],
    ['wc-taskmanager-1-1', 'taskmanager', true, true],
    ['wc-taskmanager-1-2', 'taskmanager', true, false],
  ]);
  assert.equal((await request(app({})).get('/api/v1/jobs?namespace=other').expect(200)).body.jobs.length, 0);
});
