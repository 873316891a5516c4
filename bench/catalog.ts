/**
 * Benchmark: start-up over a root of `pods` × 10 files (1,000 and 10,000 pods; goals: everything listed within
 * 3 s, RSS ≤ 150 MB), the peer `find -type f | wc -l` over the same tree (a plain directory walk), same run:
 *   - the real agent as production runs it (the bundle, the DaemonSet's V8 flags): time from spawn to its first
 *     answer (`/healthz`), to `/readyz` 200 (first scan done), to a complete `GET /api/v1/pods` (every pod, no
 *     `partial`); its RSS after the scan, beside the same agent over an empty root;
 *   - the catalog alone in a child process (bench/catalog-child.ts): its scan time and RSS.
 * Run: node bench/catalog.ts [--pods 1000,10000] [--files 10]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import type { BenchRow } from './row.ts';
import { makePodTree } from './tree.ts';
import { agentBundle, productionEnv } from './production.ts';
import { rssMB } from './proc.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** The bench's environment for the agent: the DaemonSet's runtime tuning, no cluster link, no shipping. */
function agentEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...productionEnv(), KUBECONFIG: '' };
  for (const k of Object.keys(env)) if (k.startsWith('PODLOG_') || k === 'KUBERNETES_SERVICE_HOST') delete env[k];
  return env;
}

/** Poll `probe` every 20 ms until it holds. */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface AgentRun {
  /** ms from spawn to the first `/healthz` answer. */
  answerMs: number;
  /** ms from spawn to `/readyz` 200. */
  readyMs: number;
  /** ms from spawn to a complete pod listing (received and parsed). */
  listedMs: number;
  /** RSS once ready, MB. */
  rssMB: number;
  /** Pods in the first answer of `/api/v1/pods` and whether it said `partial`. */
  firstListing: { pods: number; partial: boolean };
}

/** Start the agent over `root`, time its start-up, stop it. */
async function runAgent(root: string, pods: number): Promise<AgentRun> {
  const state = mkdtempSync(join(tmpdir(), 'podlog-bench-catalog-state-'));
  const entry = await agentBundle();
  const t0 = performance.now();
  const child = spawn(process.execPath, [entry, 'agent', '--root', root, '--state-dir', state, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info'], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], env: agentEnv(),
  });
  try {
    // the port is only known from the log line; /healthz is polled from then on
    const url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /"url":"([^"]+)"/.exec(line);
        if (line.includes('"listening"') && m) resolve(m[1]!);
      });
    });
    await until(async () => (await fetch(`${url}/healthz`)).ok, '/healthz');
    const answerMs = performance.now() - t0;
    const first = (await (await fetch(`${url}/api/v1/pods`)).json()) as { items: unknown[]; partial?: boolean };
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, '/readyz 200');
    const readyMs = performance.now() - t0;
    const rss = rssMB(child.pid!);
    const all = (await (await fetch(`${url}/api/v1/pods`)).json()) as { items: unknown[]; partial?: boolean };
    const listedMs = performance.now() - t0;
    if (all.items.length !== pods || all.partial) throw new Error(`the listing after the scan has ${all.items.length} pods (partial: ${all.partial}), expected ${pods}`);
    return { answerMs, readyMs, listedMs, rssMB: rss, firstListing: { pods: first.items.length, partial: first.partial === true } };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(state, { recursive: true, force: true });
  }
}

/** Build each tree, time the agent's and the catalog's start-up over it, compare with `find`. */
export async function benchCatalog(podCounts = [1000, 10_000], files = 10): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const emptyRoot = mkdtempSync(join(tmpdir(), 'podlog-bench-catalog-empty-'));
  try {
    const idle = await runAgent(emptyRoot, 0);
    for (const pods of podCounts) {
      const root = mkdtempSync(join(tmpdir(), 'podlog-bench-catalog-'));
      mkdirSync(root, { recursive: true });
      try {
        makePodTree(root, pods, files);
        const t0 = performance.now();
        const n = Number(execFileSync('sh', ['-c', `find "${root}" -type f | wc -l`], { encoding: 'utf8' }).trim());
        const findMs = performance.now() - t0;
        const agent = await runAgent(root, pods);
        const child = spawnSync(process.execPath, [new URL('./catalog-child.ts', import.meta.url).pathname, root], { encoding: 'utf8', env: productionEnv() });
        if (child.status !== 0) throw new Error(`catalog child failed: ${child.stderr}`);
        const alone = JSON.parse(child.stdout.trim().split('\n').pop()!) as { ms: number; rssMB: number; files: number };
        if (n !== alone.files) throw new Error(`catalog saw ${alone.files} files, find saw ${n}`);
        const size = `${pods.toLocaleString('en')} pods × ${files} files`;
        const peer = `find: ${findMs.toFixed(0)} ms`;
        rows.push(
          { name: `agent answers (/healthz), ${size}`, value: `${agent.answerMs.toFixed(0)} ms`, peer, ratio: `first /pods: ${agent.firstListing.pods} pods${agent.firstListing.partial ? ', partial' : ''}`, goal: 'at once' },
          { name: `agent scan done (/readyz 200), ${size}`, value: `${agent.readyMs.toFixed(0)} ms`, peer, ratio: `${(agent.readyMs / findMs).toFixed(1)}× find's time` },
          { name: `agent lists everything (GET /pods complete), ${size}`, value: `${agent.listedMs.toFixed(0)} ms`, peer, ratio: `${(agent.listedMs / findMs).toFixed(1)}× find's time`, goal: '≤ 3000 ms' },
          { name: `agent RSS after the scan, ${size}`, value: `${agent.rssMB.toFixed(0)} MB`, peer: `same agent, empty root: ${idle.rssMB.toFixed(0)} MB`, ratio: `+${(agent.rssMB - idle.rssMB).toFixed(0)} MB`, goal: '≤ 150 MB' },
          { name: `catalog alone: scan, ${size}`, value: `${alone.ms.toFixed(0)} ms`, peer, ratio: `${(alone.ms / findMs).toFixed(1)}× find's time` },
          { name: `catalog alone: RSS after scan, ${size}`, value: `${alone.rssMB.toFixed(0)} MB` },
        );
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(emptyRoot, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pods: { type: 'string', default: '1000,10000' }, files: { type: 'string', default: '10' } } });
  console.table(await benchCatalog(values.pods!.split(',').map(Number), Number(values.files)));
}
