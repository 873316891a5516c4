/**
 * Shipping benchmark: records/s and MB/s per core, CPU and peak RSS of podlog's shipper for a
 * Flink-style log (default 1 GiB) into (1) the test server (isolates podlog's own cost) and (2) a real
 * Elasticsearch, side by side with rsyslog (Debian `rsyslog` + `rsyslog-elasticsearch`: imfile →
 * omelasticsearch, bulk mode) on the same file and the same servers, in the same run.
 *
 * Standalone: `./node_modules/.bin/node --import tsx bench/ship.ts [--mib 1024] [--skip-es] [--skip-rsyslog] [--skip-test-server] [--skip-podlog]`
 * From bench/run.ts: `import { runShipBench } from './ship.ts'`.
 * The input is generated into a temp dir and deleted afterwards; nothing large is committed.
 * podlog (the bundled agent with the DaemonSet's runtime tuning, shipping the pod's namespace) and rsyslog each
 * run as a separate process, so their CPU (user+sys from /proc) and peak RSS are measured alone;
 * Elasticsearch's own CPU is not counted for either. `PODLOG_BENCH_NODE_FLAGS` replaces the V8 flags.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentBundle, productionEnv } from './production.ts';

const here = dirname(fileURLToPath(import.meta.url));
const NODE = process.execPath;

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

/**
 * The agent as production runs it (the bundle, the DaemonSet's V8 flags) shipping the bench's pod, whose
 * namespace is a shipped one, into `url`: done when `done()` sees every record stored. CPU (user+sys)
 * and peak RSS (VmHWM) are the agent process's own, start-up included.
 */
async function runPodlog(root: string, url: string, ns: string, input: { records: number; bytes: number }, target: ShipRun['target'], done: () => Promise<boolean>): Promise<ShipRun> {
  const state = mkdtempSync(join(tmpdir(), 'podlog-bench-ship-state-'));
  const env = productionEnv();
  const started = performance.now();
  const c = spawn(NODE, [await agentBundle(), 'agent', '--root', root, '--state-dir', state, '--port', '0', '--host', '127.0.0.1', '--auth', 'none', '--log-level', 'warn', '--es-url', url, '--ship-namespace', ns], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, KUBECONFIG: '', NODE_NAME: '', PODLOG_SHIP_MULTILINE_TIMEOUT_MS: '200' },
  });
  let err = '';
  c.stderr!.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-2000)));
  let last = { cpuS: 0, rssMB: 0 };
  try {
    const deadline = Date.now() + 3_600_000;
    while (!(await done())) {
      if (c.exitCode !== null) throw new Error(`the agent exited ${c.exitCode}: ${err}`);
      if (Date.now() > deadline) throw new Error('podlog did not finish within an hour');
      if (c.pid) last = procStats(c.pid);
      await new Promise((r) => setTimeout(r, 200));
    }
    if (c.pid) last = procStats(c.pid);
    const wallS = (performance.now() - started) / 1000;
    return row('podlog', target, input.records, input.bytes, wallS, last.cpuS, last.rssMB, `the bundled agent, NODE_OPTIONS=${env.NODE_OPTIONS} MALLOC_ARENA_MAX=${env.MALLOC_ARENA_MAX}`);
  } finally {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
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
  const dir = `${ns}_bench-taskmanager-1-1_0b7c9e2a-5d41-4f3e-9a86-1c2d3e4f5a6b`;
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
        const before = await countDocs(fakeUrl, '_all');
        rows.push(await runPodlog(root, fakeUrl, ns, input, 'test-server', async () => (await countDocs(fakeUrl, '_all')) - before >= input.records));
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
            rows.push(await runPodlog(root, es.url, ns, input, 'elasticsearch', async () => (await countDocs(es.url, `logs-podlog.flink-${ns}`)) >= input.records));
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (n: string): string | undefined => {
    const i = process.argv.indexOf(n);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const rows = await runShipBench({ mib: Number(arg('--mib') ?? 1024), skipEs: process.argv.includes('--skip-es'), skipRsyslog: process.argv.includes('--skip-rsyslog'), skipTestServer: process.argv.includes('--skip-test-server'), skipPodlog: process.argv.includes('--skip-podlog') });
  console.table(rows);
  const pf = rows.find((r) => r.tool === 'podlog' && r.target === 'test-server');
  const pe = rows.find((r) => r.tool === 'podlog' && r.target === 'elasticsearch');
  const re = rows.find((r) => r.tool === 'rsyslog' && r.target === 'elasticsearch');
  if (pf) console.log(`podlog → test server: ${pf.recordsPerCoreS} records/s per core (goal ≥ 50000), ${pf.mbPerCoreS} MB/s per core, peak RSS ${pf.maxRssMB} MB (goal ≤ 150)`);
  if (pe && re) console.log(`podlog vs rsyslog → Elasticsearch: ${(pe.recordsPerS / re.recordsPerS).toFixed(2)}× throughput (goal ≥ 1.0×)`);
  void existsSync;
}
