/**
 * The bulk sink: batches documents into `_bulk` requests and owns the retry loop, because the
 * client's `helpers.bulk` aborts on a whole-request failure (PROTOCOLS.md A4).
 * - whole-request failures (connection error, timeout, 429, 5xx) are retried with capped exponential
 *   backoff and jitter (`retry/backoff.ts`), indefinitely, until the sink is stopped;
 * - 409 (`create` of an existing `_id`, a replay) counts as success; 400 item errors
 *   (`document_parsing_exception`, `mapper_parsing_exception`, `illegal_argument_exception`) are final:
 *   they go to the dead-letter file with the reason and count as done; every other item error (429,
 *   5xx, a 403 cluster block, a 404 while recovering) is re-sent alone after a backoff, so a document
 *   is never dropped on a transient state;
 * - memory is bounded: {@link BulkSink.add} waits while `maxInFlightBytes` are queued or in flight.
 * Each document names its owner (the file's harvester) and a token, told once it is settled.
 */
import type { Logger } from 'pino';
import { backoffDelay, sleep, systemClock } from '../retry/backoff.ts';
import type { DeadLetter } from './dead-letter.ts';
import type { ShipMetrics } from './metrics.ts';

/** One document ready to send. */
export interface SinkDoc {
  /** Action line (`{"create":{"_index":…,"_id":"<identity>:<offset>"}}`) and source line joined by `\n`. */
  ndjson: string;
  /** The harvester: told once, with `token`, when the document is settled (stored, duplicate or dead-lettered); its `path` goes into dead letters. */
  owner: SinkOwner;
  token: number;
}

/** Who a document belongs to. */
export interface SinkOwner {
  settled(token: number): void;
  readonly path: string;
}

/** The outcome of one item in a `_bulk` response, in request order. */
export interface ItemResult {
  status: number;
  type?: string;
  reason?: string;
}

/**
 * Sends one `_bulk` body (NDJSON bytes, `count` documents). Resolves with one result per document
 * (request order); rejects on a whole-request failure (connection error, timeout, non-2xx status).
 * Implemented by es-client.ts.
 */
export type BulkSend = (body: Buffer, count: number, signal: AbortSignal) => Promise<ItemResult[]>;

/**
 * A queued document: its bytes live in a batch buffer, so no document string outlives `add` and the
 * per-document object stays small (documents in flight survive young-generation GCs).
 */
interface Item {
  owner: SinkOwner;
  token: number;
  /** Byte range of its action line, source line and `\n` in the batch body. */
  start: number;
  end: number;
}

/** A batch ready to send: its items and their contiguous NDJSON bytes. */
interface Batch {
  items: Item[];
  body: Buffer;
  /** The pooled buffer `body` lives in, returned to the pool when the batch no longer needs it. */
  pooled: Buffer | undefined;
}

/** `_id` and `_index` from an item's action line (for dead letters). */
function actionOf(body: Buffer, d: Item): { _id: string; _index: string } {
  const nl = body.indexOf(10, d.start);
  const a = JSON.parse(body.toString('utf8', d.start, nl)) as Record<string, { _id?: string; _index?: string }>;
  const meta = Object.values(a)[0] ?? {};
  return { _id: meta._id ?? '', _index: meta._index ?? '' };
}

/** The source line of an item (for dead letters). */
function docSource(body: Buffer, d: Item): string {
  const nl = body.indexOf(10, d.start);
  return body.toString('utf8', nl + 1, d.end - 1);
}

/** Copy the items' bytes into a new body and update their ranges. */
function repack(body: Buffer, items: Item[]): Buffer {
  let n = 0;
  for (const d of items) n += d.end - d.start;
  const out = Buffer.allocUnsafe(n);
  let off = 0;
  for (const d of items) {
    body.copy(out, off, d.start, d.end);
    const len = d.end - d.start;
    d.start = off;
    d.end = off + len;
    off += len;
  }
  return out;
}

