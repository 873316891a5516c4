/**
 * Search through the agent's HTTP API against ripgrep and GNU grep counting the same lines on the same
 * files in the same run (`rg -c`, `grep -c`, same flags), plus the agent's event loop and memory
 * under search load:
 * - time per query, median of `--runs` (interleaved podlog / rg / grep, warm page cache), for the agent as
 *   deployed (`search.engine: auto`: ripgrep when rg is on PATH) and, when rg is there, for a second agent
 *   forced to the built-in engine; the hits each streams must equal rg's count (the run fails otherwise);
 * - `/healthz` p99 while a search matching ~17% of a 1 GiB file's lines streams, beside idle;
 * - RSS: idle, peak while 30 searches with limit=100000 run at once, and a minute after.
 * The agent runs as a child process as production runs it (the bundle, the DaemonSet's runtime
 * tuning). ripgrep is looked up on PATH and in ~/.cargo/bin (`apt-get install ripgrep` or `cargo install ripgrep`); without it the rg
 * column says so. Files go to os.tmpdir() and are deleted afterwards.
 * Run: node bench/search.ts [--mib 1024] [--runs 3] [--quick-load]
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateFlinkLog } from './logfile.ts';
import type { BenchRow } from './row.ts';
import { agentBundle, productionEnv } from './production.ts';
import { rssMB } from './proc.ts';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, runs: { type: 'string', default: '3' }, 'quick-load': { type: 'boolean', default: false }, skip: { type: 'string', default: '' } } });
/** Parts to leave out: `speed`, `healthz`, `rss` (comma-separated). */
const skip = new Set(values.skip!.split(','));
const MIB = 1024 * 1024;
const size = Number(values.mib) * MIB;
const runs = Number(values.runs);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function findRg(): { bin: string; version: string } | undefined {
  for (const bin of ['rg', join(homedir(), '.cargo/bin/rg')]) {
    try {
      return { bin, version: execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0]! };
    } catch {
      // not there
    }
  }
  // not installed: build it when a Rust toolchain is there (minutes), else run without the rg column
  try {
    execFileSync('cargo', ['install', 'ripgrep', '--locked'], { stdio: 'inherit' });
    const bin = join(homedir(), '.cargo/bin/rg');
    return { bin, version: `${execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0]!} (built with cargo install)` };
  } catch {
    return undefined;
  }
}

/** Count matching lines with an external tool (exit 1 = none). Files passed as paths; `-c` per file summed. */
function countWith(bin: string, args: string[], files: string[]): { ms: number; count: number } {
  const t0 = performance.now();
  let out: string;
  try {
    out = execFileSync(bin, [...args, ...files], { encoding: 'utf8', maxBuffer: 64 * MIB });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const ms = performance.now() - t0;
  const count = out.trim().split('\n').filter(Boolean).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(':') + 1)), 0);
  return { ms, count };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}


/** GET on a fresh connection (no keep-alive reuse racing the server's idle timeout); resolves with the response. */
function get(base: string, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => httpGet(`${base}${path}`, { agent: false }, resolve).on('error', reject));
}

/** Stream one search, counting hit lines; returns ms, hits and the summary. */
async function podlogSearch(base: string, qs: string): Promise<{ ms: number; hits: number; summary: Record<string, unknown> }> {
  const t0 = performance.now();
  const res = await get(base, `/api/v1/search?${qs}`);
  let lines = 0;
  let tail = Buffer.alloc(0);
  for await (const chunk of res as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    tail = Buffer.concat([tail, chunk]).subarray(-4096);
  }
  const ms = performance.now() - t0;
  if (res.statusCode !== 200) throw new Error(`search ${qs}: HTTP ${res.statusCode} ${tail.toString()}`);
  const last = tail.toString('utf8').trimEnd().split('\n').pop()!;
  return { ms, hits: lines - 1, summary: JSON.parse(last) as Record<string, unknown> };
}

