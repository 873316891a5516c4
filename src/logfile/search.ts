import type { Readable } from 'node:stream';
import { PodlogError } from '../errors.ts';
import type { SafeFile } from '../store/safe-open.ts';
import { BINARY_SAMPLE_BYTES, isBinary } from './binary.ts';
import { MAX_LINE_BYTES, decodeLine } from './line.ts';
import type { Matcher } from './matcher.ts';
import { fileSource, streamSource, type ByteSource } from './sources.ts';
import { acquireScanBuffer, releaseScanBuffer, type CountingFinder, type Finder, type ScanBuffer } from './newlines.ts';

/** Query compilation lives in matcher.ts; re-exported so callers import search from one place. */
export { compileMatcher, MAX_QUERY_CHARS, type Matcher } from './matcher.ts';

/**
 * Bytes read per step. Plain literals: 1 MiB (4 MiB steps saved ~10% CPU at four times the memory: a
 * scan buffer is 2 × (step + longest line), doubled for case-insensitive search: 8 MiB per file being scanned). When lines go through re2js (~10 MB/s at worst), the
 * chunk is small so one step never blocks the event loop for long: 256 KiB when literals pick the
 * candidate lines (≤ ~25 ms), 64 KiB for a regex without literals (DFA over the chunk, then bisection).
 */
const LITERAL_CHUNK = 1024 * 1024;
const VERIFY_CHUNK = 256 * 1024;
const REGEX_CHUNK = 64 * 1024;

/** One matching line. */
export interface SearchMatch {
  /** Byte offset of the start of the matching line (in the decompressed data for `.gz`). */
  offset: number;
  /** 1-based line number. */
  lineNumber: number;
  /** The line, decoded (U+FFFD for invalid UTF-8), without newline; cut at maxLineBytes with a marker. */
  line: string;
  truncated: boolean;
}

/** Options of {@link searchFile}. */
export interface SearchOptions {
  /** Aborts the search (e.g. the HTTP client went away); the result then says `aborted`. */
  signal: AbortSignal;
  /**
   * Bytes still allowed; shared across the files of one request and decremented as bytes are read
   * (through `spend` when given, e.g. an atomic counter shared between threads).
   */
  byteBudget: { remaining: number; spend?: (n: number) => void };
  /** Wall-clock deadline, epoch ms. */
  deadline: number;
  /**
   * Called per matching line, in file order. Return false to stop (result limit reached). A promise
   * pauses the scan until it settles (backpressure: e.g. until the client has read what was sent);
   * nothing is matched meanwhile and at most the one read-ahead chunk is read.
   */
  onMatch: (m: SearchMatch) => boolean | void | Promise<boolean | void>;
  /** Cut length for reported lines; default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
  /** Search binary data too (default false: PODLOG_E_BINARY). */
  allowBinary?: boolean;
  /**
   * Only `[start, end)` of a file (not a stream), both at line starts; offsets stay file offsets and
   * line numbers count from 1 at `start`. Default the whole file. The binary check applies to the
   * first 8 KiB of the range.
   */
  range?: { start: number; end: number };
}

/** Why a search stopped before the end of the file. */
export type StopReason = 'limit' | 'budget' | 'deadline' | 'aborted';

/** Result of {@link searchFile}. */
export interface SearchResult {
  /** Bytes read (decompressed bytes for a stream). */
  bytesScanned: number;
  /** Set when the search stopped early. */
  stoppedBy?: StopReason;
  /** Newline bytes read (the whole input's when the search was not stopped early). */
  newlines: number;
}

/** What {@link searchFile} reads. */
export type SearchInput = SafeFile | Readable | { searchSource(): SafeFile | Readable };

/**
 * Search one file line by line, streaming matches to `onMatch` as they are found.
 *
 * Reads 1 MiB (less when lines go through the regex engine or the file is small, see the chunk constants) at a time into two alternating buffers (the next read
 * runs while the current chunk is searched; memory about 4 × (chunk + maxLineBytes)), awaiting
 * between chunks so the agent is never starved. Candidate lines
 * come from `Buffer#indexOf` of the matcher's needles (see {@link Matcher}); line numbers from a
 * SIMD newline count of the bytes between matches. A regex with no required literal is run by
 * the RE2 DFA over the decoded chunk, then over halves of it down to single lines, so chunks
 * without a match cost one DFA pass. Matching is per line (a match never spans a newline), like grep.
 *
 * Lines longer than `maxLineBytes`: a line that fits in the buffer is searched whole; one that
 * does not is searched in its first `maxLineBytes` bytes only, and reported with a marker saying
 * its total is not known.
 *
 * Stops, in order of checks before each read: `aborted` (signal), `deadline`, `budget` (shared
 * `byteBudget.remaining` ≤ 0); and `limit` when `onMatch` returns false. The budget may be
 * overdrawn by at most one chunk.
 * Binary data (by {@link isBinary} on the first 8 KiB) is refused unless `allowBinary`.
 * @param input a file opened with `openSafe` (read from offset 0, not closed here), a byte stream
 *   (e.g. decompressed `.gz`; destroyed when the search stops early), or anything with a
 *   `searchSource()` returning one of those (the LogReader of reader.ts)
 * @throws PodlogError `PODLOG_E_BINARY` for binary data; stream errors (e.g. bad gzip) are rethrown
 */
