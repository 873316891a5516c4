/**
 * Shared harness of the page's end-to-end tests and `bench/web.ts`: build the page, seed a temp log
 * root (the project's Flink fixtures + generated files), start a real agent on port 0 as a child
 * process, and launch Debian's Chromium through playwright-core.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, utimes, open } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnAgent } from '../helpers/agent-process.ts';
import { chromium, type Browser } from 'playwright-core';

/** Repository root. */
export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** The committed real Flink fixtures (`<ns>_<pod>_<uid>/<container>/<file>`); env PODLOG_FIXTURE_ROOT overrides. */
export const FIXTURE_ROOT = process.env.PODLOG_FIXTURE_ROOT ?? join(REPO, 'fixtures/flink/root');
/** Where screenshots go (gitignored). */
export const RESULTS = join(REPO, 'test-results');
const NODE = join(REPO, 'node_modules/.bin/node');

/** Build `web/dist` with Vite (about a second). */
export function buildWeb(): void {
  execFileSync(NODE, [join(REPO, 'node_modules/vite/bin/vite.js'), 'build', 'web', '--logLevel', 'error'], { cwd: REPO, stdio: 'inherit' });
}

/** A temp directory with `root/` and `state/`; `cleanup()` removes it. */
export async function tempDirs(prefix: string): Promise<{ dir: string; root: string; state: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const root = join(dir, 'root');
  const state = join(dir, 'state');
  await mkdir(root, { recursive: true });
  await mkdir(state, { recursive: true });
  return { dir, root, state, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Copy the Flink fixtures into `root` with their mtimes set `ageMs` in the past (finished pods).
 * @returns the pod folder names copied; empty when the fixtures are absent
 */
export async function seedFixtures(root: string, ageMs = 3 * 3600_000): Promise<string[]> {
  if (!existsSync(FIXTURE_ROOT)) return [];
  await cp(FIXTURE_ROOT, root, { recursive: true });
  const t = new Date(Date.now() - ageMs);
  const pods = await readdir(root);
  for (const p of pods) {
    for (const c of await readdir(join(root, p))) {
      for (const f of await readdir(join(root, p, c))) await utimes(join(root, p, c, f), t, t);
    }
  }
  return pods;
}

/**
 * Write a log file of about `bytes` bytes of log4j lines quickly (one 1 MiB block written
 * repeatedly), ending with `lastLine`. Lines carry increasing timestamps within each block.
 * @returns the byte offset of the last line
 */
export async function generateLog(path: string, bytes: number, lastLine: string): Promise<number> {
  await mkdir(join(path, '..'), { recursive: true });
  const parts: string[] = [];
  let size = 0;
  const levels = ['INFO ', 'INFO ', 'INFO ', 'DEBUG', 'WARN ', 'INFO ', 'ERROR', 'INFO '];
  for (let i = 0; size < 1024 * 1024; i++) {
    const s = i % 60;
    const line =
      i % 97 === 96
        ? `\tat org.apache.flink.streaming.runtime.tasks.StreamTask.invoke(StreamTask.java:${i % 1000}) ~[flink-dist-1.20.1.jar:1.20.1]\n`
        : `2025-11-28 23:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(s).padStart(2, '0')},${String(i % 1000).padStart(3, '0')} ${levels[i % 8]} org.apache.flink.runtime.taskexecutor.TaskExecutor [] - Generated record ${i} for checkpoint ${Math.floor(i / 100)} of the benchmark file, padding text to look like a real line\n`;
    parts.push(line);
    size += Buffer.byteLength(line);
  }
  const block = Buffer.from(parts.join(''));
  const fh = await open(path, 'w');
  try {
    let written = 0;
    while (written + block.length <= bytes) {
      await fh.write(block);
      written += block.length;
    }
    await fh.write(`${lastLine}\n`);
    return written;
  } finally {
    await fh.close();
  }
}

/** A running agent child process. */
export interface AgentProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Start `podlog agent --root <root> --state-dir <state>` on a free loopback port (plus `extraArgs`, e.g.
 * `--auth token --auth-token-file f`, and `env`, e.g. `PODLOG_*` config values) through the test suite's one
 * agent spawner, and wait for its `listening` log line.
 * @throws when it exits or does not listen within `timeoutMs`
 */
export async function startAgent(root: string, state: string, timeoutMs = 30_000, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<AgentProcess> {
  const r = await spawnAgent(['--root', root, '--state-dir', state, ...extraArgs], { guardMs: timeoutMs, env });
  if (r.kind === 'exited') throw new Error(`agent exited with ${r.code}: ${r.stderr.slice(-4000)}`);
  return { url: r.url, child: r.child, stop: r.stop };
}

/** Launch headless Chromium (`/usr/bin/chromium`, env CHROMIUM to override). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** The page's permalink path for a file. */
export function fileHash(ns: string, pod: string, uid: string, container: string, file: string, query = ''): string {
  const e = encodeURIComponent;
  return `#/ns/${e(ns)}/pod/${e(pod)}/${e(uid)}/${e(container)}/${e(file)}${query ? `?${query}` : ''}`;
}

/** True when `path` exists and is newer than every file under web/src (skip rebuilding). */
export function webIsFresh(): boolean {
  const dist = join(REPO, 'web/dist/index.html');
  if (!existsSync(dist)) return false;
  return statSync(dist).mtimeMs > newest(join(REPO, 'web/src'));
}

function newest(dir: string): number {
  let m = 0;
  for (const e of execFileSync('find', [dir, '-type', 'f', '-printf', '%T@\\n']).toString().split('\n')) {
    const t = Number(e) * 1000;
    if (t > m) m = t;
  }
  return m;
}
