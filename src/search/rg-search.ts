import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { isPodlogError } from '../errors.ts';
import { BINARY_SAMPLE_BYTES, isBinary } from '../logfile/binary.ts';
import { isGzipName } from '../logfile/gzip.ts';
import { MAX_LINE_BYTES, decodeLine } from '../logfile/line.ts';
import { openReader } from '../logfile/reader.ts';
import { searchFile, type Matcher } from '../logfile/search.ts';
import type { Catalog } from '../store/catalog.ts';
import { openSafe, openSafeInSync, type SafeFd } from '../store/safe-open.ts';
import type { NdjsonSink } from './ndjson-sink.ts';
import { filesInScope, type SearchLimits, type SearchOutcome, type SearchScope, type SearchSummary } from './node-search.ts';
import { ended, type Ripgrep } from './ripgrep.ts';

type InScope = ReturnType<typeof filesInScope>[number];

/** Most files one ripgrep process searches (each is one inherited descriptor). */
export const RG_BATCH_FILES = 256;
/** A batch is closed once its files hold this many bytes (so two processes share a search of many files). */
const RG_BATCH_BYTES = 128 * 1024 * 1024;
/** ripgrep processes of one search running at once (the second works ahead while the first's hits go out). */
export const RG_PROCESSES = 2;
/** Units of one search prepared ahead (files opened, descriptors held) of the one being written out. */
const RG_AHEAD = 3;
/** Longest the event loop goes without a turn while ripgrep's output is turned into hits, ms. */
const SLICE_MS = 4;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));
/** Output of a ripgrep process held before it is written out, bytes (then the process blocks on its pipe). */
const AHEAD_BYTES = 1024 * 1024;
/** First descriptor number of a batch's files in the ripgrep process (0-2 are stdio). */
const FIRST_FD = 3;

/** A run of plain files for one ripgrep process, or one file for the built-in engine (`.gz`). */
type Unit = { rg: true; files: InScope[] } | { rg: false; file: InScope };

/** A batch's files as opened, and its ripgrep process. */
interface Launched {
  unit: Unit;
  /** Files handed to ripgrep, in order (descriptor FIRST_FD + index). */
  open: { f: InScope; safe: SafeFd; prefix: string }[];
  /** Files refused by the door or found binary. */
  skipped: number;
  /** The byte budget ran out while this unit was prepared: the search stops after it. */
  budgetStop: boolean;
  child?: ChildProcess;
  /** The process's output, read as it comes (up to {@link AHEAD_BYTES} ahead of the writer). */
  out?: AsyncIterable<Buffer>;
  end?: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Hit line prefix naming the file, as the worker engine writes it. */
function prefixOf({ pod, container, file }: InScope): string {
  return JSON.stringify({ namespace: pod.namespace, pod: pod.name, uid: pod.uid, container: container.name, file: file.name }).slice(0, -1) + ',';
}

function planUnits(files: InScope[]): Unit[] {
  const out: Unit[] = [];
  let run: InScope[] = [];
  let bytes = 0;
  const close = () => {
    if (run.length > 0) out.push({ rg: true, files: run });
    run = [];
    bytes = 0;
  };
  for (const f of files) {
    if (isGzipName(f.file.name)) {
      close();
      out.push({ rg: false, file: f });
      continue;
    }
    run.push(f);
    bytes += f.file.size;
    if (run.length >= RG_BATCH_FILES || bytes >= RG_BATCH_BYTES) close();
  }
  close();
  return out;
}

/**
 * Search every file of a scope with ripgrep, in the order of {@link filesInScope}, streaming hits to `sink`
 * as NDJSON lines identical to the built-in engines'. Files are opened here, through the door
 * (`openSafeInSync`, a container folder at a time, in slices of a few ms), checked for binary data (first
 * 8 KiB, as the built-in engine), and handed to `rg` as inherited descriptors named `/dev/fd/3`,
 * `/dev/fd/4`, ...: ripgrep never resolves a path below a root, so a pod swapping folders cannot redirect it.
 * Up to {@link RG_BATCH_FILES} files per process, {@link RG_PROCESSES} processes at once (started in file
 * order), three batches prepared ahead; the output of a process is turned into hits only once the ones
 * before it are written out (until then at most 1 MiB of it is held), so hits stay in order, and
 * reading pauses while the client does not read (ripgrep then blocks on its full pipe: memory stays bounded by
 * the pipes and one sink batch). `.gz` files go through the built-in `matcher` on this thread.
 *
 * Bounds as the built-in engines: `limit`, `deadline`, abort (`signal`): ripgrep is killed at once. The byte
 * budget is spent per file (catalog size) before a file is handed out: the search stops before the first file
 * that finds it spent, so it is overdrawn by at most one file (the built-in engine: one chunk).
 * Lines longer than {@link MAX_LINE_BYTES} are cut as `decodeLine` cuts them; ripgrep searched the whole line.
 * @param args ripgrep flags and pattern from `ripgrepArgs` (checked with `checkRipgrepQuery`)
 * @returns the summary; `stopped_by` says which bound ended it
 */
export async function searchNodeWithRipgrep(
  catalog: Catalog,
  scope: SearchScope,
  args: string[],
  matcher: Matcher,
  limits: SearchLimits,
  sink: NdjsonSink,
  signal: AbortSignal,
  logger: Logger,
  rg: Ripgrep,
): Promise<SearchSummary> {
  const summary: SearchSummary = { done: true, stopped_by: 'done', bytes_scanned: 0, files_searched: 0, files_skipped: 0, matches: 0 };
  const units = planUnits(filesInScope(catalog, scope));
  const budget = { remaining: limits.byteBudget };
  const live = new Set<ChildProcess>();
  const killAll = () => {
    for (const c of live) stopChild(c);
    for (const w of slotWaiters.splice(0)) w();
  };
  let stop: SearchOutcome | undefined;
  const halt = (why: SearchOutcome) => {
    stop ??= why;
    killAll();
  };
  const onAbort = () => halt('aborted');
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => halt('deadline'), Math.max(0, limits.deadline - Date.now()));
  timer.unref();
  let budgetSpent = false;

