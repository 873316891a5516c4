/**
 * README's command lines run as written on the machine's default `node` (often older than the Node 24
 * the sources need): every line of README's `sh` blocks is either run here or named with the reason it
 * cannot be (a cluster, Docker, the suite itself). A new README command fails this test until it is
 * given a rule, so the test stays true as README changes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../helpers/wait.ts';
import { ev, pod } from '../../unit/diagnose/fixtures.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The command lines of README's sh blocks, trailing `# comments` dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const lines: string[] = [];
  for (const m of readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    for (const raw of m[1]!.split('\n')) {
      const line = raw.replace(/\s+#\s.*$/, '').trim();
      if (line) lines.push(line);
    }
  }
  return lines;
}

/** PATH without node_modules/.bin folders (npm test puts the pinned Node first): what a shell has. */
const SHELL_PATH = (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules')).join(delimiter);

/** The environment of a shell: this one without what npm adds for its scripts (`npm test` runs this file). */
const SHELL_ENV: Record<string, string | undefined> = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|INIT_CWD$|NODE$)/i.test(k))),
  PATH: SHELL_PATH,
};

/** The `node` a shell finds, and its version; the tests below run README's lines with it. */
function shellNode(): { path: string; version: string } | undefined {
  for (const dir of SHELL_PATH.split(delimiter)) {
    const path = join(dir, 'node');
    if (!dir || !existsSync(path)) continue;
    try {
      return { path, version: execFileSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim() };
    } catch {
      continue;
    }
  }
  return undefined;
}

const scratch = mkdtempSync(join(tmpdir(), 'podlog-readme-'));
const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

interface Run { child: ChildProcess; out: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }

/**
 * Start `line` with `sh -c` in `cwd`, in its own process group, with the shell's PATH; a simple
 * command replaces the shell (`exec`), as a terminal's job would be the command itself.
 */
function run(line: string, cwd: string, env: Record<string, string> = {}): Run {
  const child = spawn('sh', ['-c', /[;&|]/.test(line) ? line : `exec ${line}`], { cwd, detached: true, env: { ...SHELL_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  // 'close': the process ended and so did every descendant holding its output (npm's script shell, the agent)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, exited };
}

/** The URL an agent logs once it listens (pino JSON line `"msg":"listening"`). */
async function listeningUrl(r: Run): Promise<string> {
  const found = await waitFor(() => r.child.exitCode !== null || r.child.signalCode !== null ? { exited: true } : /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"listening"/.exec(r.out())?.[1], { what: 'the agent to listen', timeoutMs: 120_000, intervalMs: 50 });
  if (typeof found !== 'string') throw new Error(`exited before listening:\n${r.out()}`);
  return found;
}

/** Ctrl-C as a terminal sends it (to the whole process group); resolves with the exit. */
async function interrupt(r: Run) {
  process.kill(-r.child.pid!, 'SIGINT');
  return r.exited;
}

/** A pod folder the agent can list. */
function podRoot(): string {
  const root = join(scratch, 'root');
  mkdirSync(join(root, 'flink-jobs_orders-enrich-taskmanager-1-1_8a4e1c7b-2f5d-4b93-9e6a-c15f0d3b7a24', 'flink-main-container'), { recursive: true });
  writeFileSync(join(root, 'flink-jobs_orders-enrich-taskmanager-1-1_8a4e1c7b-2f5d-4b93-9e6a-c15f0d3b7a24', 'flink-main-container', 'taskmanager.log'), 'a line\n');
  return root;
}

/** A folder holding README's `pod.json`, `events.json` and `objects.json` (`kubectl get … -o json` shapes). */
function diagnoseInputs(): string {
  const dir = join(scratch, 'diagnose');
  mkdirSync(dir, { recursive: true });
  const waiting = { name: 'main', ready: false, restartCount: 0, image: 'registry.example.com/team/app:1.4.2', imageID: '', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example.com/team/app:1.4.2"' } } };
  writeFileSync(join(dir, 'pod.json'), JSON.stringify(pod({ phase: 'Pending', statuses: [waiting] })));
  const events = [
    ev('Failed', 'Failed to pull image "registry.example.com/team/app:1.4.2": not found', { container: 'main' }),
    ev('FailedCreate', 'Error creating: pods "orders-tm-1-1" is forbidden: exceeded quota: compute, requested: limits.memory=4Gi, used: limits.memory=30Gi, limited: limits.memory=32Gi', { kind: 'ReplicaSet', name: 'orders-tm' }),
  ];
  writeFileSync(join(dir, 'events.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: events }));
  const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'flink-jobs', name: 'orders-tm', uid: 'rs-1' }, spec: { replicas: 1 } };
  writeFileSync(join(dir, 'objects.json'), JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [owner] }));
  return dir;
}

/** A copy of the repo's sources beside the installed node_modules, so `npm start` builds its page there, not under the tests' feet. */
function repoCopy(): string {
  const dir = join(scratch, 'repo');
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'src', 'fixtures']) cpSync(join(REPO, f), join(dir, f), { recursive: true });
  cpSync(join(REPO, 'web'), join(dir, 'web'), { recursive: true, filter: (p) => !p.startsWith(join(REPO, 'web', 'dist')) });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** How each README command line is treated: run here (with its arguments made local), or why not. */
const RULES: { match: RegExp; skip?: string; run?: (line: string) => Promise<void> }[] = [
  { match: /^npm ci && npm test$/, skip: 'the suite this test is part of' },
  { match: /^(kubectl|docker) /, skip: 'needs a cluster or a Docker engine' },
  { match: /--kubeconfig /, skip: 'needs a cluster' },
  { match: /^(npm run (kube:up|kube:down|image:build)\b|export KUBECONFIG=)/, skip: 'the real control plane and image: run by npm run test:cluster' },
  {
    // `npm ci && npm start` and `npm start -- --port N`: npm ci has run; port 0 so parallel runs do not clash.
    match: /^(npm ci && )?npm start( -- --port \d+)?$/,
    run: async (line) => {
      const cwd = repoCopy();
      const r = run(`${line.replace(/^npm ci && /, '').replace(/ -- --port \d+$/, '')} -- --port 0`, cwd);
      const url = await listeningUrl(r);
      const page = await (await fetch(`${url}/`)).text();
      assert.match(page, /<script type="module"/, 'the built page at /');
      const { items } = (await (await fetch(`${url}/api/v1/pods`)).json()) as { items: unknown[] };
      assert.ok(items.length > 1, 'the demo pods');
      const root = /"root":"([^"]+)"[^\n]*"msg":"demo root ready/.exec(r.out())?.[1];
      assert.ok(root && existsSync(root), 'the demo logs its root');
      await interrupt(r); // npm itself reports the interrupted script; the agent stops cleanly
      assert.match(r.out(), /"msg":"stopped"/, r.out());
      assert.ok(!existsSync(root), 'the demo folder is removed at exit');
    },
  },
  {
    match: /^node bin\/podlog\.js agent /,
    run: async (line) => {
      const local = line
        .replace('/var/log/podlog', podRoot())
        .replace('/var/lib/podlog', join(scratch, 'state'))
        .replace(/--port \d+/, '--port 0');
      const r = run(local, REPO);
      const url = await listeningUrl(r);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const { items } = (await (await fetch(`${url}/api/v1/pods`)).json()) as { items: { name: string }[] };
      assert.deepEqual(items.map((p) => p.name), ['orders-enrich-taskmanager-1-1']);
      const end = await interrupt(r);
      assert.equal(end.code, 0, r.out());
      assert.match(r.out(), /"msg":"stopped"/, 'a graceful stop');
    },
  },
  {
    match: /^node bin\/podlog\.js diagnose (?!.*--kubeconfig)/,
    run: async (line) => {
      const cwd = diagnoseInputs();
      const r = run(line.replace('bin/podlog.js', join(REPO, 'bin', 'podlog.js')), cwd);
      const end = await r.exited;
      assert.equal(end.code, 0, r.out());
      if (line.includes('--output json')) assert.doesNotThrow(() => JSON.parse(r.out()), r.out());
      assert.match(r.out(), line.includes('--pod') ? /orders-tm-1-1/ : /quota/i);
    },
  },
];