export async function searchFile(input: SearchInput, matcher: Matcher, opts: SearchOptions): Promise<SearchResult> {
  const source: SafeFile | Readable = 'searchSource' in input ? input.searchSource() : input;
  const isStream = !('handle' in source);
  const src = isStream ? streamSource(source as Readable) : fileSource(source as SafeFile, opts.range?.start, opts.range?.end);
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const fullChunk = !matcher.needles ? REGEX_CHUNK : matcher.re ? VERIFY_CHUNK : LITERAL_CHUNK;
  // a small file gets a small buffer (read in one go; more reads follow if it grew meanwhile)
  const size = isStream ? Infinity : ((source as SafeFile).stat.size ?? Infinity) - (opts.range?.start ?? 0);
  const chunk = size < fullChunk ? Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(Math.max(1, size) + 1))) : fullChunk;
  const capacity = 2 * (chunk + maxLine) + 16;
  const sb = acquireScanBuffer(capacity, matcher.fold);
  const scanner = new Scanner(sb, matcher, opts, maxLine);
  const startAt = isStream ? 0 : (opts.range?.start ?? 0);
  let stoppedBy: StopReason | undefined;
  let scanned = 0;
  let finished = false;
  try {
    stoppedBy = await scanner.run(src, chunk, startAt, (n) => {
      scanned += n;
      if (opts.byteBudget.spend) opts.byteBudget.spend(n);
      else opts.byteBudget.remaining -= n;
    });
    finished = stoppedBy === undefined;
  } finally {
    if (isStream && !finished) (source as Readable).destroy(); // stopped early or failed: release the decompressor
    releaseScanBuffer(sb, capacity, matcher.fold); // run() has awaited its last read into sb
  }
  const newlines = scanner.newlines;
  return stoppedBy ? { bytesScanned: scanned, stoppedBy, newlines } : { bytesScanned: scanned, newlines };
}

/** Byte frequencies sampled from the data per matcher (see Scanner.choose). */
const sampleFreq = new WeakMap<Matcher, Uint32Array>();

/** The chunk loop and per-region matchers behind {@link searchFile}. */
class Scanner {
  private base = 0; // file offset of buf[0] for the half being searched (may be negative)
  private lineNo = 1; // number of the line starting at the current count position
  private counted = 0; // buffer index up to which newlines are counted into lineNo
  private stopped = false;
  /** Needles in use; chosen among `needleChoices` on the first region. */
  private needles: readonly Buffer[] | null;
  private finders: Finder[] | undefined;
  private counting: CountingFinder | undefined;
  private readonly sb: ScanBuffer;
  private readonly matcher: Matcher;
  private readonly opts: SearchOptions;
  private readonly maxLine: number;
  constructor(sb: ScanBuffer, matcher: Matcher, opts: SearchOptions, maxLine: number) {
    this.sb = sb;
    this.matcher = matcher;
    this.opts = opts;
    this.maxLine = maxLine;
    this.needles = matcher.needles;
  }

  private stopReason(): StopReason | undefined {
    if (this.opts.signal.aborted) return 'aborted';
    if (Date.now() > this.opts.deadline) return 'deadline';
    if (this.opts.byteBudget.remaining <= 0) return 'budget';
    return undefined;
  }

  /**
   * The chunk loop, double-buffered: two halves of `maxLine + chunk` bytes; while one is searched
   * the next read fills the other. An unfinished last line (≤ maxLine bytes) is copied in front of
   * the next half's data area, so every region searched holds whole lines.
   */
  /** Newlines counted so far (all of them once {@link run} finished without stopping). */
  get newlines(): number {
    return this.lineNo - 1;
  }

