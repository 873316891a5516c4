import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../src/config/load.ts';
import { createDemoFolder, LIVE_POD_DIR, prepareDemoRoot, runLiveAppender } from '../../../src/demo/demo.ts';
import { startAgent, type RunningAgent } from '../../../src/main.ts';
import { waitFor } from '../../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'podlog-demo-test-'));
const controller = new AbortController();
let agent: RunningAgent;

before(async () => {
  const root = await prepareDemoRoot(join(dir, 'root'));
  await runLiveAppender(root, controller.signal, pino({ level: 'silent' }), { intervalMs: 20 });
  agent = await startAgent(loadConfig({ flags: { roots: [root], stateDir: join(dir, 'state'), port: 0 } }), pino({ level: 'silent' }));
});
after(async () => {
  controller.abort();
  await agent.close();
  rmSync(dir, { recursive: true, force: true });
});

interface PodItem { namespace: string; name: string; uid: string; state: string; createdAt?: string; lastActivity: number; containers: { name: string; files: { name: string; live: boolean; mtime: number }[] }[] }

test('the demo serves real Flink JobManager and TaskManager logs, finished pods as exited', async () => {
  const res = await fetch(`${agent.url}/api/v1/pods`);
  const { items } = (await res.json()) as { items: PodItem[] };
  const jm = items.find((p) => !p.name.includes('taskmanager') && p.containers.some((c) => c.files.some((f) => f.name.startsWith('jobmanager.log'))));
  const tm = items.find((p) => p.name.includes('taskmanager') && p.containers.some((c) => c.files.some((f) => f.name.startsWith('taskmanager.log'))) && !`${p.namespace}_${p.name}_${p.uid}`.startsWith(LIVE_POD_DIR));
  assert.ok(jm && tm, 'a JobManager and a TaskManager pod');
  assert.equal(jm.state, 'exited');
  const c = jm.containers[0]!;
  const text = await (await fetch(`${agent.url}/api/v1/namespaces/${jm.namespace}/pods/${jm.name}/containers/${c.name}/files/jobmanager.log`)).text();
  assert.match(text, /org\.apache\.(flink|pekko)\./);
  const boot = await (await fetch(`${agent.url}/api/v1/search?q=Starting+StandaloneSessionClusterEntrypoint&pod=${jm.name}&limit=1`)).text();
  assert.match(boot, /"file":"jobmanager\.log[^"]*","offset":\d+,"line_number":\d+/);
  assert.match(text, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (INFO|WARN|ERROR)/m);
  const all = await (await fetch(`${agent.url}/api/v1/search?q=Completed+checkpoint&limit=1`)).text();
  assert.match(all, /"line":"[^"]*Completed checkpoint/);
});

test('the live demo pod keeps appending real lines', async () => {
  const [ns, pod] = LIVE_POD_DIR.split('_') as [string, string];
  const url = `${agent.url}/api/v1/namespaces/${ns}/pods/${pod}/containers/flink-main-container/files/taskmanager.log?tail=1`;
  const first = await (await fetch(url)).text();
  await waitFor(async () => (await (await fetch(url)).text()) !== first, { what: 'a new line in the live pod', timeoutMs: 10_000 });
  const p = (await (await fetch(`${agent.url}/api/v1/namespaces/${ns}/pods/${pod}`)).json()) as PodItem;
  assert.equal(p.state, 'running');
});

test('the wired agent answers jobs, diagnosis and problems without a cluster', async () => {
  const jobs = (await (await fetch(`${agent.url}/api/v1/jobs`)).json()) as { jobs: { id: string; pods: { component?: string }[] }[] };
  const orders = jobs.jobs.find((j) => j.id === 'orders-enrich');
  assert.ok(orders, 'Flink cluster-id derived from the pod names');
  assert.deepEqual(orders.pods.map((p) => p.component).sort(), ['jobmanager', 'taskmanager', 'taskmanager']);
  const prose = await (await fetch(`${agent.url}/api/v1/namespaces/flink-jobs/pods/orders-enrich-6d5f7b9c8-x2kqp/diagnosis`, { headers: { accept: 'text/plain' } })).text();
  assert.match(prose, /Pod flink-jobs\/orders-enrich-6d5f7b9c8-x2kqp/);
  const problems = await fetch(`${agent.url}/api/v1/problems`);
  assert.equal(problems.status, 200);
  assert.ok(Array.isArray(((await problems.json()) as { items: unknown[] }).items));
  const missing = await fetch(`${agent.url}/api/v1/namespaces/flink-jobs/pods/nope/diagnosis`);
  assert.equal(missing.status, 404);
});

test("the finished pods' times are in order: created, then written, then exited a day ago", async () => {
  const { items } = (await (await fetch(`${agent.url}/api/v1/pods?state=exited`)).json()) as { items: PodItem[] };
  assert.ok(items.length >= 5, 'the recorded Flink pods');
  const now = Date.now();
  for (const p of items) {
    const mtimes = p.containers.flatMap((c) => c.files.map((f) => f.mtime));
    const created = Date.parse(p.createdAt ?? '');
    assert.ok(created <= Math.min(...mtimes), `${p.name} created before its oldest file was last written`);
    assert.equal(p.lastActivity, Math.max(...mtimes));
    assert.ok(p.lastActivity < now - 12 * 3600_000, `${p.name} finished long before the demo started`);
  }
});

test('each demo gets a fresh temp folder, removed on request and at the latest at exit', async () => {
  const a = await createDemoFolder();
  const b = await createDemoFolder();
  try {
    assert.notEqual(a.dir, b.dir);
    assert.ok(a.root.startsWith(a.dir) && a.stateDir.startsWith(a.dir));
    assert.ok(existsSync(join(a.root, LIVE_POD_DIR)));
    await a.remove();
    assert.ok(!existsSync(a.dir));
    assert.ok(existsSync(b.dir), 'another demo is untouched');
  } finally {
    await a.remove();
    await b.remove();
  }
  assert.ok(!existsSync(b.dir));
});
