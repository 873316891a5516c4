/** `podlog diagnose` entry (runDiagnose): files in a temp dir, stdin, --now reproducibility, errors. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runDiagnose, type DiagnoseCliOptions } from '../../../src/diagnose/cli.ts';
import { ago, ev, pod } from './fixtures.ts';

let dir = '';
const NOW = '2024-05-01T12:00:00Z';
const MSG = '0/5 nodes are available: 3 Insufficient memory, 2 node(s) had untolerated taint {dedicated: flink}. preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'podlog-diagnose-'));
  const p = pod({ phase: 'Pending', nodeName: null, containers: [{ name: 'main', image: 'app:1', resources: { requests: { memory: '8Gi' } } }] });
  await writeFile(join(dir, 'pod.json'), JSON.stringify(p));
  await writeFile(join(dir, 'events.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [ev('FailedScheduling', MSG, { component: 'default-scheduler', count: 9, at: ago(1) })] }));
  await writeFile(join(dir, 'owner-events.json'), JSON.stringify({ kind: 'EventList', items: [ev('FailedCreate', 'Error creating: pods "orders-7d9f8b6c4d-x2k9l" is forbidden: exceeded quota: compute-resources, requested: limits.memory=2Gi, used: limits.memory=7Gi, limited: limits.memory=8Gi', { kind: 'ReplicaSet', name: 'orders-7d9f8b6c4d', uid: 'rs1', component: 'replicaset-controller' })] }));
  await writeFile(join(dir, 'bad.json'), '{"kind": "Pod", ');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(opts: Partial<DiagnoseCliOptions>, stdinText = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runDiagnose({ output: 'text', stdin: Readable.from([stdinText]), stdout, stderr, ...opts });
  return { code, out, err };
}

test('text output from files is reproducible with --now', async () => {
  const a = await run({ pod: join(dir, 'pod.json'), events: join(dir, 'events.json'), now: NOW });
  const b = await run({ pod: join(dir, 'pod.json'), events: join(dir, 'events.json'), now: NOW });
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, b.out);
  assert.match(a.out, /^Pod flink-jobs\/orders-tm-1-1 cannot be scheduled: it requests 8Gi memory; of 5 nodes, 3 lack memory and 2 have the taint dedicated=flink/);
  assert.match(a.out, /As of 2024-05-01T12:00:00Z/);
});

test('json output', async () => {
  const r = await run({ pod: join(dir, 'pod.json'), events: join(dir, 'events.json'), now: NOW, output: 'json' });
  assert.equal(r.code, 0);
  const d = JSON.parse(r.out) as { severity: string; findings: { class: string; fix: string }[]; now: string };
  assert.equal(d.severity, 'critical');
  assert.equal(d.findings[0]?.class, 'Unschedulable');
  assert.match(d.findings[0]!.fix, /resources\.requests\.memory/);
  assert.equal(d.now, NOW);
});

test('Events only (a pod that was never created)', async () => {
  const r = await run({ events: join(dir, 'owner-events.json'), now: NOW });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ReplicaSet orders-7d9f8b6c4d in namespace flink-jobs cannot create its pods: the namespace's ResourceQuota compute-resources is full/);
});

test('pod from stdin', async () => {
  const p = pod({ phase: 'Pending', statuses: [{ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'CreateContainerConfigError', message: 'configmap "flink-config" not found' } } }] });
  const r = await run({ pod: '-', now: NOW }, JSON.stringify(p));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /ConfigMap "flink-config" it reads does not exist/);
});

test('errors: bad JSON, missing file, bad --now, nothing given, two stdins', async () => {
  const bad = await run({ pod: join(dir, 'bad.json'), now: NOW });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.json: pod is not valid JSON/);
  const missing = await run({ events: join(dir, 'nope.json'), now: NOW });
  assert.equal(missing.code, 2);
  assert.match(missing.err, /nope\.json: cannot read events file: no such file/);
  const now = await run({ pod: join(dir, 'pod.json'), now: 'yesterday' });
  assert.equal(now.code, 2);
  assert.match(now.err, /--now: "yesterday" is not an RFC 3339 time/);
  const none = await run({});
  assert.equal(none.code, 2);
  assert.match(none.err, /give --pod FILE/);
  const two = await run({ pod: '-', events: '-' });
  assert.equal(two.code, 2);
  const notPod = await run({ pod: join(dir, 'events.json'), now: NOW });
  assert.equal(notPod.code, 2);
  assert.match(notPod.err, /events\.json: expected a Pod/);
  assert.equal(bad.out + missing.out + now.out + none.out, '');
});