  let spawned = Promise.resolve();
  const slotWaiters: (() => void)[] = [];
  const launch = async (unit: Unit): Promise<Launched> => {
    const l: Launched = { unit, open: [], skipped: 0, budgetStop: false };
    if (!unit.rg) return l;
    // processes start in unit order (so the unit being written out always has one), at most RG_PROCESSES at once
    const before = spawned;
    let turnDone!: () => void;
    spawned = new Promise<void>((r) => (turnDone = r));
    try {
      return await prepareAndStart(l, unit, before);
    } finally {
      turnDone();
    }
  };
  const prepareAndStart = async (l: Launched, unit: Unit & { rg: true }, before: Promise<void>): Promise<Launched> => {
    // spend the budget in file order, before any await: launches run interleaved
    let take = unit.files.length;
    for (let i = 0; i < unit.files.length; i++) {
      if (budget.remaining <= 0) {
        take = i;
        l.budgetStop = true;
        budgetSpent = true;
        break;
      }
      budget.remaining -= unit.files[i]!.file.size;
    }
    const files = unit.files.slice(0, take);
    const opened: ({ f: InScope; safe: SafeFd; prefix: string } | undefined)[] = new Array(files.length);
    const head = Buffer.allocUnsafe(BINARY_SAMPLE_BYTES);
    // files of one container folder are opened together (the door walks to the folder once), synchronously
    // (thread-pool round trips cost several times the system calls), a few ms at a time
    let slice = performance.now();
    for (let i = 0; i < files.length; ) {
      const root = files[i]!.pod.root;
      const dir = dirname(files[i]!.file.path);
      let j = i + 1;
      while (j < files.length && files[j]!.pod.root === root && dirname(files[j]!.file.path) === dir) j++;
      let safes: (SafeFd | Error)[];
      try {
        safes = openSafeInSync(root, dir, files.slice(i, j).map((f) => basename(f.file.path)));
      } catch (e) {
        safes = files.slice(i, j).map(() => (e instanceof Error ? e : new Error(String(e))));
      }
      for (let k = 0; k < safes.length; k++) {
        const safe = safes[k]!;
        const f = files[i + k]!;
        try {
          if (safe instanceof Error) throw safe;
          if (isBinary(head.subarray(0, readSync(safe.fd, head, 0, head.length, 0)))) {
            closeSync(safe.fd);
            l.skipped++;
            continue;
          }
          opened[i + k] = { f, safe, prefix: prefixOf(f) };
        } catch (e) {
          if (!(safe instanceof Error)) closeSync(safe.fd);
          if (!isPodlogError(e)) logger.warn({ err: e, path: f.file.path }, 'search could not open a file');
          l.skipped++;
        }
      }
      i = j;
      if (performance.now() - slice > SLICE_MS) {
        await yieldToLoop();
        slice = performance.now();
      }
    }
    for (const o of opened) if (o) l.open.push(o);
    await before;
    while (!stop && live.size >= RG_PROCESSES) await new Promise<void>((r) => slotWaiters.push(r));
    if (l.open.length === 0 || stop) return l;
    const paths = l.open.map((_, i) => `/dev/fd/${FIRST_FD + i}`);
    const child = spawn(rg.bin, [...args, '--heading', '--with-filename', '--line-number', '--byte-offset', '--', ...paths], {
      stdio: ['ignore', 'pipe', 'pipe', ...l.open.map((o) => o.safe.fd)],
    });
    l.child = child;
    l.out = readAhead(child.stdout!, AHEAD_BYTES);
    l.end = ended(child, 4096);
    live.add(child);
    void l.end.then(() => {
      live.delete(child);
      slotWaiters.shift()?.();
    });
    return l;
  };

