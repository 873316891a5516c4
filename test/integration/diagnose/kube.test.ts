/**
 * `podlog diagnose --kubeconfig FILE NS/POD` against a loopback server that answers like the API server
 * (PROTOCOLS.md B1/B4): GET pod, list Events by field selector, 404 Status for a missing pod.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runDiagnose } from '../../../src/diagnose/cli.ts';

const UID = '6f1c3a2e-0000-4000-8000-000000000001';
const RS_UID = 'rs-0000-1';
const POD = {
  kind: 'Pod', apiVersion: 'v1',
  metadata: { name: 'orders-tm-1-1', namespace: 'flink-jobs', uid: UID, creationTimestamp: '2024-05-01T10:00:00Z', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'orders-7d9f8b6c4d', uid: RS_UID, controller: true }] },
  spec: { nodeName: 'node-a', containers: [{ name: 'main', image: 'app:1', resources: { limits: { memory: '1Gi' } } }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2024-05-01T11:00:00Z' }], containerStatuses: [{ name: 'main', ready: false, restartCount: 4, image: 'app:1', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 1m20s restarting failed container=main pod=orders-tm-1-1_flink-jobs(6f1c3a2e)' } }, lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2024-05-01T11:50:00Z', finishedAt: '2024-05-01T11:55:00Z' } } }] },
};
const EVENTS = {
  kind: 'EventList', apiVersion: 'v1', metadata: { resourceVersion: '100' },
  items: [{ metadata: { name: 'orders-tm-1-1.1', namespace: 'flink-jobs' }, involvedObject: { kind: 'Pod', namespace: 'flink-jobs', name: 'orders-tm-1-1', uid: UID, fieldPath: 'spec.containers{main}' }, reason: 'BackOff', message: 'Back-off restarting failed container main in pod orders-tm-1-1_flink-jobs(6f1c3a2e)', type: 'Warning', count: 9, firstTimestamp: '2024-05-01T11:00:00Z', lastTimestamp: '2024-05-01T11:58:00Z', source: { component: 'kubelet' } }],
};

const PENDING_UID = '6f1c3a2e-0000-4000-8000-000000000002';
const PENDING = {
  kind: 'Pod', apiVersion: 'v1',
  metadata: { name: 'orders-db-0', namespace: 'flink-jobs', uid: PENDING_UID, creationTimestamp: '2024-05-01T11:00:00Z' },
  spec: { containers: [{ name: 'db', image: 'postgres:16' }], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-orders-db-0' } }] },
  status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.', lastTransitionTime: '2024-05-01T11:00:00Z' }] },
};
const RELATED: Record<string, unknown> = {
  '/api/v1/namespaces/flink-jobs/pods/orders-db-0': PENDING,
  '/api/v1/namespaces/flink-jobs/persistentvolumeclaims/data-orders-db-0': { kind: 'PersistentVolumeClaim', apiVersion: 'v1', metadata: { name: 'data-orders-db-0', namespace: 'flink-jobs' }, spec: { storageClassName: 'gp3', accessModes: ['ReadWriteOnce'] }, status: { phase: 'Pending' } },
  '/apis/storage.k8s.io/v1/storageclasses/gp3': { kind: 'StorageClass', apiVersion: 'storage.k8s.io/v1', metadata: { name: 'gp3' }, provisioner: 'ebs.csi.aws.com', volumeBindingMode: 'Immediate' },
  '/api/v1/nodes': { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'node-a' }, spec: {} }, { metadata: { name: 'node-b' }, spec: {} }] },
};
const PVC_EVENT = { metadata: { name: 'data-orders-db-0.1', namespace: 'flink-jobs' }, involvedObject: { kind: 'PersistentVolumeClaim', namespace: 'flink-jobs', name: 'data-orders-db-0' }, reason: 'ExternalProvisioning', message: "Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.", type: 'Normal', count: 42, firstTimestamp: '2024-05-01T11:00:00Z', lastTimestamp: '2024-05-01T11:59:00Z', source: { component: 'persistentvolume-controller' } };

let server: Server;
let dir = '';
const seen: string[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v1/namespaces/flink-jobs/pods/orders-tm-1-1') return res.end(JSON.stringify(POD));
    if (RELATED[url.pathname]) return res.end(JSON.stringify(RELATED[url.pathname]));
    if (url.pathname.startsWith('/api/v1/namespaces/flink-jobs/pods/')) {
      res.statusCode = 404;
      return res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "gone-0" not found', reason: 'NotFound', details: { name: 'gone-0', kind: 'pods' }, code: 404 }));
    }
    if (url.pathname === '/api/v1/namespaces/flink-jobs/events') {
      const fs = url.searchParams.get('fieldSelector') ?? '';
      const items = fs === `involvedObject.uid=${UID}` ? EVENTS.items : fs === 'involvedObject.kind=PersistentVolumeClaim,involvedObject.name=data-orders-db-0' ? [PVC_EVENT] : [];
      return res.end(JSON.stringify({ ...EVENTS, items }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  dir = await mkdtemp(join(tmpdir(), 'podlog-kube-'));
  await writeFile(join(dir, 'kubeconfig'), `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: http://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: t
contexts:
- name: x
  context: {cluster: c, user: u, namespace: flink-jobs}
current-context: x
`);
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

async function run(target: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runDiagnose({ kubeconfig: join(dir, 'kubeconfig'), target, output: 'json', now: '2024-05-01T12:00:00Z', stdin: Readable.from([]), stdout, stderr });
  return { code, out, err };
}

test('fetches pod, its Events and its owner\'s Events', async () => {
  const r = await run('flink-jobs/orders-tm-1-1');
  assert.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out) as { findings: { class: string }[]; headline: string };
  assert.deepEqual(d.findings.map((f) => f.class), ['OOMKilled', 'CrashLoopBackOff']);
  assert.match(d.headline, /more than its 1Gi memory limit/);
  assert.ok(seen.some((u) => u.includes(`fieldSelector=involvedObject.uid%3D${UID}`)), seen.join('\n'));
  assert.ok(seen.some((u) => u.includes(`fieldSelector=involvedObject.uid%3D${RS_UID}`)), seen.join('\n'));
});

test('a missing pod falls back to Events by name; bad target is a usage error', async () => {
  const r = await run('gone-0');
  assert.equal(r.code, 0, r.err);
  assert.ok(seen.some((u) => u.includes('involvedObject.name%3Dgone-0')));
  const bad = await run('a/b/c');
  assert.equal(bad.code, 2);
});

test('live: an unbound claim is traced to its StorageClass and provisioner (claim, its Events, StorageClass, nodes fetched)', async () => {
  const r = await run('flink-jobs/orders-db-0');
  assert.equal(r.code, 0, r.err);
  const d = JSON.parse(r.out) as { findings: { class: string; fix: string }[]; headline: string };
  assert.equal(d.findings[0]?.class, 'Unschedulable');
  assert.match(d.headline, /PersistentVolumeClaim data-orders-db-0 \(StorageClass gp3, provisioner ebs\.csi\.aws\.com, Immediate\): it waits for provisioner ebs\.csi\.aws\.com to create a volume/);
  assert.ok(seen.some((u) => u.startsWith('/api/v1/nodes')), seen.join('\n'));
});
