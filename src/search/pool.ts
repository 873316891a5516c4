/**
 * A pool of worker threads that scan files for searches (scan-worker.ts), so the agent's event loop
 * only opens files, forwards ready-made NDJSON batches and writes them out; and files of one search are
 * scanned in parallel on every core.
 *
 * Protocol (structured-clone messages; the main thread opens every file through `openSafe` and
 * transfers the `FileHandle`, which the worker closes):
 * - to a worker: {@link JobStart}; `{type:'credit', id, bytes}` once the socket took a batch;
 *   `{type:'base', id, lines}` for a part of a split file; `{type:'abort', id}`.
 * - from a worker: {@link JobBatch} (hits as UTF-8 NDJSON, about {@link BATCH_BYTES}, in the job's
 *   shared ring); then one {@link JobEnd}.
 * A job pauses while its ring ({@link RING_BYTES}) is full of batches not yet credited, so hits in
 * flight per job are at most the ring (a batch bigger than half the ring — a huge line — travels
 * as a transferred copy instead).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.ts';
import type { StopReason } from '../logfile/search.ts';

import { BATCH_BYTES } from './ndjson-sink.ts';

export { BATCH_BYTES };
/** Bytes of a job's ring: batches written out but not yet credited; the job pauses when it is full. */
export const RING_BYTES = 8 * BATCH_BYTES;
/** Hits a part holds (text length) before its line base is known; then it pauses. */
export const WINDOW_BYTES = 4 * BATCH_BYTES;

/**
 * The worker's module: `scan-worker.ts` beside this file when the agent runs from its sources, the
 * bundle's own `scan-worker.js` entry (written next to every chunk by `npm run build`) otherwise.
 */
const SCAN_WORKER = new URL(import.meta.url.endsWith('.ts') ? './scan-worker.ts' : './scan-worker.js', import.meta.url);

/** Start scanning one file. */
export interface JobStart {
  type: 'start';
  id: number;
  /** Opened by `openSafe`; transferred, then owned (and closed) by the worker. */
  handle: FileHandle;
  /** Size at open (plain files), bytes. */
  size: number;
  /** The file's name (`.gz` selects decompression), also used in error messages. */
  name: string;
  query: { q: string; regex: boolean; ci: boolean };
  /** The hit line's JSON up to and including the comma before `"offset"`. */
  prefix: string;
  /** Most hits this job reports. */
  limit: number;
  /** Epoch ms. */
  deadline: number;
  /** Only this part of a plain file: nominal bounds, moved by the worker to the next line starts. */
  range?: { start: number; end: number };
  /** Lines before the part; when absent the job holds its hits until a `base` message gives it. */
  lineBase?: number;
  /** 8 bytes: the search's remaining byte budget as a BigInt64, shared by its jobs. */
  budget: SharedArrayBuffer;
  /** {@link RING_BYTES} the worker writes batches into. */
  ring: SharedArrayBuffer;
}

/**
 * Hits of a job, as UTF-8 NDJSON lines (each ending in a newline): `ring[at, at + len)`, or for a
 * batch too big for the ring, `data` (transferred). Credit `credit` bytes once it is written out.
 */
export type JobBatch = { type: 'hits'; id: number; count: number; credit: number } & ({ at: number; len: number; data?: undefined } | { data: Uint8Array; at?: undefined });

/** A job's end: after its last batch. */
export interface JobEnd {
  type: 'end';
  id: number;
  bytesScanned: number;
  /** Newlines in what was scanned (all of the part's when it was not stopped early). */
  newlines: number;
  stoppedBy?: StopReason;
  /** The file could not be searched (binary, bad gzip, read error): the job is a skipped file. */
  error?: { code?: ErrorCode; message: string };
}

/** Messages a worker receives. */
export type ToWorker = JobStart | { type: 'credit'; id: number; bytes: number } | { type: 'abort'; id: number } | { type: 'base'; id: number; lines: number };