/** ms of one /healthz. */
async function healthz(base: string): Promise<number> {
  const t0 = performance.now();
  const res = await get(base, '/healthz');
  for await (const _ of res as AsyncIterable<Buffer>);
  return performance.now() - t0;
}

/** Child script: GET `${argv[1]}/healthz` every 10 ms until stdin closes, then print the latencies (ms) as JSON. */
const PROBER = `
const http = require('node:http');
const base = process.argv[1];
const lat = [];
let on = true;
process.stdin.on('end', () => (on = false)).resume();
const one = () => new Promise((res, rej) => { const t0 = performance.now(); http.get(base + '/healthz', { agent: false }, (r) => { r.resume(); r.on('end', () => res(performance.now() - t0)); }).on('error', rej); });
(async () => {
  lat.push(await one());
  process.stdout.write('ready\\n');
  while (on) { lat.push(await one()); await new Promise((r) => setTimeout(r, 10)); }
  process.stdout.write(JSON.stringify(lat) + '\\n');
})();
`;

interface Case {
  label: string;
  qs: string;
  rg: string[];
  grep: string[];
  files: string[];
}

async function main(): Promise<void> {
  const rg = findRg();
  console.log(`ripgrep: ${rg ? `${rg.version} (${rg.bin})` : 'not found (apt-get install ripgrep, or cargo install ripgrep)'}; grep: ${execFileSync('grep', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`);
  const dir = await mkdtemp(join(tmpdir(), 'podlog-bench-search-'));
  const root = join(dir, 'root');
  const podDir = (ns: string, pod: string, i: number) => {
    const d = join(root, `${ns}_${pod}_0b0f3f0e-6f2c-4e3a-9c1d-${String(i).padStart(12, '0')}`, 'flink-main-container');
    mkdirSync(d, { recursive: true });
    return d;
  };
  let agent: ChildProcess | undefined;
  let builtinChild: ChildProcess | undefined;
  try {
    const big = join(podDir('bench', 'big-0', 1), 'taskmanager.log');
    const mid = join(podDir('bench', 'mid-0', 2), 'taskmanager.log');
    await generateFlinkLog(big, size);
    await generateFlinkLog(mid, Math.min(size, 100 * MIB));
    const manyFiles: string[] = [];
    const chunk = join(dir, 'chunk.log');
    await generateFlinkLog(chunk, 512 * 1024);
    const chunkBytes = readFileSync(chunk);
    const pods = values['quick-load'] ? 20 : 200;
    for (let p = 0; p < pods; p++) {
      const d = podDir('many', `tm-${p}`, 1000 + p);
      for (let f = 0; f < 10; f++) {
        const path = join(d, f === 0 ? 'taskmanager.log' : `taskmanager.log.${f}`);
        await writeFile(path, chunkBytes);
        manyFiles.push(path);
      }
    }
    execFileSync('sync');

    // the agent as deployed (search.engine auto: ripgrep when on PATH), and one forced to the built-in engine
    const startAgent = async (engine: string, state: string): Promise<{ child: ChildProcess; base: string }> => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      mkdirSync(join(dir, state), { recursive: true });
      // the agent as production runs it: the bundle, tuned as the DaemonSet tunes it
      const child = spawn(process.execPath, [await agentBundle(), 'agent', '--root', root, '--state-dir', join(dir, state), '--host', '127.0.0.1', '--port', String(port), '--auth', 'none', '--log-level', 'warn'], {
        env: { ...productionEnv(), PODLOG_SEARCH_MAX_LIMIT: '100000000', PODLOG_SEARCH_ENGINE: engine },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      for (let i = 0; ; i++) {
        try {
          const r = await get(base, '/readyz');
          r.resume();
          if (r.statusCode === 200) break;
        } catch {
          // starting
        }
        if (i > 600) throw new Error('agent did not become ready');
        await new Promise((r) => setTimeout(r, 100));
      }
      return { child, base };
    };
    const main = await startAgent('auto', 'state');
    agent = main.child;
    const base = main.base;
    const engineName = rg ? `ripgrep engine, ${rg.version}` : 'built-in engine (no rg on PATH)';
    const builtinAgent = rg ? await startAgent('builtin', 'state-builtin') : undefined;
    builtinChild = builtinAgent?.child;
    const pid = agent.pid!;
    const startRss = rssMB(pid);
    const rows: BenchRow[] = [];

    const cases: Case[] = [
      { label: `literal, rare (ERROR), ${values.mib} MiB`, qs: 'q=ERROR&pod=big-0', rg: ['-c', '-F', 'ERROR'], grep: ['-c', '-F', 'ERROR'], files: [big] },
      { label: `case-insensitive literal (task failed), ${values.mib} MiB`, qs: 'q=task+failed&case=false&pod=big-0', rg: ['-c', '-F', '-i', 'task failed'], grep: ['-c', '-F', '-i', 'task failed'], files: [big] },
      { label: `alternation ERROR|WARN, ${values.mib} MiB`, qs: 'q=ERROR%7CWARN&regex=true&pod=big-0', rg: ['-c', 'ERROR|WARN'], grep: ['-c', '-E', 'ERROR|WARN'], files: [big] },
      { label: `regex \\bjob[0-9a-f]{32}\\b, ${values.mib} MiB`, qs: `q=${encodeURIComponent('\\bjob[0-9a-f]{32}\\b')}&regex=true&pod=big-0`, rg: ['-c', '\\bjob[0-9a-f]{32}\\b'], grep: ['-c', '-E', '\\bjob[0-9a-f]{32}\\b'], files: [big] },
      { label: 'regex, no required literal, [0-9]{13}, 100 MiB', qs: `q=${encodeURIComponent('[0-9]{13}')}&regex=true&pod=mid-0`, rg: ['-c', '[0-9]{13}'], grep: ['-c', '-E', '[0-9]{13}'], files: [mid] },
      { label: `literal (ERROR), ${pods * 10} files × 512 KiB in ${pods} pods`, qs: 'q=ERROR&namespace=many', rg: ['-c', '-F', 'ERROR'], grep: ['-c', '-F', 'ERROR'], files: manyFiles },
    ];
    for (const c of skip.has('speed') ? [] : cases) {
      const ours: number[] = [];
      const builtins: number[] = [];
      let builtinHits = 0;
      const rgs: number[] = [];
      const greps: number[] = [];
      let hits = 0;
      let rgCount: number | undefined;
      let grepCount = 0;
      for (let i = 0; i < runs + 1; i++) {
        const p = await podlogSearch(base, `${c.qs}&limit=100000000`);
        const b = builtinAgent ? await podlogSearch(builtinAgent.base, `${c.qs}&limit=100000000`) : undefined;
        const g = countWith('grep', c.grep, c.files);
        const r = rg ? countWith(rg.bin, ['--no-config', ...c.rg], c.files) : undefined;
        if (i === 0) continue; // warm-up round
        ours.push(p.ms);
        if (b) {
          builtins.push(b.ms);
          builtinHits = b.hits;
        }
        greps.push(g.ms);
        if (r) rgs.push(r.ms);
        hits = p.hits;
        grepCount = g.count;
        rgCount = r?.count;
        if (p.summary.stopped_by !== 'done') throw new Error(`${c.label}: stopped by ${String(p.summary.stopped_by)}`);
      }
      if (rgCount !== undefined && (rgCount !== hits || (builtinAgent && rgCount !== builtinHits))) {
        throw new Error(`${c.label}: rg counted ${rgCount} lines, podlog streamed ${hits} (${engineName})${builtinAgent ? ` and ${builtinHits} (built-in engine)` : ''}`);
      }
      const grepSame = grepCount === hits ? '' : ` (grep ${grepCount})`;
      if (builtinAgent) {
        rows.push({
          name: `search ${c.label}, built-in engine (search.engine builtin): ${builtinHits} lines`,
          value: `${median(builtins).toFixed(0)} ms`,
          peer: `rg -c ${median(rgs).toFixed(0)} ms, grep -c ${median(greps).toFixed(0)} ms`,
          ratio: `${(median(builtins) / median(rgs)).toFixed(2)}× rg's time`,
          goal: '',
        });
        console.log(rows.at(-1));
      }
      rows.push({
        name: `search ${c.label}, ${engineName}: ${hits} lines${grepSame}`,
        value: `${median(ours).toFixed(0)} ms`,
        peer: `${rg ? `rg -c ${median(rgs).toFixed(0)} ms, ` : ''}grep -c ${median(greps).toFixed(0)} ms`,
        ratio: rg ? `${(median(ours) / median(rgs)).toFixed(2)}× rg's time` : `${(median(ours) / median(greps)).toFixed(2)}× grep's time`,
        goal: c.label.startsWith('regex, no') ? '≤ 2× rg' : c.label.includes('files') ? '≤ 1.5× rg' : c.label.startsWith('regex') ? '' : '≤ 1.0× rg',
      });
      console.log(rows.at(-1));
    }

    if (!skip.has('healthz')) {
      // the event loop while a search matching ~17% of the lines streams
      const probe = async (ms: number) => {
        const lat: number[] = [];
        const until = performance.now() + ms;
        while (performance.now() < until) {
          lat.push(await healthz(base));
          await new Promise((r) => setTimeout(r, 10));
        }
        return lat;
      };
      const idle = await probe(3000);
      // the prober runs in its own process: this one is busy reading the hits
      const prober = spawn(process.execPath, ['-e', PROBER, base], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      prober.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((r) => prober.stdout!.once('data', r)); // it is probing
      const h = await podlogSearch(base, 'q=kafka&case=false&pod=big-0&limit=100000000');
      prober.stdin!.end();
      await new Promise((r) => prober.once('exit', r));
      const during = (JSON.parse(out.trim().split('\n').pop()!) as number[]).slice(1);
      rows.push({ name: `/healthz p99 while a search (${engineName}) streams ${h.hits} hits (${(h.ms / 1000).toFixed(1)} s, case-insensitive kafka)`, value: `${pct(during, 0.99).toFixed(1)} ms (p50 ${pct(during, 0.5).toFixed(1)}, ${during.length} probes)`, peer: `idle: p99 ${pct(idle, 0.99).toFixed(1)} ms`, goal: '≤ 20 ms' });
      console.log(rows.at(-1));
    }

    if (!skip.has('rss')) {
      // memory: 30 searches with limit=100000 at once
      const idleRss = rssMB(pid);
      let peak = idleRss;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMB(pid))), 100);
      const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => podlogSearch(base, `q=kafka&case=false&limit=100000&namespace=${i % 2 ? 'many' : 'bench'}`).then((r) => `stopped by ${String(r.summary.stopped_by)}`, (e: Error) => (/HTTP 429/.test(e.message) ? 'refused with 429' : e.message.slice(0, 60)))));
      clearInterval(sampler);
      const counts = new Map<string, number>();
      for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
      const afterLoad = rssMB(pid);
      await new Promise((r) => setTimeout(r, 60_000));
      const minuteAfter = rssMB(pid);
      rows.push({ name: `RSS, 30 searches at once (limit=100000; ${[...counts].map(([k, v]) => `${v} ${k}`).join(', ')})`, value: `peak ${peak.toFixed(0)} MB, ${afterLoad.toFixed(0)} MB at the end, ${minuteAfter.toFixed(0)} MB a minute after`, peer: `before: ${idleRss.toFixed(0)} MB (${startRss.toFixed(0)} MB at start); DaemonSet limit 512 MiB`, ratio: `${(minuteAfter / idleRss).toFixed(2)}× the RSS before, a minute after`, goal: '< 512 MiB; ≤ 1.2× idle after 1 min' });
      console.log(rows.at(-1));
    }
    console.table(rows);
  } finally {
    agent?.kill();
    builtinChild?.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

if (!existsSync('/proc/self/status')) throw new Error('this benchmark reads /proc (Linux)');
await main();
