/**
 * `podlog diagnose --job NAMESPACE/JOB`: the Flink job story offline, from a JobManager log file (or its
 * rotated files, oldest first; `.gz` read decompressed) and, optionally, the job's pods (`kubectl get pods -l
 * app=<cluster-id> -o json`: a PodList or one Pod) and Events (`kubectl get events -o json`). Prints text or JSON.
 *
 * Exit codes: 0 a diagnosis was printed (whatever it found); 2 bad usage or unreadable / invalid input (the
 * message names the file).
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MAX_INPUT_BYTES } from '../diagnose/cli.ts';
import { eventsFrom } from '../diagnose/events.ts';
import type { EventJson, PodJson } from '../diagnose/types.ts';
import { JobLogScanner, type JobLogSummary } from './job-log.ts';
import { jobStory } from './job-story.ts';
import { scanStream } from './read-log.ts';
import { renderJobText } from './render.ts';

/** Options of {@link runJobDiagnose}, as commander parses them. */
export interface JobDiagnoseCliOptions {
  /** `NAMESPACE/JOB` (JOB: the Flink cluster-id). */
  job: string;
  /** JobManager log files, oldest first. */
  jobManagerLogs: string[];
  /** Pods JSON file (PodList or Pod). */
  pods?: string;
  /** Events JSON file. */
  events?: string;
  /** RFC 3339 "now". */
  now?: string;
  output: 'text' | 'json';
  stdout: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

class UsageError extends Error {}

async function readJson(path: string, what: string): Promise<unknown> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read ${what} file${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
  }
  if (buf.length > MAX_INPUT_BYTES) throw new UsageError(`${path}: ${what} file larger than ${MAX_INPUT_BYTES} bytes`);
  try {
    return JSON.parse(buf.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`${path}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

function podsFrom(json: unknown, path: string): PodJson[] {
  const o = json as { kind?: string; items?: unknown[]; metadata?: unknown } | null;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new UsageError(`${path}: expected a PodList or a Pod (kubectl get pods -o json)`);
  const items = Array.isArray(o.items) ? o.items : [o];
  for (const p of items) {
    const q = p as { kind?: string; metadata?: unknown };
    if (!q || typeof q !== 'object' || (q.kind !== undefined && q.kind !== 'Pod') || typeof q.metadata !== 'object') throw new UsageError(`${path}: expected Pods, found ${q?.kind ?? 'an object without metadata'}`);
  }
  return items as PodJson[];
}

async function scanFiles(paths: string[]): Promise<JobLogSummary> {
  const scanner = new JobLogScanner();
  for (const path of paths) {
    const name = path.split('/').pop() ?? path;
    let stream: Readable = createReadStream(path);
    if (name.endsWith('.gz')) stream = stream.pipe(createGunzip());
    try {
      await scanStream(stream, name, scanner);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${path}: cannot read the JobManager log${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
    }
  }
  return scanner.summary();
}

/**
 * Runs `podlog diagnose --job`.
 * @returns the exit code (0 printed, 2 bad input); never throws
 */
export async function runJobDiagnose(opts: JobDiagnoseCliOptions): Promise<number> {
  const stderr = opts.stderr ?? process.stderr;
  try {
    const m = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(opts.job);
    if (!m) throw new UsageError(`--job: expected NAMESPACE/JOB (the Flink cluster-id), got "${opts.job}"`);
    if (opts.output !== 'text' && opts.output !== 'json') throw new UsageError(`--output: expected text or json, got "${String(opts.output)}"`);
    if (!opts.jobManagerLogs.length && !opts.pods) throw new UsageError('give --jobmanager-log FILE (and optionally --pod PODS.json --events EVENTS.json)');
    let now = new Date();
    if (opts.now !== undefined) {
      const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(opts.now) ? Date.parse(opts.now) : NaN;
      if (Number.isNaN(ms)) throw new UsageError(`--now: "${opts.now}" is not an RFC 3339 time (e.g. 2024-05-01T10:00:00Z)`);
      now = new Date(ms);
    }
    const pods = opts.pods ? podsFrom(await readJson(opts.pods, 'pods'), opts.pods) : [];
    const events: EventJson[] = opts.events ? eventsFrom(await readJson(opts.events, 'events')) : [];
    const log = opts.jobManagerLogs.length ? await scanFiles(opts.jobManagerLogs) : undefined;
    const jmPod = pods.find((p) => p.metadata?.labels?.['component'] === 'jobmanager')?.metadata?.name;
    const d = jobStory({
      namespace: m[1]!, job: m[3]!, pods, events, now,
      ...(log ? { log, logSource: { ...(jmPod ? { pod: jmPod } : {}), files: opts.jobManagerLogs.map((p) => p.split('/').pop() ?? p) } } : {}),
    });
    opts.stdout.write(opts.output === 'json' ? `${JSON.stringify(d, null, 2)}\n` : renderJobText(d));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`podlog diagnose: ${e.message}\n`);
      return 2;
    }
    stderr.write(`podlog diagnose: internal error: ${(e as Error).message}\n`);
    return 1;
  }
}
