/**
 * Shipping benchmark: records/s and MB/s per core, CPU and peak RSS of podlog's shipper for a
 * Flink-style log (default 1 GiB) into (1) the test server (isolates podlog's own cost) and (2) a real
 * Elasticsearch, side by side with rsyslog (Debian `rsyslog` + `rsyslog-elasticsearch`: imfile →
 * omelasticsearch, bulk mode) on the same file and the same servers, in the same run.
 *
 * Standalone: `./node_modules/.bin/node --import tsx bench/ship.ts [--mib 1024] [--skip-es] [--skip-rsyslog] [--skip-test-server] [--skip-podlog]`
 * From bench/run.ts: `import { runShipBench } from './ship.ts'`.
 * The input is generated into a temp dir and deleted afterwards; nothing large is committed.
 * podlog and rsyslog each run as a separate process, so their CPU (user+sys from /proc) and RSS are
 * measured alone; Elasticsearch's own CPU is not counted for either.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import pino from 'pino';
import type { CatalogView, PodEntry } from '../src/store/types.ts';
import { statSync } from 'node:fs';
import v8 from 'node:v8';

const here = dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;

/**
 * V8 flags of the podlog process: env `PODLOG_BENCH_NODE_FLAGS` (space-separated), default
 * `--max-semi-space-size=16`: on a large machine V8 grows the young generation to 128 MiB, which
 * is most of the RSS; 16 MiB semi-spaces keep RSS near 220 MiB at the same throughput. The agent's
 * launch should use the same flag (NODE_OPTIONS).
 */
export function nodeFlags(): string[] {
  return (process.env.PODLOG_BENCH_NODE_FLAGS ?? '--max-semi-space-size=16').split(' ').filter(Boolean);
}

/** One measured run. */
export interface ShipRun {
  tool: 'podlog' | 'rsyslog';
  target: 'test-server' | 'elasticsearch';
  records: number;
  bytes: number;
  wallS: number;
  cpuS: number;
  recordsPerS: number;
  recordsPerCoreS: number;
  mbPerCoreS: number;
  maxRssMB: number;
  note?: string;
}

const LOGGERS = [
  'org.apache.flink.runtime.taskexecutor.TaskExecutor',
  'org.apache.flink.runtime.checkpoint.CheckpointCoordinator',
  'org.apache.flink.connector.kafka.source.reader.KafkaSourceReader',
  'org.apache.flink.runtime.io.network.netty.PartitionRequestQueue',
  'org.apache.flink.streaming.runtime.tasks.StreamTask',
];
const MSGS = [
  'Triggering checkpoint {n} (type=CheckpointType{name=\'Checkpoint\', sharingFilesStrategy=FORWARD_BACKWARD}) @ 1714521600000 for job 3af2602788d1e9433725159033328276.',
  'Completed checkpoint {n} for job 3af2602788d1e9433725159033328276 (21931 bytes, checkpointDuration=42 ms, finalizationTime=1 ms).',
  'Source: Kafka Source -> Map (1/1) (3af2602788d1e9433725159033328276_cbc357ccb763df2852fee8c4fc7d55f2_0_0) switched from DEPLOYING to INITIALIZING.',
  'Assigning splits to readers {0=[[Partition: polymarket-messages-0, StartingOffset: {n}, StoppingOffset: -9223372036854775808]]}',
  'Receive slot request 7b4c1e3c-{n} for job 3af2602788d1e9433725159033328276 from resource manager with leader id 00000000000000000000000000000000.',
];

/** Write a Flink log4j2-style file of about `bytes`; every 50th record carries a 6-line stack trace. */
async function generate(path: string, bytes: number): Promise<{ records: number; bytes: number }> {
  const out = createWriteStream(path);
  let written = 0;
  let records = 0;
  let t = Date.UTC(2024, 4, 1);
  while (written < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++, records++, t += 7) {
      const d = new Date(t).toISOString();
      const ts = `${d.slice(0, 10)} ${d.slice(11, 19)},${d.slice(20, 23)}`;
      const level = records % 50 === 0 ? 'ERROR' : records % 13 === 0 ? 'WARN ' : 'INFO ';
      lines.push(`${ts} ${level} ${LOGGERS[records % LOGGERS.length]!.padEnd(60)} [] - ${MSGS[records % MSGS.length]!.replace('{n}', String(records))}`);
      if (records % 50 === 0) {
        lines.push('java.io.IOException: unable to open JDBC writer');
        lines.push('\tat org.apache.flink.connector.jdbc.internal.JdbcOutputFormat.open(JdbcOutputFormat.java:142) ~[?:?]');
        lines.push('\tat org.apache.flink.streaming.runtime.tasks.StreamTask.restoreInternal(StreamTask.java:812) ~[flink-dist-1.20.1.jar:1.20.1]');
        lines.push('Caused by: org.postgresql.util.PSQLException: The connection attempt failed.');
        lines.push('\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:354) ~[?:?]');
        lines.push('\t... 16 more');
      }
    }
    const chunk = lines.join('\n') + '\n';
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(r));
  return { records, bytes: written };
}

