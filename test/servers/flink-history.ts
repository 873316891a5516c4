/**
 * A real Flink HistoryServer (`org.apache.flink.runtime.webmonitor.history.HistoryServer` from
 * flink-runtime-web on Maven Central) for tests of its log links:
 * - Flink's `lib/` is assembled with mvn from `scripts/flink-fixtures/pom.xml` (the fixtures' artifacts, cached in
 *   `~/.m2`) into `.cache/flink/<version>/lib` (env `PODLOG_FLINK_CACHE` overrides);
 * - started with `java` (17 or newer) on a free loopback port, reading job archives from a directory, with
 *   `historyserver.log.jobmanager.url-pattern` and `historyserver.log.taskmanager.url-pattern` set.
 * {@link startHistoryServer} resolves `{skip: reason}` when Java or mvn is missing, so tests skip loudly.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.ts';
import { freePort } from '../helpers/net.ts';

/** The Flink version of the fixtures. */
export const FLINK_VERSION = '1.20.3';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A running HistoryServer. */
export interface HistoryServer {
  url: string;
  /** SIGTERM (SIGKILL after 20 s), then remove its temporary files. */
  close(): Promise<void>;
}

function flinkLib(): string {
  const lib = join(process.env.PODLOG_FLINK_CACHE ?? join(repo, '.cache', 'flink'), FLINK_VERSION, 'lib');
  if (!existsSync(lib) || !readdirSync(lib).some((f) => f.startsWith('flink-runtime-web'))) {
    mkdirSync(lib, { recursive: true });
    execFileSync('mvn', ['-q', '-B', '-f', join(repo, 'scripts/flink-fixtures/pom.xml'), `-Dflink.version=${FLINK_VERSION}`,
      'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${lib}`], { stdio: 'ignore', timeout: 600_000 });
  }
  return lib;
}

/**
 * Starts a HistoryServer over `archiveDir` whose log links follow the two patterns; resolves once it lists
 * `expectJob` in `/jobs/overview`.
 */
export async function startHistoryServer(o: { archiveDir: string; jobManagerPattern: string; taskManagerPattern: string; expectJob: string }): Promise<HistoryServer | { skip: string }> {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    return { skip: 'no java on PATH (Flink 1.20 needs 11 or newer)' };
  }
  let lib: string;
  try {
    lib = flinkLib();
  } catch (e) {
    return { skip: `cannot assemble Flink ${FLINK_VERSION} lib/ from Maven Central with mvn: ${(e as Error).message}` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'podlog-flink-hs-'));
  const port = await freePort();
  const conf = join(dir, 'conf');
  mkdirSync(conf);
  writeFileSync(join(conf, 'config.yaml'), [
    'historyserver:',
    '  web:',
    '    address: 127.0.0.1',
    `    port: ${port}`,
    `    tmpdir: ${join(dir, 'web')}`,
    '  archive:',
    '    fs:',
    `      dir: file://${o.archiveDir}`,
    '      refresh-interval: 1000',
    '  log:',
    '    jobmanager:',
    `      url-pattern: ${o.jobManagerPattern}`,
    '    taskmanager:',
    `      url-pattern: ${o.taskManagerPattern}`,
    '',
  ].join('\n'));
  const child = spawn('java', ['-Xmx256m', '--add-opens=java.base/java.lang=ALL-UNNAMED', '--add-opens=java.base/java.util=ALL-UNNAMED',
    '-cp', `${lib}/*`, 'org.apache.flink.runtime.webmonitor.history.HistoryServer', '--configDir', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => { if (stderr.length < 20_000) stderr += String(c); });
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`HistoryServer exited with code ${child.exitCode}: ${stderr.slice(0, 2000)}`);
      const r = await fetch(`${url}/jobs/overview`);
      if (!r.ok) return false;
      const body = (await r.json()) as { jobs?: { jid?: string }[] };
      return body.jobs?.some((j) => j.jid === o.expectJob) ?? false;
    }, { timeoutMs: 120_000, intervalMs: 250, what: 'the HistoryServer to list the archived job' });
  } catch (e) {
    await close();
    throw e;
  }
  return { url, close };
}