/** The receiving side of one job, see {@link SearchPool.start}. */
export interface JobHandle {
  /** Next batch or the end, in order; resolves when one is there. */
  next(): Promise<JobBatch | JobEnd>;
  /** Tell the worker `bytes` of batch data were written out. */
  credit(bytes: number): void;
  /** Stop the job (its end still comes). */
  abort(): void;
  /** Give a part its line base (see {@link JobStart.lineBase}). */
  setLineBase(lines: number): void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, (m: JobBatch | JobEnd) => void>;
}

/**
 * Worker threads for search. Workers start on first use and exit after {@link IDLE_MS} without a
 * job, so an idle agent holds no scan memory. A worker that dies fails its jobs (as skipped files)
 * and is replaced on next use.
 */
export class SearchPool {
  private readonly slots: (Slot | undefined)[];
  private nextId = 1;
  private readonly logger: Logger;
  private idleTimer: NodeJS.Timeout | undefined;

  /** @param size worker threads (default: the machine's parallelism, at most 4) */
  constructor(logger: Logger, size = Math.min(4, availableParallelism())) {
    this.logger = logger;
    this.slots = new Array<Slot | undefined>(Math.max(1, size)).fill(undefined);
  }

  /** Number of worker threads. */
  get size(): number {
    return this.slots.length;
  }

  /** Start a job on the least busy worker; the handle's `handle` is transferred. */
  start(job: Omit<JobStart, 'type' | 'id'>): JobHandle {
    const id = this.nextId++;
    const slot = this.pick();
    const queue: (JobBatch | JobEnd)[] = [];
    let wake: (() => void) | undefined;
    slot.jobs.set(id, (m) => {
      queue.push(m);
      if (m.type === 'end') slot.jobs.delete(id);
      wake?.();
    });
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const msg: JobStart = { type: 'start', id, ...job };
    slot.worker.postMessage(msg, [job.handle]);
    return {
      next: async () => {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const m = queue.shift()!;
        if (m.type === 'end') this.maybeIdle();
        return m;
      },
      credit: (bytes) => slot.worker.postMessage({ type: 'credit', id, bytes } satisfies ToWorker),
      abort: () => slot.worker.postMessage({ type: 'abort', id } satisfies ToWorker),
      setLineBase: (lines) => slot.worker.postMessage({ type: 'base', id, lines } satisfies ToWorker),
    };
  }

  /** Stop every worker (agent shutdown). */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    await Promise.all(this.slots.map((s) => s?.worker.terminate()));
    this.slots.fill(undefined);
  }

  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (s && (!best || s.jobs.size < best.jobs.size)) best = s;
    if (best && best.jobs.size === 0) return best;
    const free = this.slots.indexOf(undefined);
    return free >= 0 ? this.spawn(free) : best!;
  }

  private spawn(i: number): Slot {
    const worker = new Worker(SCAN_WORKER);
    worker.unref();
    const slot: Slot = { worker, jobs: new Map() };
    this.slots[i] = slot;
    worker.on('message', (m: JobBatch | JobEnd) => slot.jobs.get(m.id)?.(m));
    const fail = (err: unknown) => {
      if (this.slots[i] === slot) this.slots[i] = undefined;
      if (err) this.logger.warn({ err }, 'a search worker failed; its files are reported as skipped');
      for (const [id, deliver] of [...slot.jobs]) deliver({ type: 'end', id, bytesScanned: 0, newlines: 0, error: { message: 'search worker stopped' } });
      slot.jobs.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(undefined));
    return slot;
  }

  /** Once no worker has a job, end them all after IDLE_MS. */
  private maybeIdle(): void {
    if (this.slots.some((s) => s && s.jobs.size > 0) || this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.slots.some((s) => s && s.jobs.size > 0)) return;
      void this.close();
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}

/** Workers exit after this long without a job, ms. */
export const IDLE_MS = 30_000;
