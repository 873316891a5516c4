/**
 * The bundle `npm run build` writes (what the container image runs) is the same agent as the sources:
 * it serves the page, lists the pods of a real Flink run, and searches them with the built-in engine on its
 * worker threads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { buildAgent } from '../../../scripts/build.ts';
import { spawnAgent } from '../../helpers/agent-process.ts';

const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const FIXTURES = join(REPO, 'fixtures/flink/root');
// One level below a folder without package.json inside the repo, so the bundle finds the package root as dist/ does.
const OUT = join(REPO, 'node_modules/.cache', `podlog-bundle-test-${process.pid}`);
let base: string;
let agent: Awaited<ReturnType<typeof spawnAgent>>;

before(async () => {
  await buildAgent(OUT);
  base = mkdtempSync(join(tmpdir(), 'podlog-bundle-'));
  cpSync(FIXTURES, join(base, 'root'), { recursive: true });
  agent = await spawnAgent(['--root', join(base, 'root'), '--state-dir', join(base, 'state'), '--auth', 'none'], {
    entry: join(OUT, 'cli.js'),
    // the built-in engine: its worker module is the part of the bundle found by path at run time
    env: { PODLOG_SEARCH_ENGINE: 'builtin' },
  });
  assert.equal(agent.kind, 'listening', agent.kind === 'exited' ? agent.stderr : '');
});
after(async () => {
  if (agent?.kind === 'listening') await agent.stop();
  if (base) rmSync(base, { recursive: true, force: true });
  rmSync(OUT, { recursive: true, force: true });
});

test('the bundled agent lists every fixture pod, serves the page and finds every line a search asks for', async () => {
  assert.equal(agent.kind, 'listening');
  if (agent.kind !== 'listening') return;
  const pods = (await (await fetch(`${agent.url}/api/v1/pods`)).json()) as { items: { name: string }[] };
  assert.equal(pods.items.length, readdirSync(FIXTURES).length);

  const page = await fetch(`${agent.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module"/);

  const text = (path: string) => (path.endsWith('.gz') ? gunzipSync(readFileSync(path)) : readFileSync(path)).toString('utf8');
  const expected = readdirSync(FIXTURES, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + text(join(e.parentPath, e.name)).split('\n').filter((l) => l.includes('Checkpoint')).length, 0);
  assert.ok(expected > 0, 'the fixtures mention checkpoints');
  const lines = (await (await fetch(`${agent.url}/api/v1/search?q=Checkpoint&limit=1000`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { done?: boolean; line?: string; text?: string });
  const done = lines.at(-1)!;
  assert.equal(done.done, true);
  const hits = lines.slice(0, -1);
  assert.equal(hits.length, expected);
  for (const h of hits) assert.match(h.text ?? h.line ?? '', /Checkpoint/);
});