/** user+sys CPU seconds and peak RSS (MiB) of a live process, from /proc. */
function procStats(pid: number): { cpuS: number; rssMB: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tck = 100;
    const cpuS = (Number(f[11]) + Number(f[12])) / tck;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return { cpuS, rssMB: hwm ? Number(hwm[1]) / 1024 : 0 };
  } catch {
    return { cpuS: 0, rssMB: 0 };
  }
}

function row(tool: ShipRun['tool'], target: ShipRun['target'], records: number, bytes: number, wallS: number, cpuS: number, maxRssMB: number, note?: string): ShipRun {
  return {
    tool, target, records, bytes, wallS: +wallS.toFixed(2), cpuS: +cpuS.toFixed(2),
    recordsPerS: Math.round(records / wallS), recordsPerCoreS: Math.round(records / cpuS),
    mbPerCoreS: +(bytes / 1048576 / cpuS).toFixed(1), maxRssMB: Math.round(maxRssMB), ...(note ? { note } : {}),
  };
}

/** A CatalogView of one pod folder (the bench's single file). */
function oneFileCatalog(root: string, ns: string, dir: string, file: string): CatalogView {
  const [_, name, uid] = dir.split('_');
  return {
    pods(): PodEntry[] {
      const path = join(root, dir, 'flink-main-container', file);
      const st = statSync(path);
      const f = { name: file, path, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, kind: 'live' as const, live: true };
      const c = { name: 'flink-main-container', path: join(root, dir, 'flink-main-container'), files: new Map([[file, f]]) };
      return [{ namespace: ns, name: name!, uid: uid!, root, path: join(root, dir), containers: new Map([[c.name, c]]), lastActivityMs: 0 }];
    },
    generations: () => [],
    onChange: () => () => undefined,
  };
}

/** Child mode: run the shipper until caught up; print `{"wallS"}`. */
async function child(root: string, state: string, url: string, ns: string, dir: string, file: string): Promise<void> {
  const { createShipper } = await import('../src/ship/index.ts');
  const { shipConfigSchema } = await import('../src/ship/config.ts');
  const { createEsClient } = await import('../src/ship/es-client.ts');
  const started = performance.now();
  const config = shipConfigSchema.parse({ esUrl: url, namespaces: [ns], pollMs: 100, multilineTimeoutMs: 200 });
  const shipper = createShipper({
    catalog: oneFileCatalog(root, ns, dir, file), priorityOf: () => undefined, config, client: createEsClient(config, {}),
    stateDir: state, logger: pino({ level: 'warn' }), metrics: new Registry(), hostName: 'bench-node',
  });
  await shipper.start(new AbortController().signal);
  const peak = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0, rss: 0 };
  let spaces = '';
  const mem = setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], Math.round(m[k] / 1048576));
    if (process.env.PODLOG_BENCH_MEM === 'spaces' && m.heapUsed / 1048576 >= peak.heapUsed - 1) {
      spaces = v8.getHeapSpaceStatistics().map((x) => `${x.space_name}=${Math.round(x.space_used_size / 1048576)}/${Math.round(x.space_size / 1048576)}`).join(' ');
    }
  }, 200);
  await new Promise<void>((r) => {
    const t = setInterval(() => {
      void shipper.caughtUp().then((up) => {
        if (up && shipper.status().files.length > 0) {
          clearInterval(t);
          r();
        }
      });
    }, 50);
  });
  const wallS = (performance.now() - started) / 1000;
  clearInterval(mem);
  if (process.env.PODLOG_BENCH_MEM) process.stderr.write(`memory peaks (MiB): ${JSON.stringify(peak)} ${spaces}\n`);
  await shipper.stop();
  const cpu = process.cpuUsage();
  const cpuS = (cpu.user + cpu.system) / 1e6; // whole process life: start-up (tsx) included
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ wallS, cpuS, maxRssMB }) + '\n');
  process.exit(0);
}

