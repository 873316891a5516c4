/**
 * The viewer's line cache: one contiguous run of whole lines of a file, addressed by byte offsets,
 * grown by windows fetched above or below and trimmed at the far end so it never holds more than
 * `maxLines` lines (memory stays bounded however far the user scrolls). A jump replaces the run.
 * Stale responses (from before a jump) are dropped by a generation counter.
 */
import type { ApiLine, ApiLines } from '../api.ts';
import { isContinuation, levelOf, lineTime, type Level } from './decorate.ts';

/** One decorated line. `head` = offset of the first line of its stack trace (-1 when none). */
export interface Line {
  offset: number;
  text: string;
  truncated: boolean;
  level: Level;
  /** True for a stack-trace continuation (`\tat …`, `Caused by: …`). */
  cont: boolean;
  /** For a line that starts a stack trace group: number of continuation lines in the block after it. */
  groupSize: number;
  /** Offset of the group's first line, for continuation lines; -1 otherwise. */
  head: number;
}

/** How windows are fetched (the API in production, a stub in unit tests). */
export interface WindowSource {
  from(offset: number, count: number, signal: AbortSignal): Promise<ApiLines>;
  before(offset: number, count: number, signal: AbortSignal): Promise<ApiLines>;
  tail(count: number, signal: AbortSignal): Promise<ApiLines>;
}

/**
 * File size from a window: the server omits it for `.gz` files (their decompressed size is unknown
 * until read through), so the furthest offset seen stands in.
 */
function sizeOf(w: ApiLines, known: number): number {
  return typeof w.size === 'number' && Number.isFinite(w.size) ? w.size : Math.max(known, w.nextOffset);
}

function toLine(l: ApiLine): Line {
  return { offset: l.offset, text: l.text, truncated: !!l.truncated, level: '', cont: false, groupSize: 0, head: -1 };
}

/** A bounded, contiguous block of lines `[start, end)` in byte offsets. */
export class LineBlock {
  lines: Line[] = [];
  /** Offset of the first line held. */
  start = 0;
  /** Offset just past the last line held. */
  end = 0;
  /** File size (bytes) at the last response. */
  size = 0;
  /** Nothing after `end` at the last read. */
  eof = false;
  /** Bumped on every jump; responses of older generations are ignored. */
  gen = 0;
  private loadingUp: Promise<boolean> | null = null;
  private loadingDown: Promise<boolean> | null = null;
  private ctrl = new AbortController();

  /**
   * @param maxLines most lines held
   * @param window lines per fetch
   * @param maxChars most characters held (UTF-16 code units, ~2 bytes each), at least one window kept
   */
  private readonly src: WindowSource;
  readonly maxLines: number;
  readonly window: number;
  readonly maxChars: number;

  constructor(src: WindowSource, maxLines = 6000, window = 400, maxChars = 8_000_000) {
    this.src = src;
    this.maxLines = maxLines;
    this.window = window;
    this.maxChars = maxChars;
  }

  /** True when the first line of the file is held. */
  get atStart(): boolean {
    return this.start === 0;
  }

  private reset(): number {
    this.ctrl.abort();
    this.ctrl = new AbortController();
    this.loadingUp = this.loadingDown = null;
    return ++this.gen;
  }

  private set(w: ApiLines, extra: ApiLine[] = []): void {
    const all = [...extra, ...w.lines];
    this.lines = all.map(toLine);
    this.start = all[0]?.offset ?? w.startOffset;
    this.end = w.nextOffset;
    this.size = sizeOf(w, this.size);
    this.eof = w.eof;
    this.decorate();
  }

  /**
   * Replace the block with the lines around byte `offset`: `before` lines ending at it and `after`
   * lines from it. Resolves false when superseded by a later jump. Throws ApiError.
   */
  async jumpTo(offset: number, before = 60, after = this.window): Promise<boolean> {
    const g = this.reset();
    const s = this.ctrl.signal;
    // Forward first: the server moves an offset inside a line to the next line start, and the
    // lines above are then read up to exactly that start (no cut line at the seam).
    const down = await this.src.from(offset, after, s);
    if (g !== this.gen) return false;
    const at = down.lines[0]?.offset ?? down.nextOffset;
    const up = before > 0 && at > 0 ? await this.src.before(at, before, s) : null;
    if (g !== this.gen) return false;
    this.set(down, up?.lines ?? []);
    if (down.lines.length === 0 && up) this.start = up.lines[0]?.offset ?? up.startOffset;
    if (!up && down.lines.length === 0) this.start = at;
    return true;
  }

