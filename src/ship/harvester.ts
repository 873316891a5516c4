/**
 * A harvester reads one file from its checkpoint through an open descriptor (so a rename or unlink
 * does not stop it), splits bytes into lines, groups lines into records, parses them and hands ECS
 * documents to the sink. It never writes the file and never blocks on anything but the sink's
 * in-memory budget, so tailing and the page are unaffected by a slow Elasticsearch.
 * Byte offsets are exact: lines are found in Buffers, and each record knows the byte range it covers.
 */
import { isAscii } from 'node:buffer';
import type { FileHandle } from 'node:fs/promises';
import { AckTracker } from './ack.ts';
import type { Checkpoint } from './checkpoints.ts';
import { buildDoc } from './ecs.ts';
import { docId, gunzipStream } from './identity.ts';
import { parseRecord, type ZoneClock } from './log4j.ts';
import { MultilineGrouper, type RecordChunk, type StartTest } from './multiline.ts';
import type { BulkSink } from './sink.ts';

/** Why a harvester ended. */
export type HarvestEnd = 'eof' | 'truncated' | 'stopped';

/** Tunables and helpers shared by harvesters. */
export interface HarvesterOptions {
  /** Read size, bytes. */
  chunkBytes: number;
  maxRecordBytes: number;
  multilineTimeoutMs: number;
  pollMs: number;
  isStart: StartTest;
  clock: ZoneClock;
  now: () => number;
}

/** What a harvester needs besides its file. */
export interface HarvesterDeps {
  sink: BulkSink;
  opts: HarvesterOptions;
  /** Called when the acknowledged offset advanced (checkpoint is already updated in place). */
  onAck: () => void;
}

/** Harvests one file; see module doc. */
export class Harvester {
  /** Current path on the node (follows renames reported by the catalog). */
  path: string;
  /** Set when no catalog path points at this file any more: read to the end, then finish. */
  gone = false;
  /** Last size seen by fstat (bytes; decompressed bytes read so far for `.gz`). */
  size: number;
  /** ms since the epoch since which `size > acked`; undefined when caught up. */
  behindSinceMs: number | undefined;
  private readonly tracker: AckTracker;
  private stopped = false;
  private wakeFn: (() => void) | undefined;
  private lastTimeMs: number | undefined;
  private readonly grouper: MultilineGrouper;
  private readonly actionHead: string;
  private pathFor = '';
  private pathJson = '""';

  readonly handle: FileHandle;
  readonly gz: boolean;
  readonly cp: Checkpoint;
  private readonly fixed: string;
  private readonly deps: HarvesterDeps;

  /**
   * @param index target data stream; @param fixed per-file constant JSON (ecs.ts `staticFields`)
   * @param initialSize file size at open, bytes
   */
  constructor(handle: FileHandle, gz: boolean, cp: Checkpoint, index: string, fixed: string, deps: HarvesterDeps, initialSize: number) {
    this.handle = handle;
    this.gz = gz;
    this.cp = cp;
    this.fixed = fixed;
    this.deps = deps;
    this.path = cp.path;
    this.size = initialSize;
    this.tracker = new AckTracker(cp.offset);
    this.grouper = new MultilineGrouper(deps.opts.isStart, deps.opts.maxRecordBytes);
    this.actionHead = `{"create":{"_index":${JSON.stringify(index)},"_id":"`;
  }

  /** Bytes acknowledged by Elasticsearch. */
  get acked(): number {
    return this.tracker.acked;
  }

  /** True when every emitted record is acknowledged. */
  get drained(): boolean {
    return this.tracker.outstanding === 0;
  }

  /**
   * Update {@link size} from fstat (plain files; a `.gz` only knows what it decompressed). Used while
   * the harvester is held back by the sink, so lag and unshipped bytes count bytes not yet read.
   */
  async refreshSize(): Promise<void> {
    if (this.gz) return;
    try {
      const st = await this.handle.stat();
      if (st.size > this.size) this.size = st.size;
      this.trackLag();
    } catch {
      // closed meanwhile
    }
  }

  /** Re-check the file now (it changed). */
  wake(): void {
    const w = this.wakeFn;
    this.wakeFn = undefined;
    w?.();
  }

