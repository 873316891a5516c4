/**
 * Multiline grouping: a line that does not start a record joins the previous record (Filebeat's
 * `multiline.negate: true, match: after`). Continuations are `\tat …`, `Caused by:`, `... N more`,
 * tab-indented config dumps, blank lines, and lines of a preamble with no timestamp.
 * Grouping depends only on the bytes from a record's first line onward, so resuming at a record
 * boundary regroups identically (needed for deterministic `_id`s after a crash).
 */

/** A complete record: its lines and the byte range `[offset, end)` it covers in the file. */
export interface RecordChunk {
  /** Byte offset of the record's first line. */
  offset: number;
  /** Byte offset just past the record's last newline. */
  end: number;
  /** Lines without their `\n` (a trailing `\r` removed). Cut at `maxBytes` in total. */
  lines: string[];
}

/** Decides whether a line starts a record. */
export type StartTest = (line: string) => boolean;

/**
 * Default start test: a log4j date at line start, `yyyy-MM-dd[ T]HH:mm:ss` (both Flink layouts).
 * Checks characters, no regex, because it runs on every line.
 */
export function log4jStart(line: string): boolean {
  return (
    line.length >= 19 && isDigit(line, 0) && isDigit(line, 1) && isDigit(line, 2) && isDigit(line, 3) && line.charCodeAt(4) === 45 &&
    isDigit(line, 5) && isDigit(line, 6) && line.charCodeAt(7) === 45 && isDigit(line, 8) && isDigit(line, 9) &&
    (line.charCodeAt(10) === 32 || line.charCodeAt(10) === 84) && isDigit(line, 11) && isDigit(line, 12) && line.charCodeAt(13) === 58 &&
    isDigit(line, 14) && isDigit(line, 15) && line.charCodeAt(16) === 58 && isDigit(line, 17) && isDigit(line, 18)
  );
}

function isDigit(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/**
 * Build a start test from a configured pattern (JavaScript regex source), or the default.
 * @throws SyntaxError when the pattern does not compile
 */
export function startTest(pattern: string | undefined): StartTest {
  if (pattern === undefined || pattern === '') return log4jStart;
  const re = new RegExp(pattern);
  return (line) => re.test(line);
}

/**
 * Groups lines into records. Feed complete lines in file order with `push`; it returns the record
 * the line completed, if any. `flush` returns the pending record (on idle timeout or end of file).
 */
export class MultilineGrouper {
  private pending: RecordChunk | undefined;
  private pendingBytes = 0;
  private readonly isStart: StartTest;
  private readonly maxBytes: number;
  /**
   * @param isStart decides whether a line starts a record
   * @param maxBytes cap on a record's text, bytes (approximated by UTF-16 length); past it the record is emitted
   */
  constructor(isStart: StartTest, maxBytes: number) {
    this.isStart = isStart;
    this.maxBytes = maxBytes;
  }

  /**
   * Add one line covering bytes `[start, end)` (end includes its newline).
   * @returns the previous record when this line starts a new one (or the cap was reached)
   */
  push(line: string, start: number, end: number): RecordChunk | undefined {
    const p = this.pending;
    if (p !== undefined && !this.isStart(line) && this.pendingBytes + line.length <= this.maxBytes && p.end === start) {
      p.lines.push(line);
      p.end = end;
      this.pendingBytes += line.length + 1;
      return undefined;
    }
    this.pending = { offset: start, end, lines: [line] };
    this.pendingBytes = line.length;
    return p;
  }

  /** True when a record is pending. */
  get hasPending(): boolean {
    return this.pending !== undefined;
  }

  /** Emit and clear the pending record, if any. */
  flush(): RecordChunk | undefined {
    const p = this.pending;
    this.pending = undefined;
    this.pendingBytes = 0;
    return p;
  }
}
