/**
 * A caller limited to some namespaces learns nothing about the others from any listing of the real, fully
 * wired agent (`/pods`, `/jobs`, `/problems`, `/node` with its last retention pass), and `/metrics` never
 * labels series by file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAgent } from '../../helpers/agent-process.ts';
import { uid } from '../../helpers/root.ts';
import { waitFor } from '../../helpers/wait.ts';

const ALICE = 'alice-token-0123456789abcdefgh';
const OPS = 'ops-token-0123456789abcdefghijk';
let base: string;
let agent: Awaited<ReturnType<typeof spawnAgent>>;

before(async () => {
  base = mkdtempSync(join(tmpdir(), 'podlog-leaks-'));
  const root = join(base, 'root');
  const put = (ns: string, pod: string, n: number, ageDays: number) => {
    const dir = join(root, `${ns}_${pod}_${uid(n)}`, 'flink-main-container');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'taskmanager.log'), `${ns} line\n`);
    const t = Date.now() / 1000 - ageDays * 86_400;
    utimesSync(join(dir, 'taskmanager.log'), t, t);
  };
  put('team-a', 'wc-taskmanager-1-1', 1, 0);
  put('team-a', 'wc-taskmanager-1-2', 2, 10); // exited long ago: retention deletes it
  put('team-b', 'db-taskmanager-1-1', 3, 0);
  put('team-b', 'db-taskmanager-1-2', 4, 10);
  writeFileSync(join(base, 'tokens.yaml'), [
    'tokens:',
    `  - {token: "${ALICE}", user: alice, namespaces: [team-a]}`,
    `  - {token: "${OPS}", user: ops, namespaces: ["*"]}`,
  ].join('\n'));
  agent = await spawnAgent(['--root', root, '--state-dir', join(base, 'state'), '--auth', 'token', '--auth-token-file', join(base, 'tokens.yaml'), '--retention-max-age', '7d']);
  assert.equal(agent.kind, 'listening', agent.kind === 'exited' ? agent.stderr : '');
});
after(async () => {
  if (agent?.kind === 'listening') await agent.stop();
  rmSync(base, { recursive: true, force: true });
});

test('a token limited to team-a sees nothing of team-b in any listing; an unrestricted one sees both', async () => {
  if (agent.kind !== 'listening') return;
  const url = agent.url;
  const get = async (path: string, token: string) => {
    const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, path);
    return res.text();
  };
  const node = await waitFor(async () => {
    const body = JSON.parse(await get('/node', OPS)) as { lastRun?: { evicted: { pod: string }[] } };
    return body.lastRun ? body : undefined;
  }, { what: 'the first retention pass' });
  assert.deepEqual(node.lastRun!.evicted.map((e) => e.pod.split('/')[0]).sort(), ['team-a', 'team-b'], 'the pass deleted one pod of each');
  for (const path of ['/node', '/pods', '/jobs', '/problems']) {
    const text = await get(path, ALICE);
    assert.doesNotMatch(text, /team-b|db-taskmanager/, path);
  }
  assert.match(await get('/node', ALICE), /team-a\/wc-taskmanager-1-2/);
  assert.match(await get('/pods', ALICE), /wc-taskmanager-1-1/);
  assert.match(await get('/pods', OPS), /db-taskmanager-1-1/);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.doesNotMatch(metrics, /taskmanager\.log|flink-main-container/, 'no series is labelled by file');
});