/** Tunables of the sink (from ShipConfig). */
export interface SinkOptions {
  flushBytes: number;
  flushIntervalMs: number;
  maxInFlightBytes: number;
  concurrency: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** Collaborators, injectable for tests (clock-free backoff via `sleep`, deterministic `random`). */
export interface SinkDeps {
  send: BulkSend;
  deadLetter: (letters: DeadLetter[]) => Promise<void>;
  metrics: ShipMetrics;
  logger: Logger;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

const NON_RETRYABLE_LOG = new Set(['document_parsing_exception', 'mapper_parsing_exception']);

/** The sink's default sleep: {@link sleep} on the system clock; resolves early (without throwing) when aborted. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(systemClock, ms, signal).then(() => undefined);
}

/** Batches documents and sends them with retries. */
export class BulkSink {
  private items: Item[] = [];
  private buf: Buffer | undefined;
  private bufLen = 0;
  /** Free batch buffers of `flushBytes` (reused: no external-memory churn for the GC to chase). */
  private readonly pool: Buffer[] = [];
  private inFlightBytes = 0;
  private active = 0;
  private readonly queue: Batch[] = [];
  private readonly spaceWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly ctl = new AbortController();
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Consecutive whole-request failures (for status). */
  consecutiveFailures = 0;
  /** Last whole-request error message (for status). */
  lastError: string | undefined;

  private readonly opts: SinkOptions;
  private readonly deps: SinkDeps;

  constructor(opts: SinkOptions, deps: SinkDeps) {
    this.opts = opts;
    this.deps = deps;
    this.sleep = deps.sleep ?? abortableSleep;
    this.random = deps.random ?? Math.random;
  }

  /** Bytes held in memory now. */
  get bytesInFlight(): number {
    return this.inFlightBytes;
  }

  /**
   * Queue a document; waits while the in-memory budget is used up (backpressure for harvesters).
   * Resolves immediately (without queueing) once the sink is stopped.
   */
  async add(doc: SinkDoc): Promise<void> {
    const bytes = Buffer.byteLength(doc.ndjson) + 1;
    while (this.inFlightBytes > 0 && this.inFlightBytes + bytes > this.opts.maxInFlightBytes && !this.ctl.signal.aborted) {
      await new Promise<void>((r) => this.spaceWaiters.push(r));
    }
    if (this.ctl.signal.aborted) return;
    this.inFlightBytes += bytes;
    this.deps.metrics.inFlightBytes.set(this.inFlightBytes);
    if (this.buf && this.bufLen + bytes > this.buf.length) this.cut();
    if (!this.buf) {
      this.buf = bytes <= this.opts.flushBytes ? (this.pool.pop() ?? Buffer.allocUnsafe(this.opts.flushBytes)) : Buffer.allocUnsafe(bytes);
      this.bufLen = 0;
    }
    const start = this.bufLen;
    this.bufLen += this.buf.write(doc.ndjson, start);
    this.buf[this.bufLen++] = 10;
    this.items.push({ owner: doc.owner, token: doc.token, start, end: this.bufLen });
    if (this.bufLen >= this.opts.flushBytes) this.cut();
    else this.timer ??= setTimeout(() => this.cut(), this.opts.flushIntervalMs);
  }

  /** Send whatever is batched now (used at end of file and in tests). */
  flush(): void {
    this.cut();
  }

  /** Resolves when nothing is batched, queued or in flight. */
  async idle(): Promise<void> {
    this.cut();
    while (this.inFlightBytes > 0 && !this.ctl.signal.aborted) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** Stop: abort retries and in-flight requests; unacknowledged documents stay unacknowledged. */
  stop(): void {
    this.ctl.abort();
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.spaceWaiters.splice(0)) w();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private cut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.items.length === 0 || !this.buf) return;
    const pooled = this.buf.length === this.opts.flushBytes ? this.buf : undefined;
    this.queue.push({ items: this.items, body: this.buf.subarray(0, this.bufLen), pooled });
    this.items = [];
    this.buf = undefined;
    this.bufLen = 0;
    this.pump();
  }

  private pump(): void {
    while (this.active < this.opts.concurrency && this.queue.length > 0 && !this.ctl.signal.aborted) {
      const batch = this.queue.shift()!;
      this.active++;
      void this.run(batch).finally(() => {
        this.active--;
        this.pump();
      });
    }
  }

  private release(batch: Batch): void {
    if (batch.pooled && this.pool.length < Math.ceil(this.opts.maxInFlightBytes / this.opts.flushBytes) + this.opts.concurrency + 1) {
      this.pool.push(batch.pooled);
    }
    batch.pooled = undefined;
  }

