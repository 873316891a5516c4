/**
 * The agent's diagnosis reads the objects that name what is at fault (claim, StorageClass, provisioner)
 * from the API server through its cluster link, best effort; `/problems` lists pods refused at creation
 * from the Lease holder's owner records.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { pino } from 'pino';
import { FakeKube, kubeConfigFor } from '../../servers/fake-kube.ts';
import { kubeApi } from '../../../src/kube/api.ts';
import { fetchRelated } from '../../../src/kube/related-objects.ts';
import { diagnosisSource } from '../../../src/http/diagnosis-source.ts';
import { diagnosisRouter } from '../../../src/http/routes/diagnosis.ts';
import { problemsRouter } from '../../../src/http/routes/problems.ts';
import type { Catalog } from '../../../src/store/catalog.ts';
import { event, pod, startAgent, tempDir, waitFor, type Agent } from './helpers.ts';

const NS = 'shop';
let fake: FakeKube;
let agent: Agent;
let state: { dir: string; cleanup: () => Promise<void> };

/** A pod the scheduler cannot place: its claim `data-<name>` is unbound (message as kube-scheduler 1.37 writes it). */
function pendingWithClaim(name: string): any {
  const p = pod(name, undefined, { app: name }, NS);
  p.spec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: `data-${name}` } }];
  p.status.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: '2026-01-01T00:00:00Z',
    message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.' }];
  return p;
}

function claim(name: string): void {
  fake.putObject(`/api/v1/namespaces/${NS}/persistentvolumeclaims/data-${name}`, { kind: 'PersistentVolumeClaim', apiVersion: 'v1',
    metadata: { name: `data-${name}`, namespace: NS }, spec: { storageClassName: 'gp3', accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } });
}

const catalog = { generations: () => [], pods: () => [] } as unknown as Catalog;

function app(): express.Express {
  const getPodInput = diagnosisSource({ catalog, records: agent.link.records, lookup: agent.link.lookup, logger: pino({ level: 'silent' }) });
  const a = express();
  a.use(diagnosisRouter({ getPodInput }));
  a.use(problemsRouter({ catalog, getPodInput, recordKeys: () => agent.link.records.list(), owners: () => agent.link.lookup.owners(),
    listFilter: async (req) => (ns) => ns === (req.headers['x-allowed-ns'] ?? ns) }));
  return a;
}

before(async () => {
  fake = new FakeKube();
  await fake.listen();
  fake.putObject('/apis/storage.k8s.io/v1/storageclasses/gp3', { kind: 'StorageClass', apiVersion: 'storage.k8s.io/v1', metadata: { name: 'gp3' },
    provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'Immediate' } as any);
  fake.putObject('/api/v1/nodes/node-a', { kind: 'Node', apiVersion: 'v1', metadata: { name: 'node-a' }, spec: {} });
  fake.putObject('/api/v1/nodes/node-b', { kind: 'Node', apiVersion: 'v1', metadata: { name: 'node-b' }, spec: { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] } });
  state = await tempDir();
  agent = await startAgent(fake, state.dir);
  await waitFor('elected', () => agent.link.lookup.isLeader());
});

after(async () => {
  agent.ac.abort();
  await agent.link.stop();
  await fake.close();
  await state.cleanup();
});

test('the agent names the StorageClass and provisioner of a Pending pod\'s unbound claim', async () => {
  claim('db-0');
  const p = fake.create('pods', pendingWithClaim('db-0'));
  fake.create('events', event({ kind: 'PersistentVolumeClaim', namespace: NS, name: 'data-db-0', uid: 'pvc-1' }, 'ExternalProvisioning',
    "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."));
  await waitFor('pending pod recorded', () => agent.link.records.get(NS, 'db-0') !== undefined);
  const r = await request(app()).get(`/namespaces/${NS}/pods/db-0/diagnosis`).expect(200);
  assert.equal(r.body.findings[0]?.class, 'Unschedulable');
  assert.match(r.body.headline, /PersistentVolumeClaim data-db-0 \(StorageClass gp3, provisioner ebs\.csi\.aws\.com, Immediate\)/);
  assert.ok(fake.seen((q) => q.path === '/api/v1/nodes').length > 0, 'nodes listed while the pod is unscheduled');
  assert.ok(fake.seen((q) => q.path === `/apis/apps/v1/namespaces/${NS}/replicasets/db-0-rs`).length > 0, 'owner read (absent: left out)');
  assert.equal(p.metadata.name, 'db-0');
  const asked = () => fake.seen((q) => q.path === '/apis/storage.k8s.io/v1/storageclasses/gp3').length;
  const before = asked();
  await request(app()).get(`/namespaces/${NS}/pods/db-0/diagnosis`).expect(200);
  assert.equal(asked(), before, 'the related objects of an unchanged pod are reused');
});

