import { watch, type FSWatcher } from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { SafeFile } from '../store/safe-open.ts';
import { LineSplitter, MAX_LINE_BYTES, type Line } from './line.ts';

/** Something that happened to the followed name. */
export interface FollowEvent {
  /**
   * - `rotated`: the name now points to another file (rename+create, log4j roll, logrotate with
   *   compression); the old file was read to its end first; offsets restart at 0 in the new file.
   * - `truncated`: the file shrank below the read position (copytruncate); reading restarts at 0.
   * - `gone`: the name has not existed for `goneAfterMs`; the old descriptor is still drained and
   *   the name is polled.
   * - `back`: the name exists again after `gone`; if it is a new file (the usual case), reading
   *   continues in it from offset 0, as after `rotated`; if it is the same file renamed back,
   *   offsets continue.
   */
  type: 'rotated' | 'truncated' | 'gone' | 'back';
}

/** Options of {@link follow}. */
export interface FollowOptions {
  /** Opens the file currently at the followed name, safely (`openSafe`); may throw PodlogError. */
  reopen: () => Promise<SafeFile>;
  /**
   * `lstat` of the followed name through the door (`lstatSafe`: no link followed anywhere on its path), to
   * notice rotation; undefined when the name is missing or not reachable without a link.
   */
  statName: () => Promise<Stats | undefined>;
  /** Byte offset to start at in the first file (should be a line start, e.g. `TailResult.followOffset`); clamped to its size. */
  startOffset: number;
  /** Stops following; `follow` then resolves. */
  signal: AbortSignal;
  /**
   * Complete lines as they are appended, in order, batched per read (never empty). When it returns a
   * promise, no further read starts until it settles: a consumer whose client is slow awaits its drain here,
   * so a follow holds one read (64 KiB, or one cut line) beyond what the consumer buffers.
   */
  onLines: (lines: Line[]) => void | Promise<void>;
  /** Rotation, truncation, disappearance, reappearance. */
  onEvent?: (e: FollowEvent) => void;
  /** Poll interval in ms (fstat + lstat), the fallback when no watch event comes; default 250. */
  pollMs?: number;
  /** Use fs.watch on the directory for low latency (default true). */
  watch?: boolean;
  /** Cut length per line (default 1 MiB); a longer line is emitted cut as soon as it passes this length. */
  maxLineBytes?: number;
  /**
   * How long the name must stay missing before `gone` is emitted, in ms (default 1000). A rename
   * followed by a create within this time is reported as `rotated` only.
   */
  goneAfterMs?: number;
  /** Called once the first file is open, with the offset reading starts at (after clamping). */
  onStart?: (info: { offset: number }) => void;
}

const READ_BYTES = 64 * 1024;

/**
 * Follow a log file by name, like `tail -F`: emits complete lines appended after `startOffset`,
 * across rotation and truncation, until `signal` aborts. One descriptor is kept open; growth is
 * noticed through fs.watch on the directory (inotify on Linux, so an append reaches `onLines` in
 * a few ms) with an fstat/lstat poll every `pollMs` as fallback. A partial last line is held
 * back until its newline (or until it exceeds `maxLineBytes`, then it is emitted cut and the rest
 * skipped); after rotation the old file's unterminated last line is emitted as `partial`.
 *
 * Limits (as for `tail -F`): a copytruncate that refills the file past the old position between
 * two checks is not seen as a truncation.
 *
 * @returns resolves when `signal` aborts (the current descriptor is then closed)
 * @throws whatever the first `reopen()` throws (e.g. PodlogError `PODLOG_E_NOT_FOUND`)
 */
export async function follow(opts: FollowOptions): Promise<void> {
  const f = new Follower(opts);
  await f.run();
}

class Follower {
  private readonly o: FollowOptions;
  private readonly max: number;
  private file!: SafeFile;
  private pos = 0;
  private splitter!: LineSplitter;
  private gone = false;
  private missingSince: number | undefined;
  private wake: (() => void) | undefined;
  private pending = false;
  /** A rename event named the file since the name was last compared. */
  private renamed = false;
  private watcher: FSWatcher | undefined;
  private readonly buf = Buffer.allocUnsafe(READ_BYTES);