  /** Mark a document done (call {@link wake} after a run of settles). */
  private settle(doc: Item): void {
    doc.owner.settled(doc.token);
    this.inFlightBytes -= doc.end - doc.start;
  }

  private wake(): void {
    this.deps.metrics.inFlightBytes.set(this.inFlightBytes);
    const w = this.spaceWaiters.splice(0);
    for (const f of w) f();
    if (this.inFlightBytes === 0) for (const f of this.idleWaiters.splice(0)) f();
  }

  private backoff(attempt: number): number {
    return Math.max(1, backoffDelay(attempt + 1, { initialMs: this.opts.backoffInitialMs, maxMs: this.opts.backoffMaxMs }, this.random()));
  }

  /** Send `docs` until every one is settled or the sink stops. */
  private async run(batch: Batch): Promise<void> {
    try {
      await this.runBatch(batch);
    } finally {
      this.release(batch);
    }
  }

  private async runBatch(batch: Batch): Promise<void> {
    let docs = batch.items;
    let body = batch.body;
    let attempt = 0;
    const { metrics, logger } = this.deps;
    const signal = this.ctl.signal;
    while (docs.length > 0 && !signal.aborted) {
      const started = performance.now();
      let results: ItemResult[];
      try {
        results = await this.deps.send(body, docs.length, signal);
        if (results.length !== docs.length) throw new Error(`bulk response has ${results.length} items for ${docs.length} documents`);
      } catch (e) {
        if (signal.aborted) return;
        metrics.requests.inc({ outcome: 'retry' });
        this.consecutiveFailures++;
        this.lastError = e instanceof Error ? e.message : String(e);
        const wait = this.backoff(attempt++);
        logger.warn({ err: this.lastError, docs: docs.length, attempt, waitMs: wait }, 'bulk request failed; retrying');
        await this.sleep(wait, signal);
        continue;
      }
      metrics.latency.observe((performance.now() - started) / 1000);
      metrics.requests.inc({ outcome: 'ok' });
      this.consecutiveFailures = 0;
      const retry: Item[] = [];
      const letters: DeadLetter[] = [];
      const lettered: Item[] = [];
      let shipped = 0;
      let dup = 0;
      for (let i = 0; i < docs.length; i++) {
        const r = results[i]!;
        const d = docs[i]!;
        if (r.status >= 200 && r.status < 300) {
          shipped++;
          this.settle(d);
        } else if (r.status === 409) {
          dup++;
          this.settle(d);
        } else if (r.status !== 400) {
          retry.push(d); // 429, 5xx, and anything unexpected (403 cluster block, 404 while recovering): never dropped
        } else {
          lettered.push(d);
          const action = actionOf(body, d);
          letters.push({
            time: new Date().toISOString(), _id: action._id, _index: action._index, status: r.status,
            type: r.type ?? 'unknown', reason: r.reason ?? '', path: d.owner.path, offset: Number(action._id.slice(action._id.lastIndexOf(':') + 1)),
            doc: docSource(body, d),
          });
          if (!NON_RETRYABLE_LOG.has(r.type ?? '')) logger.warn({ status: r.status, type: r.type, reason: r.reason }, 'document refused; dead-lettered');
        }
      }
      this.wake();
      if (shipped) metrics.docs.inc({ result: 'shipped' }, shipped);
      if (dup) metrics.docs.inc({ result: 'duplicate' }, dup);
      if (letters.length > 0) {
        metrics.docs.inc({ result: 'failed' }, letters.length);
        try {
          await this.deps.deadLetter(letters);
          metrics.docs.inc({ result: 'dead_lettered' }, letters.length);
          for (const d of lettered) this.settle(d);
          this.wake();
        } catch (e) {
          // cannot record the failure: keep the documents unacknowledged and try them again later
          logger.error({ err: e }, 'cannot write dead letters; will retry those documents');
          retry.push(...lettered);
        }
      }
      if (retry.length > 0) {
        metrics.docs.inc({ result: 'retried' }, retry.length);
        const wait = this.backoff(attempt++);
        await this.sleep(wait, signal);
      }
      if (retry.length > 0) {
        body = repack(body, retry);
        this.release(batch);
      }
      docs = retry;
    }
  }
}