  /** Stop reading; `run` returns `'stopped'`. Unacknowledged bytes stay unacknowledged. */
  stop(): void {
    this.stopped = true;
    this.wake();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeFn = undefined;
        resolve();
      }, ms);
      this.wakeFn = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private trackLag(): void {
    if (this.size > this.tracker.acked) this.behindSinceMs ??= this.deps.opts.now();
    else this.behindSinceMs = undefined;
  }

  /** Ship one record. Waits while the sink's memory budget is used up. */
  private async emit(rec: RecordChunk): Promise<void> {
    const parsed = parseRecord(rec.lines, this.deps.opts.clock);
    if (parsed.timeMs !== undefined) this.lastTimeMs = parsed.timeMs;
    const id = docId(this.cp.id, rec.offset);
    if (this.pathFor !== this.path) {
      this.pathFor = this.path;
      this.pathJson = JSON.stringify(this.path);
    }
    const doc = buildDoc(parsed, rec.offset, this.lastTimeMs ?? this.deps.opts.now(), this.pathJson, this.fixed);
    const token = this.tracker.add(rec.end);
    await this.deps.sink.add({ ndjson: `${this.actionHead}${id}"}}\n${doc}`, owner: this, token });
  }

  /** Sink callback: the record with `token` is settled; advance the checkpoint if contiguous. */
  settled(token: number): void {
    if (this.tracker.complete(token)) {
      this.cp.offset = this.tracker.acked;
      this.deps.onAck();
    }
  }

  /**
   * Feed bytes starting at file position `pos` (the first byte after the previous carry).
   * @returns the unconsumed tail (a partial line), copied
   */
  private async feed(data: Buffer, pos: number, final: boolean): Promise<Buffer | undefined> {
    if (isAscii(data)) return this.feedAscii(data, pos, final);
    const max = this.deps.opts.maxRecordBytes;
    let s = 0;
    for (;;) {
      let nl = data.indexOf(10, s);
      let e = nl;
      if (nl < 0 || nl - s >= max) {
        if (data.length - s < max) break;
        nl = s + max - 1; // cut an over-long line (deterministic from its start)
        e = nl + 1;
      } else if (e > s && data[e - 1] === 13) e--;
      const line = data.toString('utf8', s, Math.min(e, s + max));
      const rec = this.grouper.push(line, pos + s, pos + nl + 1);
      if (rec) await this.emit(rec);
      s = nl + 1;
    }
    if (s >= data.length) return undefined;
    if (final) {
      const rec = this.grouper.push(data.toString('utf8', s, Math.min(data.length, s + max)), pos + s, pos + data.length);
      if (rec) await this.emit(rec);
      return undefined;
    }
    return Buffer.from(data.subarray(s));
  }

  /**
   * The common case, pure ASCII: decode the chunk once (one char per byte, so string indexes are byte
   * offsets) and slice lines out of it. Same line and cut rules as {@link feed}.
   */
  private async feedAscii(data: Buffer, pos: number, final: boolean): Promise<Buffer | undefined> {
    const max = this.deps.opts.maxRecordBytes;
    const text = data.toString('latin1');
    let s = 0;
    for (;;) {
      let nl = text.indexOf('\n', s);
      let e = nl;
      if (nl < 0 || nl - s >= max) {
        if (text.length - s < max) break;
        nl = s + max - 1;
        e = nl + 1;
      } else if (e > s && text.charCodeAt(e - 1) === 13) e--;
      const rec = this.grouper.push(text.slice(s, e), pos + s, pos + nl + 1);
      if (rec) await this.emit(rec);
      s = nl + 1;
    }
    if (s >= text.length) return undefined;
    if (final) {
      const rec = this.grouper.push(text.slice(s, Math.min(text.length, s + max)), pos + s, pos + text.length);
      if (rec) await this.emit(rec);
      return undefined;
    }
    return Buffer.from(data.subarray(s));
  }

  private async flushPending(): Promise<void> {
    const rec = this.grouper.flush();
    if (rec) await this.emit(rec);
  }

  /** Read until stopped, truncated, or (when gone / `.gz`) the end of the file. */
  async run(): Promise<HarvestEnd> {
    return this.gz ? this.runGz() : this.runPlain();
  }

  private async runPlain(): Promise<HarvestEnd> {
    const { opts } = this.deps;
    // one buffer for the whole life of the harvester: the partial line (`carry`, < maxRecordBytes) is
    // moved to its front and the next chunk read behind it, so reading allocates nothing per chunk
    const buf = Buffer.allocUnsafe(opts.chunkBytes + opts.maxRecordBytes);
    let pos = this.cp.offset; // file position of the first byte of `carry`
    let carry: Buffer | undefined;
    let lastDataMs = opts.now();
    while (!this.stopped) {
      const at = pos + (carry?.length ?? 0);
      const carryLen = carry?.length ?? 0;
      if (carry) carry.copy(buf, 0);
      const { bytesRead } = await this.handle.read(buf, carryLen, opts.chunkBytes, at);
      if (bytesRead > 0) {
        const data = buf.subarray(0, carryLen + bytesRead);
        const rest = await this.feed(data, pos, false);
        pos += data.length - (rest?.length ?? 0);
        carry = rest;
        lastDataMs = opts.now();
        if (at + bytesRead > this.size) this.size = at + bytesRead;
        this.trackLag();
        continue;
      }
      const st = await this.handle.stat();
      this.size = st.size;
      this.trackLag();
      if (st.size < at) {
        await this.flushPending();
        return 'truncated';
      }
      const idle = opts.now() - lastDataMs;
      if (this.gone && idle >= opts.multilineTimeoutMs) {
        if (carry) await this.feed(carry, pos, true);
        await this.flushPending();
        return 'eof';
      }
      if (this.grouper.hasPending && idle >= opts.multilineTimeoutMs) await this.flushPending();
      const left = opts.multilineTimeoutMs - idle;
      await this.wait(left > 0 ? Math.min(opts.pollMs, left) : opts.pollMs);
    }
    return 'stopped';
  }

  private async runGz(): Promise<HarvestEnd> {
    const skip = this.cp.offset;
    let pos = 0; // decompressed position of the first byte of `carry`
    let seen = 0; // decompressed bytes seen
    let carry: Buffer | undefined;
    const { stream, gunzip } = gunzipStream(this.handle);
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        if (this.stopped) return 'stopped';
        let part = chunk;
        if (seen + chunk.length <= skip) {
          seen += chunk.length;
          pos = seen;
          continue;
        }
        if (seen < skip) {
          part = chunk.subarray(skip - seen);
          pos = skip;
        }
        seen += chunk.length;
        this.size = seen;
        const data = carry ? Buffer.concat([carry, part]) : part;
        const rest = await this.feed(data, pos, false);
        pos += data.length - (rest?.length ?? 0);
        carry = rest;
        this.trackLag();
      }
    } catch {
      // corrupt or truncated gzip: ship what decompressed
    } finally {
      stream.unpipe(gunzip);
      stream.destroy();
      gunzip.destroy();
    }
    if (this.stopped) return 'stopped';
    if (carry) await this.feed(carry, pos, true);
    await this.flushPending();
    this.size = Math.max(seen, this.tracker.registered);
    this.trackLag();
    return 'eof';
  }
}
