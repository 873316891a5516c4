/**
 * One log line as podlog shows it, and the rules that turn bytes into it:
 * - a line ends at `\n` (0x0A); a `\r` right before it (or at the end of a partial line) is dropped;
 * - text is decoded as UTF-8; invalid sequences become U+FFFD (WHATWG "replacement" decoding,
 *   which is what Node's `Buffer#toString('utf8')` does);
 * - a line longer than `maxLineBytes` is cut: only its first `maxLineBytes` bytes are kept
 *   (backed off to a whole UTF-8 character) and {@link cutMarker} is appended. The rest of such a
 *   line is skipped without being buffered.
 */

/** Default cut length for one line: 1 MiB (bytes). */
export const MAX_LINE_BYTES = 1024 * 1024;

/** One line of a (possibly decompressed) log file. */
export interface Line {
  /** Byte offset of the first byte of the line in the (decompressed) file. */
  offset: number;
  /** 1-based line number, when known (forward reads from offset 0, search, `.gz`); absent from a backward tail. */
  lineNumber?: number;
  /** Decoded text without the newline (and without a `\r` before it); cut lines end with {@link cutMarker}. */
  text: string;
  /** True when the line was longer than `maxLineBytes` and `text` holds only its beginning. */
  truncated: boolean;
  /**
   * Length of the line in bytes including its `\n`. For a cut line whose end was not yet seen
   * (following a live file), the number of bytes seen so far.
   */
  bytes: number;
  /** True for a last line without a newline yet (the writer may still be writing it). */
  partial?: boolean;
}

/**
 * The text appended to a cut line.
 * @param cutAt bytes kept (the `maxLineBytes` in force)
 * @param total full length of the line in bytes, or undefined when not yet known
 * @returns e.g. ` … [podlog: line cut at 1048576 bytes, 104857600 in total]`
 */
export function cutMarker(cutAt: number, total: number | undefined): string {
  const tail = total === undefined ? 'total length not known yet' : `${total} in total`;
  return ` … [podlog: line cut at ${cutAt} bytes, ${tail}]`;
}

/**
 * Length of `buf[0..len)` backed off so it does not end inside a UTF-8 multi-byte character
 * (at most 3 bytes are dropped). Used when cutting a line.
 */
export function utf8Boundary(buf: Buffer, len: number): number {
  if (len >= buf.length) return buf.length;
  // buf[len] is the first byte left out; if it is a continuation byte, walk back to the first byte of its character.
  let i = len;
  let back = 0;
  while (i > 0 && back < 3 && ((buf[i] ?? 0) & 0xc0) === 0x80) {
    i--;
    back++;
  }
  return back > 0 && ((buf[i] ?? 0) & 0xc0) === 0xc0 ? i : len;
}

/**
 * Decode the content of one line.
 * @param content bytes of the line without its `\n` (at most `maxLineBytes` of them when cut)
 * @param cutAt `maxLineBytes` when the line is cut, else undefined
 * @param total full line length in bytes (for the marker), undefined when not known
 */
export function decodeLine(content: Buffer, cutAt?: number, total?: number): string {
  if (cutAt !== undefined) {
    const keep = utf8Boundary(content, Math.min(cutAt, content.length));
    return content.toString('utf8', 0, keep) + cutMarker(cutAt, total);
  }
  let end = content.length;
  if (end > 0 && content[end - 1] === 0x0d) end--;
  return content.toString('utf8', 0, end);
}

/** Options of a {@link LineSplitter}. */
export interface SplitterOptions {
  /** Byte offset of the first byte that will be pushed. */
  offset: number;
  /** Line number of the first line pushed, if known (1-based). */
  lineNumber?: number;
  /** Cut length in bytes; default {@link MAX_LINE_BYTES}. */
  maxLineBytes?: number;
  /**
   * When true, a line is emitted (cut, total unknown) as soon as it exceeds `maxLineBytes`, and the
   * rest of it is skipped up to its newline. Used when following a live file. When false (default)
   * the cut line is emitted at its newline with its full length known; the bytes in between are
   * still never buffered.
   */
  emitOversizedEarly?: boolean;
}

/**
 * Splits a stream of byte chunks into {@link Line}s with bounded memory: at most `maxLineBytes`
 * bytes of the current unfinished line are kept. Chunks are copied when kept, so the caller may
 * reuse its read buffer.
 */