  const ahead: Promise<Launched>[] = [];
  let next = 0;
  try {
    while (!stop && (next < units.length || ahead.length > 0)) {
      while (next < units.length && !budgetSpent && ahead.length < RG_AHEAD) ahead.push(launch(units[next++]!));
      const l = await ahead.shift()!;
      summary.files_skipped += l.skipped;
      try {
        if (!l.unit.rg) await builtin(l.unit.file);
        else if (l.child) await output(l);
      } finally {
        if (l.child) stopChild(l.child);
        await l.end;
        for (const o of l.open) closeSync(o.safe.fd);
      }
      if (!stop && l.budgetStop) stop = 'budget';
      if (!stop && signal.aborted) stop = 'aborted';
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    killAll();
    for (const l of await Promise.all(ahead)) {
      if (l.child) stopChild(l.child);
      await l.end;
      for (const o of l.open) closeSync(o.safe.fd);
    }
  }
  return stop ? { ...summary, stopped_by: stop } : summary;

  /** One `.gz` (or other non-plain) file through the built-in engine. */
  async function builtin(f: InScope): Promise<void> {
    if (budget.remaining <= 0) {
      stop ??= 'budget';
      return;
    }
    let safe;
    try {
      safe = await openSafe(f.pod.root, f.file.path);
    } catch (e) {
      if (!isPodlogError(e)) logger.warn({ err: e, path: f.file.path }, 'search could not open a file');
      summary.files_skipped++;
      return;
    }
    const prefix = prefixOf(f);
    const local = new AbortController();
    const relay = () => local.abort();
    signal.addEventListener('abort', relay, { once: true });
    try {
      const res = await searchFile(openReader(safe, f.file.name).searchSource(), matcher, {
        signal: local.signal,
        byteBudget: budget,
        deadline: limits.deadline,
        onMatch: (m) => {
          summary.matches++;
          const more = sink.push(`${prefix}"offset":${m.offset},"line_number":${m.lineNumber},"line":${JSON.stringify(m.line)}${m.truncated ? ',"truncated":true' : ''}}`);
          const go = (ok: boolean) => {
            if (!ok) halt('aborted');
            else if (summary.matches >= limits.limit) halt('limit');
            return stop === undefined;
          };
          return more instanceof Promise ? more.then(go) : go(more);
        },
      });
      summary.files_searched++;
      summary.bytes_scanned += res.bytesScanned;
      if (res.stoppedBy && res.stoppedBy !== 'limit') stop ??= res.stoppedBy;
    } catch (e) {
      if (!isPodlogError(e)) logger.warn({ err: e, path: f.file.path }, 'search failed on a file');
      summary.files_skipped++;
    } finally {
      signal.removeEventListener('abort', relay);
      await safe.handle.close();
    }
  }

  /** Read one ripgrep process's output in order, turning it into hit lines. */
  async function output(l: Launched): Promise<void> {
    const parser = new RgOutputParser(MAX_LINE_BYTES);
    let current = -1; // index in l.open of the file whose hits are being read
    const files = l.open;
    const out = new HitWriter(sink);
    const prefixes = files.map((o) => Buffer.from(o.prefix, 'utf8'));
    const go = (ok: boolean) => {
      if (!ok) halt('aborted');
      else if (summary.matches >= limits.limit) halt('limit');
      return stop === undefined;
    };
    const emit = (hit: RgHit): boolean | Promise<boolean> => {
      if (hit.fd !== undefined) {
        current = hit.fd - FIRST_FD;
        return true;
      }
      const prefix = prefixes[current];
      if (!prefix) return true;
      summary.matches++;
      out.hit(prefix, hit.offset!, hit.lineNumber!, hit.content!, hit.length!);
      if (summary.matches >= limits.limit) {
        const more = out.flush();
        return more instanceof Promise ? more.then(go) : go(more);
      }
      const more = out.full() ? out.flush() : true;
      return more instanceof Promise ? more.then(go) : go(more);
    };
    let slice = performance.now();
    try {
      for await (const chunk of l.out!) {
        if (stop) break;
        if (!(await parser.push(chunk, emit))) break;
        // what a chunk gave goes out before the next is awaited (a slow trickle of hits is not held back)
        const more = await out.flush();
        if (!go(more)) break;
        // queued output is parsed in microtasks only: let timers and other requests in every few ms
        if (performance.now() - slice > SLICE_MS) {
          await yieldToLoop();
          slice = performance.now();
        }
      }
    } catch (e) {
      if (!stop) logger.warn({ err: e }, 'search: reading ripgrep failed');
    }
    if (!stop) go(await out.flush());
    const res = await l.end!;
    if (stop) {
      // files before the one being read were searched whole; that one too as far as ripgrep got
      const reached = Math.max(0, current + 1);
      summary.files_searched += reached;
      for (let i = 0; i < reached; i++) summary.bytes_scanned += files[i]!.safe.stat.size;
      return;
    }
    if (res.code === 0 || res.code === 1) {
      summary.files_searched += files.length;
      for (const o of files) summary.bytes_scanned += o.safe.stat.size;
      return;
    }
    // an error (e.g. a file truncated under ripgrep's memory map): the files it did not finish are skipped
    logger.warn({ code: res.code, signal: res.signal, stderr: res.stderr }, 'search: ripgrep failed; its remaining files are skipped');
    const reached = Math.max(0, current);
    summary.files_searched += reached;
    for (let i = 0; i < reached; i++) summary.bytes_scanned += files[i]!.safe.stat.size;
    summary.files_skipped += files.length - reached;
  }
}

/**
 * Kill a ripgrep process and drop its unread output: a paused stdout would never see the end of the pipe,
 * and the process's `close` (which waits for its streams) would never come.
 */
function stopChild(child: ChildProcess): void {
  child.kill('SIGKILL');
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** One record of ripgrep's `--heading --line-number --byte-offset` output: a file heading or a matching line. */
export interface RgHit {
  /** Heading: the descriptor number of the file whose hits follow. */
  fd?: number;
  lineNumber?: number;
  /** Byte offset of the line's first byte in its file. */
  offset?: number;
  /** The line's first bytes (at most the cut length + 1), without the newline. */
  content?: Buffer;
  /** Full length of the line in bytes, without the newline. */
  length?: number;
}

/**
 * Incremental parser of ripgrep's output with `--heading --line-number --byte-offset`: a heading line
 * `/dev/fd/N` (ended by `\r\n` under `--crlf`), then `LINE:OFFSET:TEXT` per matching line, a blank line between files. Holds at most the
 * cut length + 64 bytes of an unfinished line: the rest of a long line is only counted.
 */
export class RgOutputParser {
  private readonly keep: number;
  private carry: Buffer[] = [];
  private carried = 0;
  private total = 0; // bytes of the unfinished output line so far
  constructor(maxLineBytes: number) {
    this.keep = maxLineBytes + 64;
  }

  /**
   * Parse one chunk, calling `emit` per complete record; a promise from `emit` is awaited before the next
   * record. Resolves false as soon as `emit` gives false.
   */
  async push(chunk: Buffer, emit: (r: RgHit) => boolean | Promise<boolean>): Promise<boolean> {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl < 0) break;
      let line: Buffer;
      let length: number;
      if (this.total > 0) {
        const need = Math.max(0, Math.min(nl - from, this.keep - this.carried));
        this.carry.push(chunk.subarray(from, from + need));
        line = Buffer.concat(this.carry);
        length = this.total + (nl - from);
        this.carry = [];
        this.carried = 0;
        this.total = 0;
      } else {
        line = chunk.subarray(from, nl);
        length = nl - from;
      }
      from = nl + 1;
      const rec = parseRecord(line, length);
      if (!rec) continue;
      const more = emit(rec);
      if (!(more === true || (more !== false && (await more)))) return false;
    }
    if (from < chunk.length) {
      const rest = chunk.length - from;
      const need = Math.min(rest, this.keep - this.carried);
      // copied: the chunk's memory is the stream's
      if (need > 0) this.carry.push(Buffer.from(chunk.subarray(from, from + need)));
      this.carried += need;
      this.total += rest;
    }
    return true;
  }
}

