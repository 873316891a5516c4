import { createReadStream } from 'node:fs';
import { rmSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readdir, rename, stat, utimes, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import split2 from 'split2';
import type { Logger } from 'pino';

/** The committed real Flink fixtures (see fixtures/flink/README.md). */
export const FIXTURE_ROOT = join(PACKAGE_ROOT, 'fixtures/flink/root');
/** Real TaskManager lines the demo replays into its live pod. */
export const LIVE_SEED = join(PACKAGE_ROOT, 'fixtures/flink/live-seed.log');

/** The simulated live pod's folder name, `<namespace>_<pod>_<uid>`. */
export const LIVE_POD_DIR = 'flink-demo_clickstream-taskmanager-1-1_5b0f3f0e-6f2c-4e3a-9c1d-2a7e8b9c0d11';
const LIVE_CONTAINER = 'flink-main-container';
/** How long ago the recorded Flink run appears to have ended in the demo (ms). */
const DEMO_AGE_MS = 24 * 3600 * 1000;
const LOG4J_TS = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}),(\d{3})/;

/** A demo's own temp folder: the log root and the agent's state, both inside `dir`. */
export interface DemoFolder {
  /** The fresh temp folder (`<tmpdir>/podlog-demo-XXXXXX`). */
  readonly dir: string;
  /** The log root, laid out by {@link prepareDemoRoot}. */
  readonly root: string;
  /** A state directory for the agent. */
  readonly stateDir: string;
  /** Delete the whole folder; idempotent. Also runs at process exit if not called before. */
  remove(): Promise<void>;
}

/**
 * Make a fresh temp folder for one demo run (never a shared fixed path, so two demos do not meet), lay
 * out its root, and register its removal at process exit.
 */
export async function createDemoFolder(now = Date.now()): Promise<DemoFolder> {
  const dir = await mkdtemp(join(tmpdir(), 'podlog-demo-'));
  const atExit = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', atExit);
  const root = await prepareDemoRoot(join(dir, 'root'), now);
  let removed: Promise<void> | undefined;
  return {
    dir,
    root,
    stateDir: join(dir, 'state'),
    remove: () =>
      (removed ??= (async () => {
        process.removeListener('exit', atExit);
        await rm(dir, { recursive: true, force: true });
      })()),
  };
}

/**
 * Lay out the demo root: a copy of the Flink fixtures plus the live pod's folder. Each file's mtime
 * comes from its last log4j timestamp, shifted so the recorded run ended a day before `now`: the
 * finished pods look finished, in their real order.
 * @param dir where to build it; emptied first
 * @returns the root path
 */
export async function prepareDemoRoot(dir: string, now = Date.now()): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(FIXTURE_ROOT, dir, { recursive: true });
  const stamps: [string, number | undefined][] = [];
  for (const pod of await readdir(dir)) {
    for (const c of await readdir(join(dir, pod))) {
      const files = (await readdir(join(dir, pod, c))).map((f) => join(dir, pod, c, f));
      const times = await Promise.all(files.map(async (p) => (await lastTimestamp(p))?.getTime()));
      // files without log4j timestamps (.out, .gz, GC logs) take their container's latest time
      const latest = Math.max(0, ...times.filter((t): t is number => t !== undefined));
      files.forEach((p, i) => stamps.push([p, times[i] ?? (latest || undefined)]));
    }
  }
  // Replay the recorded run as if it had ended a day ago, keeping the files' relative ages.
  const shift = now - DEMO_AGE_MS - Math.max(0, ...stamps.map(([, t]) => t ?? 0));
  for (const [p, t] of stamps) {
    const when = new Date(t === undefined ? now - DEMO_AGE_MS : t + shift);
    await utimes(p, when, when);
  }
  await mkdir(join(dir, LIVE_POD_DIR, LIVE_CONTAINER), { recursive: true });
  return dir;
}

async function lastTimestamp(path: string): Promise<Date | undefined> {
  if (path.endsWith('.gz')) return undefined;
  let last: Date | undefined;
  for await (const line of createReadStream(path).pipe(split2()) as AsyncIterable<string>) {
    const m = LOG4J_TS.exec(line);
    if (m) last = new Date(`${m[1]}T${m[2]}.${m[3]}`);
  }
  return last;
}

/**
 * Replay the seed's real lines into the live pod's `taskmanager.log`, stamped with the current time,
 * a few lines every `intervalMs`; rotate log4j-style (`.log` → `.log.1`) past `rotateBytes`.
 * Stops when `signal` aborts.
 */
export async function runLiveAppender(root: string, signal: AbortSignal, logger: Logger, opts: { intervalMs?: number; rotateBytes?: number } = {}): Promise<void> {
  const seed: string[] = [];
  for await (const line of createReadStream(LIVE_SEED).pipe(split2()) as AsyncIterable<string>) seed.push(line);
  if (seed.length === 0) return;
  const file = join(root, LIVE_POD_DIR, LIVE_CONTAINER, 'taskmanager.log');
  let i = 0;
  const tick = async () => {
    const n = 1 + Math.floor(Math.random() * 4);
    let out = '';
    for (let k = 0; k < n; k++, i = (i + 1) % seed.length) out += restamp(seed[i]!, new Date()) + '\n';
    await appendFile(file, out);
    const st = await stat(file);
    if (st.size > (opts.rotateBytes ?? 2 * 1024 * 1024)) await rename(file, `${file}.1`);
  };
  const timer = setInterval(() => void tick().catch((err) => logger.warn({ err }, 'demo appender failed')), opts.intervalMs ?? 700);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  await tick();
}

function restamp(line: string, now: Date): string {
  const m = LOG4J_TS.exec(line);
  if (!m) return line;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}:${p(now.getMinutes())}:${p(now.getSeconds())},${p(now.getMilliseconds(), 3)}`;
  return ts + line.slice(m[0].length);
}