export class LineSplitter {
  /** Offset of the next byte to be pushed. */
  position: number;
  /** Line number of the next line to start (undefined when unknown). */
  nextLineNumber: number | undefined;
  private readonly max: number;
  private readonly early: boolean;
  private parts: Buffer[] = [];
  private kept = 0;
  /** Bytes of the unfinished line seen so far (kept or not). */
  private seen = 0;
  private lineStart: number;
  /** True after an early cut line was emitted for the unfinished line. */
  private emitted = false;

  constructor(opts: SplitterOptions) {
    this.position = opts.offset;
    this.lineStart = opts.offset;
    this.nextLineNumber = opts.lineNumber;
    this.max = opts.maxLineBytes ?? MAX_LINE_BYTES;
    this.early = opts.emitOversizedEarly ?? false;
  }

  /** Offset where the unfinished line (if any) starts; equals {@link position} when there is none. */
  get pendingStart(): number {
    return this.lineStart;
  }

  /** Bytes of the unfinished line seen so far. */
  get pendingBytes(): number {
    return this.seen;
  }

  /**
   * Feed bytes; `onLine` is called for each completed line. When `onLine` returns false the split
   * stops right after that line and the number of bytes of `chunk` consumed is returned (the
   * caller resumes from `position`). Otherwise returns `chunk.length`.
   */
  push(chunk: Buffer, onLine: (line: Line) => boolean | void): number {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (nl >= 0 && this.seen === 0 && nl - pos <= this.max) {
        // fast path: the whole line is inside this chunk; decode without copying
        const line: Line = { offset: this.lineStart, text: decodeLine(chunk.subarray(pos, nl)), truncated: false, bytes: nl + 1 - pos };
        if (this.nextLineNumber !== undefined) line.lineNumber = this.nextLineNumber++;
        this.position += nl + 1 - pos;
        this.lineStart = this.position;
        pos = nl + 1;
        if (onLine(line) === false) return pos;
        continue;
      }
      this.take(chunk, pos, end);
      if (nl < 0) {
        this.position += chunk.length - pos;
        pos = chunk.length;
        this.maybeEmitEarly(onLine);
        break;
      }
      this.position += nl + 1 - pos;
      pos = nl + 1;
      this.seen += 1;
      const line = this.finish();
      if (line && onLine(line) === false) return pos;
    }
    return pos;
  }

  /**
   * The unfinished line as a `partial` line (undefined when there is none or when it was already
   * emitted early), without consuming it: {@link position} and the pending bytes are unchanged.
   * Call at end of input.
   */
  peekPartial(): Line | undefined {
    if (this.seen === 0 || this.emitted) return undefined;
    return this.build(true);
  }

  /** Drop the unfinished line and restart at `offset` (after a truncation or reopen). */
  reset(offset: number, lineNumber?: number): void {
    this.parts = [];
    this.kept = 0;
    this.seen = 0;
    this.emitted = false;
    this.position = offset;
    this.lineStart = offset;
    this.nextLineNumber = lineNumber;
  }

  private take(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    this.seen += n;
    const room = this.max + 1 - this.kept; // keep one byte more than max to tell "exactly max" from "over"
    if (room > 0 && n > 0) {
      const k = Math.min(room, n);
      this.parts.push(Buffer.from(chunk.subarray(from, from + k)));
      this.kept += k;
    }
  }

  private maybeEmitEarly(onLine: (line: Line) => boolean | void): void {
    if (!this.early || this.emitted || this.seen <= this.max) return;
    const content = Buffer.concat(this.parts, this.kept);
    const line: Line = {
      offset: this.lineStart,
      text: decodeLine(content, this.max, undefined),
      truncated: true,
      bytes: this.seen,
    };
    if (this.nextLineNumber !== undefined) line.lineNumber = this.nextLineNumber;
    this.emitted = true;
    this.parts = [];
    onLine(line);
  }

  private build(partial: boolean): Line {
    const bytes = this.seen;
    const contentLen = partial ? bytes : bytes - 1;
    const content = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.kept);
    const cut = contentLen > this.max;
    const line: Line = {
      offset: this.lineStart,
      text: cut ? decodeLine(content, this.max, partial ? undefined : bytes) : decodeLine(content.subarray(0, contentLen)),
      truncated: cut,
      bytes,
    };
    if (partial) line.partial = true;
    if (this.nextLineNumber !== undefined) line.lineNumber = this.nextLineNumber;
    return line;
  }

  private finish(): Line | undefined {
    const line = this.emitted ? undefined : this.build(false);
    if (this.nextLineNumber !== undefined) this.nextLineNumber++;
    this.parts = [];
    this.kept = 0;
    this.seen = 0;
    this.emitted = false;
    this.lineStart = this.position;
    return line;
  }
}