  /** Replace the block with the last `count` lines of the file. */
  async jumpEnd(count = this.window): Promise<boolean> {
    const g = this.reset();
    const w = await this.src.tail(count, this.ctrl.signal);
    if (g !== this.gen) return false;
    this.set(w);
    this.eof = true;
    return true;
  }

  /** Fetch the next window below `end`; resolves true when lines were added. One at a time. */
  extendDown(): Promise<boolean> {
    if (this.loadingDown) return this.loadingDown;
    const g = this.gen;
    const p = this.src
      .from(this.end, this.window, this.ctrl.signal)
      .then((w) => {
        if (g !== this.gen) return false;
        this.size = sizeOf(w, this.size);
        this.eof = w.eof;
        const fresh = w.lines.filter((l) => l.offset >= this.end);
        if (fresh.length === 0) return false;
        this.push(fresh);
        this.end = w.nextOffset;
        this.trim('top');
        this.decorate();
        return true;
      })
      .finally(() => {
        if (this.loadingDown === p) this.loadingDown = null;
      });
    this.loadingDown = p;
    return p;
  }

  /** Fetch the window above `start`; resolves true when lines were added. One at a time. */
  extendUp(): Promise<boolean> {
    if (this.atStart) return Promise.resolve(false);
    if (this.loadingUp) return this.loadingUp;
    const g = this.gen;
    const p = this.src
      .before(this.start, this.window, this.ctrl.signal)
      .then((w) => {
        if (g !== this.gen) return false;
        this.size = sizeOf(w, this.size);
        const fresh = w.lines.filter((l) => l.offset < this.start);
        if (fresh.length === 0) {
          if (w.lines.length === 0) this.start = 0;
          return false;
        }
        this.lines.unshift(...fresh.map(toLine));
        this.start = fresh[0]!.offset;
        this.trim('bottom');
        this.decorate();
        return true;
      })
      .finally(() => {
        if (this.loadingUp === p) this.loadingUp = null;
      });
    this.loadingUp = p;
    return p;
  }

  /** Forget every line: the file was rotated or truncated and follow restarts at offset 0. */
  restart(): void {
    this.reset();
    this.lines = [];
    this.start = this.end = this.size = 0;
    this.eof = true;
  }

  /** Append lines received by follow (must continue at `end`); `next` = offset after them. */
  append(lines: ApiLine[], next: number): void {
    const fresh = lines.filter((l) => l.offset >= this.end);
    if (fresh.length === 0) return;
    this.push(fresh);
    this.end = Math.max(next, this.end);
    this.size = Math.max(this.size, this.end);
    this.eof = true;
    this.trim('top');
    this.decorate();
  }

  /**
   * Append lines, first dropping held lines at or after the first new offset: a trailing line
   * without newline is sent again, whole, once it is complete.
   */
  private push(fresh: ApiLine[]): void {
    const first = fresh[0]!.offset;
    while (this.lines.length && this.lines[this.lines.length - 1]!.offset >= first) this.lines.pop();
    for (const l of fresh) this.lines.push(toLine(l));
  }

  /** Drop lines from one end so at most `maxLines` remain. */
  private trim(from: 'top' | 'bottom'): void {
    // Bounded by lines and by characters (a line may be up to 1 MiB): over the character budget,
    // drop lines from the far end but keep at least one window.
    let extra = Math.max(0, this.lines.length - this.maxLines);
    let chars = 0;
    for (const l of this.lines) chars += l.text.length;
    const n = this.lines.length;
    while (chars > this.maxChars && n - extra > this.window) {
      const l = this.lines[from === 'top' ? extra : n - 1 - extra]!;
      chars -= l.text.length;
      extra++;
    }
    if (extra <= 0) return;
    if (from === 'top') {
      this.lines.splice(0, extra);
      this.start = this.lines[0]!.offset;
    } else {
      const cut = this.lines.splice(n - extra, extra);
      this.end = cut[0]!.offset;
      this.eof = false;
    }
  }

  /** Index of the last line whose offset is ≤ `offset` (0 when before the block). */
  indexOf(offset: number): number {
    let lo = 0;
    let hi = this.lines.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lines[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  /**
   * Recompute levels and stack-trace groups: continuations join their head's group and level; a
   * line with neither a level nor a timestamp continues the record above it and takes its level.
   */
  private decorate(): void {
    let head: Line | null = null;
    let prevLevel: Level = '';
    for (const l of this.lines) {
      l.cont = isContinuation(l.text);
      if (l.cont && head) {
        l.level = head.level;
        l.head = head.offset;
        head.groupSize++;
      } else {
        l.level = levelOf(l.text);
        if (!l.level && lineTime(l.text) === undefined) l.level = prevLevel;
        l.head = -1;
        l.groupSize = 0;
        head = l;
      }
      prevLevel = l.level;
    }
  }
}