  async run(src: ByteSource, chunk: number, startAt: number, onRead: (n: number) => void): Promise<StopReason | undefined> {
    const buf = this.sb.buf;
    const max = this.maxLine;
    const half = max + chunk;
    let k = 0; // the half being searched
    let carry = 0; // bytes of an unfinished line placed just before half k's data area
    let fileOff = startAt; // file offset of the first carried byte (of the data when carry is 0)
    let skipping = false; // inside a line too long for the buffer, already handled
    let first = true;
    let pending: Promise<number> | undefined = src.read(buf, max, chunk);
    try {
      for (;;) {
        const why = this.stopReason();
        if (why) return why;
        const n = await pending!;
        pending = undefined;
        onRead(n);
        const dataAt = k * half + max;
        if (first) {
          first = false;
          if (!this.opts.allowBinary && isBinary(buf.subarray(dataAt, dataAt + Math.min(n, BINARY_SAMPLE_BYTES)))) {
            throw new PodlogError('PODLOG_E_BINARY', 'the file looks binary (NUL bytes or control characters in its first 8 KiB); not searched');
          }
        }
        const s0 = dataAt - carry;
        this.base = fileOff - s0;
        if (n === 0) {
          if (carry > 0 && !skipping) await this.region(s0, dataAt, true);
          return this.stopped ? 'limit' : undefined;
        }
        pending = src.read(buf, (1 - k) * half + max, chunk); // read ahead into the other half
        const end = dataAt + n;
        let start = s0;
        if (skipping) {
          const nl = buf.indexOf(10, s0);
          if (nl < 0 || nl >= end) {
            fileOff += end - s0;
            carry = 0;
            k = 1 - k;
            continue;
          }
          skipping = false;
          this.lineNo++;
          start = nl + 1;
        }
        this.counted = start;
        const lastNl = buf.lastIndexOf(10, end - 1);
        let restStart = start;
        if (lastNl >= start) {
          await this.region(start, lastNl + 1, false);
          if (this.stopped) return 'limit';
          this.lineNo += this.sb.count(this.counted, lastNl + 1);
          restStart = lastNl + 1;
        }
        const rest = end - restStart;
        if (rest > max) {
          // a line longer than the buffer can hold: search its head, skip the rest
          this.counted = restStart;
          await this.region(restStart, restStart + max, true, true);
          if (this.stopped) return 'limit';
          skipping = true;
          fileOff += end - s0;
          carry = 0;
          k = 1 - k;
          continue;
        }
        const nextData = (1 - k) * half + max;
        buf.copy(buf, nextData - rest, restStart, end);
        fileOff += restStart - s0;
        carry = rest;
        k = 1 - k;
      }
    } finally {
      if (pending) await pending.catch(() => 0); // never leave a read running into our buffer
    }
  }

  /** Search the complete lines in `buf[a..b)` (`b` after a newline unless `atEnd`). */
  private async region(a: number, b: number, atEnd: boolean, headOnly = false): Promise<void> {
    this.counted = a;
    if (this.matcher.needles) await this.candidates(a, b, headOnly);
    else await this.regex(a, b, atEnd, headOnly);
  }

  /** Lines of `buf[a..b)` holding one of the needles (then confirmed by `re` if any). */
  private async candidates(a: number, b: number, headOnly: boolean): Promise<void> {
    const { fold, re } = this.matcher;
    const buf = this.sb.buf;
    if (fold) this.sb.lower(a, b);
    const hay = (fold ? this.sb.folded : buf).subarray(0, b);
    if (!this.finders) this.choose(hay, a, b);
    if (this.counting) {
      await this.single(a, b, headOnly);
      return;
    }
    const finders = this.finders!;
    const next = finders.map((f) => f(a, b));
    for (;;) {
      let p = -1;
      for (const q of next) if (q >= 0 && (p < 0 || q < p)) p = q;
      if (p < 0) return;
      const ls = p > a ? Math.max(a, hay.lastIndexOf(10, p - 1) + 1) : a; // never before a: what precedes a is another line or stale data
      let le = hay.indexOf(10, p);
      if (le < 0) le = b;
      if (!re || re.test(decodeLine(buf.subarray(ls, le)))) {
        const more = this.report(Math.max(ls, a), le, headOnly);
        if (!(more === true || (more !== false && (await more)))) return;
      }
      if (le >= b) return;
      for (let i = 0; i < finders.length; i++) if (next[i]! >= 0 && next[i]! <= le) next[i] = finders[i]!(le + 1, b);
    }
  }

  /**
   * On the first region: pick the needle set with the fewest hits in `hay[a..b)` (counted up to a
   * cap), and make its finders, whose SIMD filter uses the needle bytes rarest in a 64 KiB sample.
   */
  private choose(hay: Buffer, a: number, b: number): void {
    const choices = this.matcher.needleChoices;
    if (choices) {
      const CAP = 4096;
      let best = Infinity;
      for (const set of choices) {
        let hits = 0;
        for (const n of set) {
          for (let i = hay.indexOf(n, a); i >= 0 && i < b && hits < CAP; i = hay.indexOf(n, i + n.length)) hits++;
        }
        if (hits < best) {
          best = hits;
          this.needles = set;
        }
      }
    }
    // byte frequencies of the first file a matcher meets stand for the rest (log files of one search look alike)
    let freq = sampleFreq.get(this.matcher);
    if (!freq) {
      freq = new Uint32Array(256);
      const end = Math.min(b, a + 65536);
      for (let i = a; i < end; i++) freq[hay[i]!]!++;
      if (end - a >= 4096) sampleFreq.set(this.matcher, freq);
    }
    this.finders = this.needles!.map((n) => this.sb.finder(n, this.matcher.fold, freq));
    const ns = this.needles!;
    this.counting = ns.length === 1 ? this.sb.countingFinder(ns[0]!, this.matcher.fold, freq) : this.sb.anyCountingFinder(ns, this.matcher.fold, freq);
  }