test('a call that never answers is cut at the deadline; the rest is kept', async () => {
  claim('db-2');
  fake.inject({ match: (q) => q.path === `/api/v1/namespaces/${NS}/persistentvolumeclaims/data-db-2`, action: 'stall', times: 1 });
  const r = await fetchRelated(kubeApi(kubeConfigFor(fake)), pendingWithClaim('db-2'), [], { deadlineMs: 3_000, concurrency: 2, maxNodes: 10 });
  assert.deepEqual(r.objects.map((o) => `${o.kind}/${o.metadata?.name}`), ['Node/node-a', 'Node/node-b']);
  assert.deepEqual(r.objects[1]?.spec, { taints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] });
});

test('nodes are read in pages, names and taints only, up to the limit', async () => {
  const other = new FakeKube();
  await other.listen();
  try {
    for (let i = 0; i < 250; i++) other.putObject(`/api/v1/nodes/n-${String(i).padStart(3, '0')}`, { kind: 'Node', apiVersion: 'v1', metadata: { name: `n-${String(i).padStart(3, '0')}`, labels: { big: 'x' } }, spec: { podCIDR: '10.0.0.0/24' }, status: { capacity: { cpu: '4' } } });
    const p = pendingWithClaim('db-3');
    p.spec.volumes = [];
    p.metadata.ownerReferences = [];
    const r = await fetchRelated(kubeApi(kubeConfigFor(other)), p, [], { deadlineMs: 10_000, concurrency: 2, maxNodes: 220 });
    assert.equal(r.objects.length, 220);
    assert.deepEqual(r.objects[219], { kind: 'Node', metadata: { name: 'n-219' } });
    assert.deepEqual(other.seen((q) => q.path === '/api/v1/nodes').map((q) => q.query.get('limit')), ['100', '100', '20']);
  } finally {
    await other.close();
  }
});

test('a 403 on StorageClasses still gives a diagnosis, naming the claim without its StorageClass object', async () => {
  fake.inject({ match: (q) => q.path.startsWith('/apis/storage.k8s.io/'), action: 'status403', times: 1000 });
  claim('db-1');
  fake.create('pods', pendingWithClaim('db-1'));
  await waitFor('pending pod recorded', () => agent.link.records.get(NS, 'db-1') !== undefined);
  const r = await request(app()).get(`/namespaces/${NS}/pods/db-1/diagnosis`).expect(200);
  assert.equal(r.body.findings[0]?.class, 'Unschedulable');
  assert.match(r.body.headline, /data-db-1/);
  assert.doesNotMatch(r.body.headline, /provisioner ebs\.csi\.aws\.com, Immediate/);
  assert.ok(fake.seen((q) => q.path === '/apis/storage.k8s.io/v1/storageclasses/gp3').length > 0, 'the StorageClass was asked for');
});

test('/problems lists the pod a ReplicaSet could not create for quota, filtered by the caller\'s namespaces', async () => {
  const rs = { kind: 'ReplicaSet', namespace: NS, name: 'web-7d9f8b6c4d', uid: 'rs-web-1' };
  const e = event(rs, 'FailedCreate', 'Error creating: pods "web-7d9f8b6c4d-kzcql" is forbidden: exceeded quota: one-pod, requested: pods=1, used: pods=1, limited: pods=1', 'Warning', 3);
  e.source = { component: 'replicaset-controller' };
  e.reportingComponent = 'replicaset-controller';
  e.lastTimestamp = new Date().toISOString();
  fake.create('events', e);
  await waitFor('owner recorded', () => agent.link.lookup.owners().some((o) => o.uid === 'rs-web-1'));
  const r = await request(app()).get('/problems').expect(200);
  const item = r.body.items.find((i: { name: string }) => i.name === 'web-7d9f8b6c4d-kzcql');
  assert.ok(item, JSON.stringify(r.body.items));
  assert.deepEqual(item.owner, { kind: 'ReplicaSet', name: 'web-7d9f8b6c4d', uid: 'rs-web-1' });
  assert.equal(item.severity, 'critical');
  assert.match(item.headline, /ResourceQuota one-pod is full/);
  assert.equal(r.body.items.filter((i: { owner?: unknown }) => i.owner).length, 1, 'one problem per owner');
  const other = await request(app()).get('/problems').set('x-allowed-ns', 'elsewhere').expect(200);
  assert.deepEqual(other.body.items, []);
});
