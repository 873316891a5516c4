/**
 * Benchmark: what the agent costs in RSS at rest, and where it goes.
 * - each runtime dependency imported alone in a fresh Node process, minus a bare Node process;
 * - the agent at rest (empty root, 5 s after ready) as production runs it (the bundle, the DaemonSet's V8
 *   flags) without a cluster or Elasticsearch, with a cluster link (a kubeconfig pointing at the project's
 *   test API server), and with both; and once from its TypeScript sources (as a clone runs it).
 * Peer: a bare Node process (`node -e` with the same flags), measured in the same run.
 * Run: node bench/memory.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeKube } from '../test/servers/fake-kube.ts';
import { startFakeEs } from '../test/servers/fake-es.ts';
import type { BenchRow } from './row.ts';
import { agentBundle, productionEnv } from './production.ts';
import { rssMB } from './proc.ts';

const node = process.execPath;
const repo = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

/** RSS (bytes) of a fresh Node process after running `code`, garbage collected. */
function rssAfter(code: string): number {
  const r = spawnSync(node, ['--expose-gc', '--input-type=module', '-e', `${code}; globalThis.gc(); await new Promise((r) => setTimeout(r, 300)); globalThis.gc(); process.stdout.write(String(process.memoryUsage().rss));`], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout);
}

/**
 * Start the agent with `args`, wait until it answers /readyz, let it settle, and return its RSS.
 * @param entry the script: the bundle's cli.js (default) or `src/cli.ts`
 */
async function agentRss(args: string[], entry?: string): Promise<number> {
  const child = spawn(node, [entry ?? (await agentBundle()), 'agent', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: entry ? process.env : productionEnv() });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        buf += d;
        const m = /"msg":"listening"/.test(buf) ? /"url":"([^"]+)"/.exec(buf) : null;
        if (m) resolve(m[1]!);
      });
      child.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
    });
    for (let i = 0; i < 200; i++) {
      const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 5000));
    return rssMB(child.pid!) * MiB;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** The rows: dependencies alone, then the agent in three configurations, each against bare Node. */
export async function benchMemory(): Promise<BenchRow[]> {
  const bare = rssAfter('');
  const rows: BenchRow[] = [];
  const deps = Object.keys((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)
    .filter((d) => !d.startsWith('@types/'));
  for (const d of deps) {
    const rss = rssAfter(`await import(${JSON.stringify(d)})`);
    rows.push({ name: `import ${d}`, value: `+${((rss - bare) / MiB).toFixed(0)} MB` });
  }
  const dir = mkdtempSync(join(tmpdir(), 'podlog-bench-mem-'));
  const fake = new FakeKube();
  await fake.listen();
  const es = await startFakeEs({ store: false });
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${fake.url()}", insecure-skip-tls-verify: true}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`);
    const base = ['--root', mkdtempSync(join(dir, 'root-')), '--state-dir', join(dir, 'state')];
    const peer = `bare Node ${(bare / MiB).toFixed(0)} MB`;
    const sources = await agentRss(base, join(repo, 'src/cli.ts'));
    rows.push({ name: 'agent at rest from its TypeScript sources (a clone): no cluster, no Elasticsearch', value: `${(sources / MiB).toFixed(0)} MB`, peer, ratio: `${(sources / bare).toFixed(1)}×` });
    const plain = await agentRss(base);
    rows.push({ name: 'agent at rest (bundle, DaemonSet tuning): no cluster, no Elasticsearch', value: `${(plain / MiB).toFixed(0)} MB`, peer, ratio: `${(plain / bare).toFixed(1)}×`, goal: '≤ 100 MB' });
    const kube = await agentRss([...base, '--kubeconfig', kubeconfig, '--node-name', 'node-1']);
    rows.push({ name: 'agent at rest (bundle, DaemonSet tuning): cluster link', value: `${(kube / MiB).toFixed(0)} MB`, peer, ratio: `${(kube / bare).toFixed(1)}×`, goal: '≤ 100 MB' });
    const both = await agentRss([...base, '--kubeconfig', kubeconfig, '--node-name', 'node-1', '--es-url', es.url]);
    rows.push({ name: 'agent at rest (bundle, DaemonSet tuning): cluster link and shipping', value: `${(both / MiB).toFixed(0)} MB`, peer, ratio: `${(both / bare).toFixed(1)}×`, goal: '≤ 100 MB' });
  } finally {
    await es.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.main) console.table(await benchMemory());
