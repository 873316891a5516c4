/**
 * A real single-node Elasticsearch for integration tests and benchmarks, from the integ-test-zip
 * distribution on Maven Central (`org.elasticsearch.distribution.integ-test-zip:elasticsearch:<v>:zip`,
 * no bundled JDK, modules: transport-netty4, x-pack-core, x-pack-security, apm).
 * - fetched with `mvn dependency:get` into `~/.m2` (cached), unpacked under `.cache/es/<v>/`
 *   (env `PODLOG_ES_CACHE` overrides), started on a free loopback port, security off, heap 512 MiB;
 * - needs a JDK ≥ 21 (ES 9): `ES_JAVA_HOME`, `JAVA_HOME`, or the newest under `/usr/lib/jvm`;
 * - refuses to run as root, so as root it runs as `nobody` through `setpriv`.
 * {@link startRealEs} resolves `{skip: reason}` when any of that is impossible, so tests skip loudly.
 * Version: env `PODLOG_ES_VERSION`, default {@link ES_VERSION} (the installed client's major).
 * Standalone: `node --import tsx test/servers/real-es.ts` prints the URL and runs until Ctrl-C.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.ts';
import { waitFor } from '../helpers/wait.ts';

/** Default Elasticsearch version (matches @elastic/elasticsearch 9.4.x). */
export const ES_VERSION = '9.4.3';
const NOBODY = 65534;