async function runPodlog(root: string, url: string, ns: string, dir: string, file: string, input: { records: number; bytes: number }, target: ShipRun['target']): Promise<ShipRun> {
  const state = mkdtempSync(join(tmpdir(), 'podlog-bench-ship-state-'));
  try {
    const prof = process.env.PODLOG_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PODLOG_BENCH_CPU_PROF}`] : [];
    const c = spawn(NODE, [...nodeFlags(), ...prof, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', root, state, url, ns, dir, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
    });
    await new Promise((r) => c.once('exit', r));
    const { wallS, cpuS, maxRssMB } = JSON.parse(out.trim().split('\n').pop()!) as { wallS: number; cpuS: number; maxRssMB: number };
    return row('podlog', target, input.records, input.bytes, wallS, cpuS, maxRssMB);
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * Documents in `index`. No forced refresh (that would slow the server for rsyslog only): a shard
 * searched recently refreshes every second, so "done" is seen at most ~1-2 s late.
 */
async function countDocs(url: string, index: string): Promise<number> {
  try {
    const r = await fetch(`${url}/${index}/_count`);
    return r.ok ? ((await r.json()) as { count: number }).count : 0;
  } catch {
    return 0;
  }
}

/** rsyslog imfile → omelasticsearch (bulk mode) into `index` on host:port; done when `done()` says so. */
async function runRsyslog(path: string, port: number, index: string, input: { records: number; bytes: number }, target: ShipRun['target'], done: () => Promise<boolean>): Promise<ShipRun> {
  const work = mkdtempSync(join(tmpdir(), 'podlog-bench-rsyslog-'));
  mkdirSync(join(work, 'spool'));
  const conf = join(work, 'rsyslog.conf');
  writeFileSync(conf, `
global(workDirectory="${join(work, 'spool')}" maxMessageSize="64k")
module(load="imfile")
module(load="omelasticsearch")
template(name="ecs" type="list" option.jsonf="on") {
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="log.file.path" name="$!metadata!filename" format="jsonf")
}
input(type="imfile" File="${path}" Tag="flink" startmsg.regex="^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}" readTimeout="1" addMetadata="on" freshStartTail="off")
action(type="omelasticsearch" server="127.0.0.1" serverport="${port}" template="ecs" searchIndex="${index}" bulkmode="on" maxbytes="2m"
       esVersion.major="9" queue.type="linkedlist" queue.size="200000" queue.dequeuebatchsize="2000" action.resumeretrycount="-1")
`);
  const started = performance.now();
  const c: ChildProcess = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(work, 'rsyslog.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  c.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  let last = { cpuS: 0, rssMB: 0 };
  try {
    const deadline = Date.now() + 3_600_000;
    while (!(await done())) {
      if (c.exitCode !== null) throw new Error(`rsyslogd exited ${c.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error('rsyslog did not finish within an hour');
      if (c.pid) last = procStats(c.pid);
      await new Promise((r) => setTimeout(r, 500));
    }
    if (c.pid) last = procStats(c.pid);
    const wallS = (performance.now() - started) / 1000;
    return row('rsyslog', target, input.records, input.bytes, wallS, last.cpuS, last.rssMB, 'no log4j parsing: raw message + reception time');
  } finally {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
    rmSync(work, { recursive: true, force: true });
  }
}

/** Options of {@link runShipBench}. */
export interface ShipBenchOptions {
  /** Input size, MiB (default 1024). */
  mib?: number;
  skipEs?: boolean;
  skipRsyslog?: boolean;
  /** Skip the test-server runs (only the real Elasticsearch ones). */
  skipTestServer?: boolean;
  /** Skip podlog's runs (only rsyslog's). */
  skipPodlog?: boolean;
  log?: (line: string) => void;
}

