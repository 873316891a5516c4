/**
 * Benchmark: the agent under a mix of heavy and misbehaving clients, against its own idle figures.
 * One agent child process (the DaemonSet's heap flags) over a temp root; on loopback, together:
 * - 300 follows: 250 of 10 growing files (one line per file every 50 ms) by clients that read, and 50 from
 *   offset 0 of a 64 MiB file by clients that never read (back-pressure holds them);
 * - 30 searches matching every line (limit 10,000 each), read to their end;
 * - 20 downloads of the 64 MiB file at once, each reset (RST) after 1 MiB, 5 rounds.
 * Measured: the agent's peak RSS (VmRSS sampled every 50 ms) and `/healthz` latency p99 (sequential
 * requests throughout), against the same figures idle. Stops by itself (bounded counts).
 * Run: node bench/load.ts
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import split2 from 'split2';
import { fileURLToPath } from 'node:url';
import { generateLog } from '../test/e2e/harness.ts';
import type { BenchRow } from './row.ts';
import { agentBundle, productionEnv } from './production.ts';
import { rssMB } from './proc.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const UID = '0b0f3f0e-6f2c-4e3a-9c1d-000000000001';
const FILES = `/api/v1/namespaces/bench/pods/load-0/containers/main/files`;
const MiB = 1024 * 1024;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** Open a raw GET; `onData` sees each chunk; resolves with the socket once connected. */
function rawGet(port: number, path: string, onData?: (s: Socket, d: Buffer) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      resolve(s);
    });
    s.once('error', reject);
    if (onData) s.on('data', (d: Buffer) => onData(s, d));
  });
}

/** The prober: its own process, so the load this bench generates never delays its clock or its requests. */
const PROBE = `
const [url, max] = process.argv.slice(1);
let stop = false;
process.stdin.on('end', () => (stop = true)).resume();
for (let n = 0; !stop && n < Number(max); n++) {
  const t0 = performance.now();
  const r = await fetch(url + '/healthz');
  await r.arrayBuffer();
  process.stdout.write((performance.now() - t0).toFixed(3) + '\\n');
  await new Promise((r) => setTimeout(r, 10));
}
process.exit(0);
`;

/**
 * `/healthz` latencies (ms), sequential, measured by a separate process until `stop()` is true or `max` samples
 * (so the bench's own clients never count as the agent's latency).
 */
async function healthz(url: string, stop: () => boolean, max: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PROBE, url, String(max)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: number[] = [];
  child.stdout.pipe(split2()).on('data', (line: string) => out.push(Number(line)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const poll = setInterval(() => {
    if (stop()) child.stdin.end();
  }, 20);
  await exited;
  clearInterval(poll);
  return out;
}

/** Run the load mix once against a fresh agent and return its rows. */
export async function benchLoad(): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'podlog-bench-load-'));
  const dir = join(root, 'root', `bench_load-0_${UID}`, 'main');
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, 'state'));
  await generateLog(join(dir, 'big.log'), 64 * MiB, 'last line');
  for (let i = 0; i < 10; i++) appendFileSync(join(dir, `live-${i}.log`), 'start\n');

  const child = spawn(process.execPath, [await agentBundle(), 'agent', '--root', join(root, 'root'), '--state-dir', join(root, 'state'), '--port', '0', '--host', '127.0.0.1', '--log-level', 'info'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...productionEnv(), // the bundle, tuned as the DaemonSet runs it
      PODLOG_FOLLOW_MAX_CLIENTS: '300',
      PODLOG_AUTH_LIMITS_CONCURRENT_PER_CLIENT: '1000',
      PODLOG_AUTH_LIMITS_REQUESTS_PER_MINUTE: '100000',
      PODLOG_AUTH_LIMITS_AUTH_FAILURES_PER_MINUTE: '100000',
    },
  });
  const sockets: Socket[] = [];
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the agent did not listen within 60 s')), 60_000);
      child.once('exit', (code) => reject(new Error(`agent exited with ${code}`)));
      child.stdout!.pipe(split2()).on('data', (line: string) => {
        const m = /"url":"([^"]+)"/.exec(line);
        if (line.includes('"listening"') && m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    child.stdout!.resume();
    const port = Number(new URL(url).port);
    const pid = child.pid!;

    // idle
    const idleLat = await healthz(url, () => false, 200);
    const idleRss = rssMB(pid);

    // load
    let peak = rssMB(pid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMB(pid));
    }, 50);
    let loadDone = false;
    const loadLat = healthz(url, () => loadDone, 100_000);
    for (let i = 0; i < 250; i++) sockets.push(await rawGet(port, `${FILES}/live-${i % 10}.log/follow`, () => {}));
    for (let i = 0; i < 50; i++) {
      const s = await rawGet(port, `${FILES}/big.log/follow?offset=0`);
      s.pause(); // never reads
      sockets.push(s);
    }
    const writer = setInterval(() => {
      for (let i = 0; i < 10; i++) appendFileSync(join(dir, `live-${i}.log`), `${new Date().toISOString()} INFO a line for the followers\n`);
    }, 50);
    const searches = Promise.all(Array.from({ length: 30 }, async () => {
      const r = await fetch(`${url}/api/v1/search?q=Generated&limit=10000`);
      return (await r.text()).split('\n').length;
    }));
    let resets = 0;
    const downloads = (async () => {
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 20 }, () => new Promise<void>((resolve) => {
          let got = 0;
          void rawGet(port, `${FILES}/big.log?download=1`, (s, d) => {
            got += d.length;
            if (got >= MiB && !s.destroyed) {
              s.resetAndDestroy();
              resets++;
            }
          }).then((s) => s.on('close', () => resolve()));
        })));
      }
    })();
    const [lines] = await Promise.all([searches, downloads]);
    loadDone = true;
    const lat = await loadLat;
    clearInterval(writer);
    clearInterval(sampler);
    for (const s of sockets) s.destroy();
    const alive = (await fetch(`${url}/healthz`)).status === 200;
    await new Promise((r) => setTimeout(r, 5000));
    const afterRss = rssMB(pid);
    const hits = lines.reduce((a, b) => a + b - 2, 0);
    return [
      { name: `peak RSS under load (300 follows, 30 searches = ${hits} hits, ${resets} reset downloads)`, value: `${peak.toFixed(0)} MB`, peer: `idle ${idleRss.toFixed(0)} MB`, ratio: `${(peak / idleRss).toFixed(1)}×`, goal: '< 512 MiB (DaemonSet limit)' },
      { name: `/healthz p99 under load (${lat.length} requests)`, value: `${pct(lat, 99).toFixed(1)} ms`, peer: `idle ${pct(idleLat, 99).toFixed(1)} ms`, ratio: `${(pct(lat, 99) / pct(idleLat, 99)).toFixed(1)}×` },
      { name: 'RSS 5 s after the load', value: `${afterRss.toFixed(0)} MB`, peer: `idle ${idleRss.toFixed(0)} MB`, goal: alive ? 'agent still serving' : 'AGENT DOWN' },
    ];
  } finally {
    for (const s of sockets) s.destroy();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) console.table(await benchLoad());