/** A running Elasticsearch. */
export interface RealEs {
  url: string;
  port: number;
  version: string;
  /** The JDK it runs on (`JAVA_VERSION` of its `release` file). */
  java: string;
  /** Stop (SIGTERM, then SIGKILL after 30 s); data is kept for {@link RealEs.start}. */
  stop(): Promise<void>;
  /** Start again on the same port and data directory; resolves when healthy. */
  start(): Promise<void>;
  /** Stop and delete the data directory. */
  close(): Promise<void>;
}

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function javaVersion(home: string): number {
  try {
    const m = /JAVA_VERSION="(\d+)/.exec(readFileSync(join(home, 'release'), 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Find a JDK ≥ 21: ES_JAVA_HOME, JAVA_HOME, then the newest under /usr/lib/jvm. */
export function findJdk(): { home: string; major: number } | undefined {
  const cands = [process.env.ES_JAVA_HOME, process.env.JAVA_HOME].filter((x): x is string => !!x);
  try {
    for (const d of readdirSync('/usr/lib/jvm')) cands.push(join('/usr/lib/jvm', d));
  } catch {
    // no /usr/lib/jvm
  }
  const ok = cands.map((home) => ({ home, major: javaVersion(home) })).filter((j) => j.major >= 21);
  ok.sort((a, b) => b.major - a.major);
  return ok[0];
}

function ensureDistribution(version: string): string {
  const zip = join(homedir(), '.m2/repository/org/elasticsearch/distribution/integ-test-zip/elasticsearch', version, `elasticsearch-${version}.zip`);
  if (!existsSync(zip)) {
    execFileSync('mvn', ['-q', 'dependency:get', `-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:${version}:zip`, '-Dtransitive=false'], {
      stdio: 'ignore', timeout: 600_000,
    });
  }
  const cache = join(process.env.PODLOG_ES_CACHE ?? join(repo, '.cache', 'es'), version);
  const home = join(cache, `elasticsearch-${version}`);
  if (!existsSync(join(home, 'bin', 'elasticsearch'))) {
    rmSync(cache, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    execFileSync('unzip', ['-q', zip, '-d', cache], { stdio: 'ignore', timeout: 300_000 });
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, cache]);
  return home;
}

async function healthy(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const end = await waitFor(async () => {
    if (child.exitCode !== null) return { exited: child.exitCode };
    const r = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=5s`).catch(() => undefined); // not listening yet
    return r?.ok ? { exited: undefined } : undefined;
  }, { timeoutMs: deadlineMs, intervalMs: 500, what: 'elasticsearch to be healthy' });
  if (end.exited !== undefined) throw new Error(`elasticsearch exited with code ${end.exited}`);
}

/**
 * Fetch, unpack and start Elasticsearch (see module doc).
 * @returns the running server, or `{skip}` with the reason it cannot run here
 */
export async function startRealEs(): Promise<RealEs | { skip: string }> {
  const version = process.env.PODLOG_ES_VERSION ?? ES_VERSION;
  const jdk = findJdk();
  if (!jdk) return { skip: 'no JDK >= 21 found (ES_JAVA_HOME, JAVA_HOME, /usr/lib/jvm); Elasticsearch 9 needs one' };
  let home: string;
  try {
    home = ensureDistribution(version);
  } catch (e) {
    return { skip: `cannot fetch/unpack elasticsearch ${version} integ-test-zip via mvn: ${(e as Error).message}` };
  }
  const root = process.getuid?.() === 0;
  const data = mkdtempSync(join(tmpdir(), 'podlog-es-data-'));
  if (root) chownSync(data, NOBODY, NOBODY);
  const port = await freePort();
  const tport = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let log = '';
  const spawnEs = (): ChildProcess => {
    const args = [
      join(home, 'bin', 'elasticsearch'), '-E', 'discovery.type=single-node', '-E', 'xpack.security.enabled=false',
      '-E', `http.port=${port}`, '-E', `transport.port=${tport}`, '-E', 'network.host=127.0.0.1',
      '-E', `path.data=${join(data, 'data')}`, '-E', `path.logs=${join(data, 'logs')}`,
      '-E', 'cluster.routing.allocation.disk.threshold_enabled=false', '-E', 'action.destructive_requires_name=false',
    ];
    const cmd = root ? 'setpriv' : args[0]!;
    const argv = root ? ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', ...args] : args.slice(1);
    const c = spawn(cmd, argv, {
      detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ES_JAVA_HOME: jdk.home, ES_JAVA_OPTS: '-Xms512m -Xmx512m', ES_TMPDIR: join(data, 'tmp'), HOME: data },
    });
    mkdirSync(join(data, 'tmp'), { recursive: true });
    if (root) chownSync(join(data, 'tmp'), NOBODY, NOBODY);
    const keep = (b: Buffer): void => {
      log = (log + b.toString()).slice(-4000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    return c;
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.pid === undefined) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 30_000);
    await exited;
    // the server JVM is a grandchild in the same process group: wait until the whole group is gone (SIGKILL after 30 s)
    const groupGone = () => {
      try {
        process.kill(-c.pid!, 0);
        return false;
      } catch {
        return true;
      }
    };
    await waitFor(groupGone, { timeoutMs: 30_000, intervalMs: 100, what: 'the Elasticsearch process group to exit' }).catch(async () => {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // gone
      }
      await waitFor(groupGone, { timeoutMs: 30_000, intervalMs: 100, what: 'the Elasticsearch process group to die' });
    });
    clearTimeout(t);
  };
  const start = async (): Promise<void> => {
    child = spawnEs();
    try {
      await healthy(url, child, 240_000);
    } catch (e) {
      await stop();
      throw new Error(`${(e as Error).message}; last output:\n${log}`);
    }
  };
  try {
    await start();
  } catch (e) {
    rmSync(data, { recursive: true, force: true });
    return { skip: `elasticsearch ${version} did not start on JDK ${jdk.major}: ${(e as Error).message}` };
  }
  return {
    url, port, version, java: String(jdk.major), stop, start,
    close: async () => {
      await stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const es = await startRealEs();
  if ('skip' in es) {
    process.stderr.write(`cannot start Elasticsearch: ${es.skip}\n`);
    process.exit(1);
  }
  process.stdout.write(`elasticsearch ${es.version} on JDK ${es.java} at ${es.url}\n`);
  const done = (): void => void es.close().then(() => process.exit(0));
  process.on('SIGINT', done);
  process.on('SIGTERM', done);
}