/** Run the benchmark; returns one row per (tool, target) measured. */
export async function runShipBench(opts: ShipBenchOptions = {}): Promise<ShipRun[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { startFakeEs } = await import('../test/servers/fake-es.ts');
  const root = mkdtempSync(join(tmpdir(), 'podlog-bench-ship-'));
  const ns = 'bench';
  const dir = `${ns}_bench-tm_uid-bench`;
  const file = 'taskmanager.log';
  const cdir = join(root, dir, 'flink-main-container');
  mkdirSync(cdir, { recursive: true });
  const path = join(cdir, file);
  const rows: ShipRun[] = [];
  const rsyslogOk = !opts.skipRsyslog && spawnSync('sh', ['-c', 'command -v rsyslogd && test -f /usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so']).status === 0;
  try {
    log(`generating ${opts.mib ?? 1024} MiB Flink-style log…`);
    const input = await generate(path, (opts.mib ?? 1024) * 1048576);
    log(`input: ${input.records} records, ${(input.bytes / 1048576).toFixed(0)} MiB`);
    // 1. the test server, in its own process (so its CPU is not podlog's)
    if (!opts.skipTestServer) await testServerRuns();
    async function testServerRuns(): Promise<void> {
    const fakeProc = spawn(NODE, ['--import', 'tsx', join(here, '..', 'test', 'servers', 'fake-es.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((res) => fakeProc.stdout!.on('data', (b: Buffer) => {
      const m = /port=(\d+)/.exec(b.toString());
      if (m) res(Number(m[1]));
    }));
    try {
      const fakeUrl = `http://127.0.0.1:${port}`;
      if (!opts.skipPodlog) {
        rows.push(await runPodlog(root, fakeUrl, ns, dir, file, input, 'test-server'));
        log(JSON.stringify(rows[rows.length - 1]));
      }
      if (rsyslogOk) {
        const before = await countDocs(fakeUrl, '_all');
        rows.push(await runRsyslog(path, port, 'rsyslog-bench', input, 'test-server', async () => (await countDocs(fakeUrl, '_all')) - before >= input.records - 1));
        log(JSON.stringify(rows[rows.length - 1]));
      }
    } finally {
      fakeProc.kill('SIGTERM');
    }
    }
    void startFakeEs; // (the in-process fake is used by tests; the bench runs it as a process)
    // 2. real Elasticsearch
    if (!opts.skipEs) {
      const { startRealEs } = await import('../test/servers/real-es.ts');
      log('starting Elasticsearch…');
      const es = await startRealEs();
      if ('skip' in es) log(`real Elasticsearch skipped: ${es.skip}`);
      else {
        try {
          if (!opts.skipPodlog) {
            rows.push(await runPodlog(root, es.url, ns, dir, file, input, 'elasticsearch'));
            log(JSON.stringify(rows[rows.length - 1]));
          }
          if (rsyslogOk) {
            const index = 'rsyslog-bench';
            // imfile keeps the file's last multi-line record until another record starts (its
            // readTimeout flush did not fire here), so rsyslog is done at records - 1
            rows.push(await runRsyslog(path, es.port, index, input, 'elasticsearch', async () => (await countDocs(es.url, index)) >= input.records - 1));
            log(JSON.stringify(rows[rows.length - 1]));
          }
        } finally {
          await es.close();
        }
      }
    }
    if (!rsyslogOk && !opts.skipRsyslog) log('rsyslog skipped: install Debian rsyslog and rsyslog-elasticsearch');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[2] === '--child') {
  const [root, state, url, ns, dir, file] = process.argv.slice(3);
  await child(root!, state!, url!, ns!, dir!, file!);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (n: string): string | undefined => {
    const i = process.argv.indexOf(n);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const rows = await runShipBench({ mib: Number(arg('--mib') ?? 1024), skipEs: process.argv.includes('--skip-es'), skipRsyslog: process.argv.includes('--skip-rsyslog'), skipTestServer: process.argv.includes('--skip-test-server'), skipPodlog: process.argv.includes('--skip-podlog') });
  console.table(rows);
  const pf = rows.find((r) => r.tool === 'podlog' && r.target === 'test-server');
  const pe = rows.find((r) => r.tool === 'podlog' && r.target === 'elasticsearch');
  const re = rows.find((r) => r.tool === 'rsyslog' && r.target === 'elasticsearch');
  if (pf) console.log(`podlog → test server: ${pf.recordsPerCoreS} records/s per core (goal ≥ 50000), ${pf.mbPerCoreS} MB/s per core, RSS ${pf.maxRssMB} MB (goal ≤ 200)`);
  if (pe && re) console.log(`podlog vs rsyslog → Elasticsearch: ${(pe.recordsPerS / re.recordsPerS).toFixed(2)}× throughput (goal ≥ 1.0×)`);
  void existsSync;
}