/** One output line (`line` holds its first bytes, `length` is its full length) as a record; null for separators. */
function parseRecord(line: Buffer, length: number): RgHit | null {
  // with --crlf, ripgrep ends its own lines (headings, separators) with \r\n
  if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) return null;
  if (line[0] === 0x2f) {
    const m = /^\/dev\/fd\/(\d+)\r?$/.exec(line.toString('latin1'));
    return m ? { fd: Number(m[1]) } : null;
  }
  let i = 0;
  let lineNumber = 0;
  while (i < line.length && line[i] !== 0x3a) lineNumber = lineNumber * 10 + line[i++]! - 48;
  i++;
  let offset = 0;
  while (i < line.length && line[i] !== 0x3a) offset = offset * 10 + line[i++]! - 48;
  i++;
  return { lineNumber, offset, content: line.subarray(i), length: length - i };
}

/**
 * The chunks of `stream`, read from the start: node resumes (and so drops the data of) a child's unread stdout
 * once the child exits, so output must be taken as it comes. The stream is paused while more than `maxAhead`
 * bytes wait for the consumer (the writer then blocks on its full pipe); chunks already under way are still kept.
 */
export function readAhead(stream: Readable, maxAhead: number): AsyncIterable<Buffer> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  // listeners go on now, not when iteration starts
  stream.on('data', (d: Buffer) => {
    queue.push(d);
    queued += d.length;
    if (queued > maxAhead) stream.pause();
    poke();
  });
  const finish = () => {
    ended = true;
    poke();
  };
  stream.once('end', finish);
  stream.once('close', finish);
  stream.once('error', (e) => {
    failed = e;
    poke();
  });
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const d = queue.shift();
        if (d) {
          queued -= d.length;
          if (queued <= maxAhead / 2 && stream.isPaused()) stream.resume();
          yield d;
          continue;
        }
        if (failed) throw failed;
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      stream.destroy();
    }
  }
  return chunks();
}