  /**
   * {@link candidates} with a finder that counts newlines as it goes (one pass over the data
   * instead of find + count), for one needle or a few. Invariant: `lineNo` is counted up to `counted`.
   */
  private async single(a: number, b: number, headOnly: boolean): Promise<void> {
    const cf = this.counting!;
    const re = this.matcher.re;
    const buf = this.sb.buf;
    const hay = (this.matcher.fold ? this.sb.folded : buf).subarray(0, b);
    let from = a;
    for (;;) {
      const p = cf.find(from, b);
      this.lineNo += cf.newlines;
      this.counted = cf.scanned;
      if (p < 0) return;
      const ls = p > a ? Math.max(a, hay.lastIndexOf(10, p - 1) + 1) : a; // never before a: what precedes a is another line or stale data
      let le = hay.indexOf(10, p);
      if (le < 0 || le > b) le = b;
      if (!re || re.test(decodeLine(buf.subarray(ls, le)))) {
        const more = this.report(Math.max(ls, a), le, headOnly);
        if (!(more === true || (more !== false && (await more)))) return;
      }
      if (le >= b) return;
      from = le + 1;
      if (this.counted < from) {
        this.lineNo += this.sb.count(this.counted, from);
        this.counted = from;
      }
    }
  }

  /** Lines of `buf[a..b)` matching `re`, for regexes without required literals: DFA bisection. */
  private async regex(a: number, b: number, atEnd: boolean, headOnly: boolean): Promise<void> {
    const re = this.matcher.re!;
    const buf = this.sb.buf;
    const text = buf.toString('utf8', a, b);
    if (!re.test(text)) return;
    const ascii = text.length === b - a;
    // cursor mapping string index → buffer index for non-ASCII text (both advance newline by newline)
    let sCur = 0;
    let bCur = a;
    const toByte = (s: number): number => {
      if (ascii) return a + s;
      while (sCur < s) {
        const sn = text.indexOf('\n', sCur);
        const bn = buf.indexOf(10, bCur);
        sCur = sn + 1;
        bCur = bn + 1;
      }
      return bCur;
    };
    const end = atEnd || text.length === 0 || text.charCodeAt(text.length - 1) !== 10 ? text.length : text.length - 1;
    // bisect [s, e) (line-aligned string ranges; e excludes the final newline) down to single lines
    const visit = async (s: number, e: number): Promise<boolean> => {
      if (!re.test(text.substring(s, e))) return true;
      const mid = (s + e) >>> 1;
      let cut = text.indexOf('\n', mid);
      if (cut < 0 || cut >= e) cut = text.lastIndexOf('\n', mid - 1);
      if (cut < s) {
        // a single line
        const ls = toByte(s);
        return this.report(ls, ascii ? a + e : this.lineEnd(ls, b), headOnly);
      }
      return (await visit(s, cut)) && visit(cut + 1, e);
    };
    await visit(0, end);
  }

  private lineEnd(ls: number, b: number): number {
    const le = this.sb.buf.indexOf(10, ls);
    return le < 0 || le > b ? b : le;
  }

  /**
   * Report the line `buf[ls..le)`; false (or a promise of false) when the consumer wants no more.
   * A promise means the consumer asked to pause: the caller awaits it before going on.
   */
  private report(ls: number, le: number, headOnly: boolean): boolean | Promise<boolean> {
    this.lineNo += this.sb.count(this.counted, ls);
    this.counted = ls;
    const buf = this.sb.buf;
    const len = le - ls;
    const cut = headOnly || len > this.maxLine;
    const content = buf.subarray(ls, cut ? ls + Math.min(len, this.maxLine + 1) : le);
    const line = cut ? decodeLine(content, this.maxLine, headOnly ? undefined : len + 1) : decodeLine(content);
    const more = this.opts.onMatch({ offset: this.base + ls, lineNumber: this.lineNo, line, truncated: cut });
    if (more instanceof Promise) return more.then((m) => this.proceed(m));
    return this.proceed(more);
  }

  private proceed(more: boolean | void): boolean {
    if (more === false) {
      this.stopped = true;
      return false;
    }
    return true;
  }
}
