/**
 * Worker thread entry of the search pool (pool.ts): runs `searchFile` on file handles the main thread
 * opened through `openSafe` and transferred here, so scanning never blocks the agent's event loop.
 * One worker runs many jobs at once (each is async and pauses on its own credit).
 *
 * Messages in ({@link JobStart}, `{type:'credit',id,bytes}`, `{type:'abort',id}`) and out
 * ({@link JobBatch}, {@link JobEnd}) are described in pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import { isPodlogError } from '../errors.ts';
import { openReader } from '../logfile/reader.ts';
import { compileMatcher, searchFile, type Matcher, type SearchMatch } from '../logfile/search.ts';
import { lineStartAtOrAfter } from '../logfile/sources.ts';
import type { SafeFile } from '../store/safe-open.ts';
import { BATCH_BYTES, WINDOW_BYTES, type JobBatch, type JobEnd, type JobStart, type ToWorker } from './pool.ts';

interface Job {
  ac: AbortController;
  inflight: number;
  /** Lines before the part, once known. */
  lineBase?: number;
  resume?: () => void;
  /** Called when the line base arrives. */
  onBase?: () => void;
}

const jobs = new Map<number, Job>();
const encoder = new TextEncoder();
const matchers = new Map<string, Matcher>();

function matcherFor(q: JobStart['query']): Matcher {
  const key = JSON.stringify(q);
  let m = matchers.get(key);
  if (!m) {
    m = compileMatcher(q.q, { regex: q.regex, caseInsensitive: q.ci });
    if (matchers.size >= 16) matchers.delete(matchers.keys().next().value!);
    matchers.set(key, m);
  }
  return m;
}

async function run(msg: JobStart, handle: FileHandle): Promise<void> {
  const job: Job = { ac: new AbortController(), inflight: 0, lineBase: msg.lineBase };
  jobs.set(msg.id, job);
  const cell = new BigInt64Array(msg.budget);
  const budget = {
    get remaining() {
      return Number(Atomics.load(cell, 0));
    },
    spend(n: number) {
      Atomics.sub(cell, 0, BigInt(n));
    },
  };
  let parts: string[] = [];
  let bytes = 0;
  let count = 0;
  let total = 0;
  // batches go through the job's ring (shared memory the main thread writes to the socket from and
  // credits back once written), so no allocation per batch reaches the main thread's heap
  const ring = new Uint8Array(msg.ring);
  let head = 0;
  /** Send what is gathered if the ring has room (or it can never fit: then as a copy); false when it must wait for credit. */
  const trySend = (): boolean => {
    if (count === 0) return true;
    const text = parts.join('');
    const n = Buffer.byteLength(text, 'utf8');
    if (job.inflight === 0) head = 0;
    if (n > ring.length / 2) {
      const data = encoder.encode(text);
      parentPort!.postMessage({ type: 'hits', id: msg.id, data, count, credit: 0 } satisfies JobBatch, [data.buffer]);
    } else {
      const skip = head + n > ring.length ? ring.length - head : 0;
      if (job.inflight + skip + n > ring.length) return false;
      const at = skip ? 0 : head;
      encoder.encodeInto(text, ring.subarray(at, at + n));
      head = at + n;
      job.inflight += skip + n;
      parentPort!.postMessage({ type: 'hits', id: msg.id, at, len: n, count, credit: skip + n } satisfies JobBatch);
    }
    parts = [];
    bytes = 0;
    count = 0;
    return true;
  };
  /** Send, waiting for credit as long as needed (false: the job was aborted meanwhile). */
  const send = async (): Promise<boolean> => {
    while (!trySend()) {
      if (job.ac.signal.aborted) return false;
      await new Promise<void>((r) => (job.resume = r));
    }
    return !job.ac.signal.aborted;
  };
  const end: JobEnd = { type: 'end', id: msg.id, bytesScanned: 0, newlines: 0 };
  // hits found before the line base is known, held (the part pauses once they fill the window)
  let held: SearchMatch[] = [];
  let heldBytes = 0;
  const render = (m: SearchMatch) => {
    const line = `${msg.prefix}"offset":${m.offset},"line_number":${job.lineBase! + m.lineNumber},"line":${JSON.stringify(m.line)}${m.truncated ? ',"truncated":true' : ''}}\n`;
    parts.push(line);
    bytes += line.length;
    count++;
  };
  const release = () => {
    for (const m of held) render(m);
    held = [];
    heldBytes = 0;
  };
  try {
    const file = { handle, stat: { size: msg.size }, path: msg.name } as unknown as SafeFile;
    const reader = openReader(file, msg.name);
    let range: { start: number; end: number } | undefined;
    if (msg.range) {
      const start = await lineStartAtOrAfter(file, msg.range.start);
      const end = msg.range.end === Infinity ? Infinity : await lineStartAtOrAfter(file, msg.range.end);
      range = { start, end: Math.max(start, end) };
    }
    const res = await searchFile(reader.searchSource(), matcherFor(msg.query), {
      signal: job.ac.signal,
      byteBudget: budget,
      deadline: msg.deadline,
      ...(range ? { range } : {}),
      onMatch: (m) => {
        total++;
        if (job.lineBase === undefined) {
          held.push(m);
          heldBytes += m.line.length + msg.prefix.length + 48;
          if (total >= msg.limit) return false;
          if (heldBytes < WINDOW_BYTES) return true;
          return new Promise<boolean>((resolve) => {
            job.onBase = () => resolve(!job.ac.signal.aborted);
          });
        }
        if (held.length > 0) release();
        render(m);
        if (total >= msg.limit) return false;
        if (bytes < BATCH_BYTES) return true;
        return trySend() || send();
      },
    });
    end.bytesScanned = res.bytesScanned;
    end.newlines = res.newlines;
    if (res.stoppedBy) end.stoppedBy = res.stoppedBy;
  } catch (e) {
    end.error = isPodlogError(e) ? { code: e.code, message: e.message } : { message: e instanceof Error ? e.message : String(e) };
  } finally {
    if (held.length > 0) {
      // the base comes once the parts before this one ended; wait for it (or the abort) to send what was found
      if (job.lineBase === undefined && !job.ac.signal.aborted) await new Promise<void>((r) => (job.onBase = r));
      if (job.lineBase !== undefined) release();
    }
    if (!job.ac.signal.aborted) await send();
    jobs.delete(msg.id);
    await handle.close().catch(() => {});
    parentPort!.postMessage(end);
  }
}

parentPort!.on('message', (msg: ToWorker) => {
  if (msg.type === 'start') {
    void run(msg, msg.handle);
    return;
  }
  const job = jobs.get(msg.id);
  if (!job) return;
  if (msg.type === 'credit') job.inflight -= msg.bytes;
  else if (msg.type === 'base') job.lineBase = msg.lines;
  else job.ac.abort();
  if (job.onBase && (job.lineBase !== undefined || job.ac.signal.aborted)) {
    const go = job.onBase;
    job.onBase = undefined;
    go();
  }
  if (job.resume) {
    const go = job.resume;
    job.resume = undefined;
    go();
  }
});