/** Bytes of hit lines gathered before they go to the sink in one piece. */
const HIT_BATCH_BYTES = 64 * 1024;

/** `"` `\` and control bytes need JSON escapes; bytes from 0x80 need UTF-8 validation: neither is copied raw. */
function plainAscii(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/**
 * Hit lines as NDJSON bytes, written into one buffer and handed to the sink per {@link HIT_BATCH_BYTES}.
 * A line of printable ASCII without `"` or `\` is copied as it is (its JSON string is itself); any other goes
 * through `decodeLine` and `JSON.stringify`, exactly as the built-in engines write it.
 */
class HitWriter {
  private buf = Buffer.allocUnsafe(HIT_BATCH_BYTES);
  private len = 0;
  private readonly sink: NdjsonSink;
  constructor(sink: NdjsonSink) {
    this.sink = sink;
  }

  /** Append one hit; `content` holds the line's first bytes, `length` its full length (bytes, no newline). */
  hit(prefix: Buffer, offset: number, lineNumber: number, content: Buffer, length: number): void {
    const cut = length > MAX_LINE_BYTES;
    let body = content;
    if (!cut && body.length > 0 && body[body.length - 1] === 0x0d) body = body.subarray(0, body.length - 1);
    const head = `"offset":${offset},"line_number":${lineNumber},"line":`;
    if (!cut && plainAscii(body)) {
      this.room(prefix.length + head.length + body.length + 4);
      this.len += prefix.copy(this.buf, this.len);
      this.len += this.buf.write(head, this.len, 'latin1');
      this.buf[this.len++] = 0x22;
      this.len += body.copy(this.buf, this.len);
      this.len += this.buf.write('"}\n', this.len, 'latin1');
      return;
    }
    const line = cut ? decodeLine(content, MAX_LINE_BYTES, length + 1) : decodeLine(content);
    const rest = `${head}${JSON.stringify(line)}${cut ? ',"truncated":true' : ''}}\n`;
    this.room(prefix.length + Buffer.byteLength(rest));
    this.len += prefix.copy(this.buf, this.len);
    this.len += this.buf.write(rest, this.len, 'utf8');
  }

  /** True when a flush is due. */
  full(): boolean {
    return this.len >= HIT_BATCH_BYTES;
  }

  /** Hand what is gathered to the sink; returns like `NdjsonSink.pushBytes`. */
  flush(): boolean | Promise<boolean> {
    if (this.len === 0) return true;
    const data = this.buf.subarray(0, this.len);
    this.buf = Buffer.allocUnsafe(HIT_BATCH_BYTES);
    this.len = 0;
    return this.sink.pushBytes(data);
  }

  /** Make room for `n` more bytes (a bigger buffer for one long line). */
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
  }
}