  constructor(o: FollowOptions) {
    this.o = o;
    this.max = o.maxLineBytes ?? MAX_LINE_BYTES;
  }

  async run(): Promise<void> {
    const { signal } = this.o;
    this.file = await this.o.reopen();
    const size = (await this.file.handle.stat()).size;
    this.pos = Math.min(Math.max(0, this.o.startOffset), size);
    this.splitter = this.newSplitter(this.pos);
    this.o.onStart?.({ offset: this.pos });
    const onAbort = () => this.poke();
    signal.addEventListener('abort', onAbort, { once: true });
    this.startWatch();
    try {
      let check = true;
      while (!signal.aborted) {
        await this.drain();
        if (signal.aborted) break;
        // the name is compared (through the door: a few system calls) after a rename event, a poll tick, or
        // without a watch; appends ('change' events) only need the read above
        if (check || this.renamed || !this.watcher) {
          this.renamed = false;
          await this.checkName();
        }
        if (signal.aborted) break;
        check = await this.sleep();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.watcher?.close();
      await this.file.handle.close().catch(() => {});
    }
  }

  private newSplitter(offset: number): LineSplitter {
    return new LineSplitter({ offset, maxLineBytes: this.max, emitOversizedEarly: true });
  }

  private emit(type: FollowEvent['type']): void {
    this.o.onEvent?.({ type });
  }

  private startWatch(): void {
    if (this.o.watch === false) return;
    const name = basename(this.file.path);
    try {
      this.watcher = watch(dirname(this.file.path), { persistent: false }, (ev, fname) => {
        if (fname !== null && fname !== name && String(fname) !== name) return;
        if (ev === 'rename' || fname === null) this.renamed = true;
        this.poke();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined; // polling still works
    }
  }

  private poke(): void {
    this.pending = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Wait for a watch event or the poll interval; true when the poll interval passed (a tick). */
  private sleep(): Promise<boolean> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve(true);
      }, this.o.pollMs ?? 250);
      this.wake = () => {
        clearTimeout(t);
        this.pending = false;
        resolve(false);
      };
    });
  }

  /** Read the current descriptor to its end (handling truncation), emitting complete lines. */
  private async drain(): Promise<void> {
    const size = (await this.file.handle.stat()).size;
    if (size < this.pos) {
      this.pos = 0;
      this.splitter = this.newSplitter(0);
      this.emit('truncated');
    }
    if (size === this.pos) return; // nothing new: one fstat per wake-up is all a quiet file costs
    for (;;) {
      if (this.o.signal.aborted) return;
      const { bytesRead } = await this.file.handle.read(this.buf, 0, READ_BYTES, this.pos);
      if (bytesRead === 0) return;
      this.pos += bytesRead;
      const lines: Line[] = [];
      this.splitter.push(this.buf.subarray(0, bytesRead), (l) => void lines.push(l));
      if (lines.length > 0) await this.o.onLines(lines);
    }
  }

  /** Compare the name with the open descriptor; switch files on rotation or re-creation. */
  private async checkName(): Promise<void> {
    const st = await this.o.statName().catch(() => undefined);
    const same = st !== undefined && st.ino === this.file.stat.ino && st.dev === this.file.stat.dev;
    if (same) {
      this.missingSince = undefined;
      if (this.gone) {
        this.gone = false; // renamed away and back
        this.emit('back');
      }
      return;
    }
    let next: SafeFile | undefined;
    if (st !== undefined) {
      try {
        next = await this.o.reopen();
      } catch {
        next = undefined; // a symlink, FIFO or vanished again: as if missing
      }
    }
    if (next === undefined) {
      this.missingSince ??= Date.now();
      if (!this.gone && Date.now() - this.missingSince >= (this.o.goneAfterMs ?? 1000)) {
        this.gone = true;
        this.emit('gone');
      }
      return;
    }
    this.missingSince = undefined;
    await this.drain(); // the writer may have written to the old file up to the switch
    const partial = this.splitter.peekPartial();
    if (partial) await this.o.onLines([partial]);
    await this.file.handle.close().catch(() => {});
    this.file = next;
    this.pos = 0;
    this.splitter = this.newSplitter(0);
    this.emit(this.gone ? 'back' : 'rotated');
    this.gone = false;
    this.pending = true; // read the new file at once
  }
}