describe('README command lines', () => {
  const node = shellNode();
  const lines = readmeCommands();

  test('README shows commands, each covered by one rule', () => {
    assert.ok(lines.length >= 5, `found: ${lines.join(' | ')}`);
    for (const line of lines) {
      const rules = RULES.filter((r) => r.match.test(line));
      assert.equal(rules.length, 1, `README command without exactly one rule here: ${line}`);
    }
  });

  test('README names no .ts file for a bare `node` (an older Node cannot run it)', () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    assert.deepEqual(readme.match(/`node [^`]*\.ts\b[^`]*`|^node \S+\.ts.*$/gm) ?? [], []);
  });

  for (const line of lines) {
    const rule = RULES.find((r) => r.match.test(line));
    if (!rule?.run) continue;
    test(`runs as written with the shell's node ${node ? `(${node.version})` : ''}: ${line}`, { timeout: 240_000 }, async (t) => {
      if (!node) t.diagnostic('no node on the shell PATH besides node_modules; ran with whatever sh finds');
      await rule.run!(line);
    });
  }
});

test('on Node < 24 without the pinned Node installed, bin/podlog.js says what to do', async (t) => {
  const node = shellNode();
  if (!node || Number(node.version.split('.')[0]) >= 24) return t.skip('the shell\'s node is already 24 or later');
  const bare = join(scratch, 'bare');
  mkdirSync(bare);
  cpSync(join(REPO, 'bin'), join(bare, 'bin'), { recursive: true });
  writeFileSync(join(bare, 'package.json'), readFileSync(join(REPO, 'package.json')));
  const r = run('node bin/podlog.js --version', bare);
  const end = await r.exited;
  assert.equal(end.code, 1);
  assert.match(r.out(), /needs Node\.js 24[\s\S]*npm ci/);
  assert.ok(!r.out().includes(bare), 'no host path in the message');
});

test('bin/podlog.js passes the exit code and a signal through', async () => {
  const inputs = diagnoseInputs();
  const bad = run(`node ${join(REPO, 'bin', 'podlog.js')} diagnose --events missing.json`, inputs);
  assert.equal((await bad.exited).code, 2, bad.out());
  // killed by a signal the agent does not handle: the launcher dies of the same signal
  const r = run(`node ${join(REPO, 'bin', 'podlog.js')} agent --root ${podRoot()} --state-dir ${join(scratch, 'state-hup')} --port 0`, inputs);
  await listeningUrl(r);
  process.kill(r.child.pid!, 'SIGHUP');
  const end = await r.exited;
  assert.equal(end.signal, 'SIGHUP', r.out());
});
