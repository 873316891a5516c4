/**
 * `npm run bench`: every benchmark, one child process each (so one's memory and files never touch the
 * next's), each printing its figures beside a named peer measured in the same run on the same machine:
 *   catalog   agent start-up over 1,000 and 10,000 pods × 10 files: first answer, full listing, RSS   peer: find
 *   watchers  the catalog's watcher at 1,000 and 10,000 pods × 10 files: RSS, scan, missed changes   peer: chokidar (leanest)
 *   logfile   tail 1,000 lines of 1 GiB vs 10 MiB; search 1 GiB     peer: tail, grep -F -c, grep -E -c
 *   kernels   search kernels in memory: WebAssembly SIMD            peer: the plain-JS fallback
 *   search    HTTP search: 1 GiB literals/regexes, 2,000 files;      peer: rg -c, grep -c
 *             /healthz p99 while a search streams; RSS of 30 searches
 *   follow    append → SSE event latency p50/p99                     peer: tail -F
 *   retention one pass over 100,000 files                            peer: du -s
 *   ship      1 GiB Flink log into a test server and Elasticsearch   peer: rsyslog omelasticsearch
 *   web       navigation → last line of 1 GiB visible; page memory   peer: tail -n
 *   memory    RSS at rest per configuration; each dependency's cost  peer: bare Node
 *   flink     job story scan of a JobManager log; read on after 1 MiB peer: grep -c
 *   load      peak RSS, /healthz p99 under 300 follows + 30 searches + aborted downloads   peer: the same agent idle
 * Usage: npm run bench [-- --only catalog,follow] [-- --quick]   (--quick: 128 MiB inputs instead of 1 GiB)
 */
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean', default: false } } });
const quick = values.quick ?? false;
const node = process.execPath;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** Each benchmark: its script and arguments. */
const BENCHES: Record<string, string[]> = {
  catalog: [here('./catalog.ts')],
  watchers: [here('./watchers.ts'), '--pods', quick ? '1000' : '1000,10000'],
  logfile: [here('./logfile.ts'), '--size', String((quick ? 128 : 1024) * 1024 * 1024)],
  kernels: [here('./kernels.ts'), '--mib', quick ? '64' : '256'],
  search: [here('./search.ts'), '--mib', String(quick ? 128 : 1024)],
  follow: [here('./follow.ts')],
  retention: [here('./retention.ts')],
  ship: ['--import', 'tsx', here('./ship.ts'), '--mib', quick ? '128' : '1024'],
  memory: [here('./memory.ts')],
  flink: ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', here('./flink-story.ts'), '--mib', quick ? '64' : '256'],
  load: [here('./load.ts')],
  web: ['--experimental-transform-types', '--disable-warning=ExperimentalWarning', here('./web.ts'), '--gib', quick ? '0.125' : '1', '--runs', quick ? '3' : '5'],
};

const only = values.only ? new Set(values.only.split(',')) : undefined;
console.log(`podlog benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${quick ? ' (quick sizes)' : ''}`);
let failed = 0;
for (const [name, args] of Object.entries(BENCHES)) {
  if (only && !only.has(name)) continue;
  console.log(`\n== ${name} ==`);
  const t0 = Date.now();
  const r = spawnSync(node, args, { stdio: 'inherit' });
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s, exit ${r.status})`);
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
