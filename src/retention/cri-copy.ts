/**
 * Copies container stdout/stderr that the kubelet keeps under `/var/log/pods/<ns>_<pod>_<uid>/<container>/N.log`
 * (CRI format, N = restart count) into podlog's root as `<root>/<ns>_<pod>_<uid>/<container>/stdio-N.cri.log`,
 * incrementally, so it outlives the kubelet deleting the folder when the pod is removed (kubelet container GC).
 *
 * How the kubelet handles these files (kubernetes `pkg/kubelet/logs/container_log_manager.go`): when `N.log`
 * passes `containerLogMaxSize` it is renamed `N.log.<YYYYMMDD-hhmmss>` and the runtime reopens a new `N.log`;
 * older rotated files are gzip'd (`.gz`) and the oldest removed past `containerLogMaxFiles`; the monitor runs
 * every 10 s, so a rotated file stays uncompressed for at least one of our polls.
 *
 * Per stream (pod, container, N) the copier keeps the current `N.log` open (opened with `openSafe`: no-follow,
 * non-blocking, regular files only) and remembers its inode and the offset copied. An open descriptor keeps the
 * bytes readable after a rename or unlink, so a rotation or the pod folder's deletion mid-copy loses nothing
 * already opened: the copier drains the old descriptor to its end first. Rotated files not yet copied (history
 * found at discovery, or two rotations between polls) are copied in name order, `.gz` decompressed. Offsets
 * persist (tmp + fsync + rename) in `stateFile`, so a restart resumes without duplicates. A stream the state does
 * not know (the file was lost or corrupt) but whose copy holds bytes resumes after the copy's last record
 * (`cri-resume.ts`), so losing the state costs neither duplicates nor lines.
 */
import { lstat, mkdir, readdir, readFile, realpath, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Logger } from 'pino';
import { backoffDelay, sleep, systemClock, type BackoffParams, type Clock } from '../retry/backoff.ts';
import { writeAtomic } from '../state/atomic-write.ts';
import { isContainerName, parsePodDirName } from '../store/layout.ts';
import { lstatSafe, openAppendSafe, openSafe, renameSafe } from '../store/safe-open.ts';
import { criCopyName } from '../logfile/cri.ts';
import { copyFilesNewestFirst, dirs, nextRotation, realDir, startsWith } from './cri-fs.ts';
import { readCopyTail, ResumeFilter } from './cri-resume.ts';

/** Options of {@link CriCopier}. */
export interface CriCopyOptions {
  /** The kubelet's pod log folder, e.g. `/var/log/pods`. */
  source: string;
  /** The podlog root the copies go to (absolute). */
  dest: string;
  /** JSON file of offsets (e.g. `<stateDir>/retention/cri-offsets.json`); no persistence when unset. */
  stateFile?: string;
  logger: Logger;
  /** Poll interval, ms. */
  pollMs: number;
  /** A copy is rotated (`stdio-N.cri.log.K`, K increasing) once it passes this size, at a line end; bytes. */
  maxFileBytes: number;
  /** Copy only these namespaces; empty: all. */
  namespaces?: readonly string[];
  /** Bytes read per chunk (default 1 MiB). */
  chunkBytes?: number;
  /** Counted per byte copied and per file lost (metrics). */
  onCopied?: (bytes: number) => void;
  onLost?: () => void;
  /** Test seam: called after each chunk is written (source path, offset reached). */
  afterChunk?: (source: string, offset: number) => void | Promise<void>;
  /**
   * Told after each failed pass (the offsets could not be saved, or the copies' disk refused writes: full,
   * read-only) with the error, and once with `undefined` when a pass succeeds again.
   */
  onHealth?: (failure: Error | undefined) => void;
  /** Delays between failed passes (default: from `pollMs` doubling up to a minute, `src/retry/backoff.ts`). */
  backoff?: BackoffParams;
  /** Timers and jitter (default the system clock). */
  clock?: Clock;
}

/** Errors of the disk the copies or the offsets live on: the pass failed, retried with backoff. Others are per stream. */
const DISK_ERRORS = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EIO']);

interface Stream {
  key: string;
  srcDir: string;
  destDir: string;
  podDir: string;
  n: number;
  /** The open current `N.log`, with its identity and the offset copied. */
  fh?: FileHandle;
  dev: number;
  ino: number;
  offset: number;
  /** The first bytes (up to {@link HEAD_BYTES}) of the current file, copied so far: its fingerprint. */
  head: Buffer;
  /** Timestamp part of the newest rotated file known to be copied ('' none). */
  watermark: string;
  /** Inodes drained after a rotation whose rotated name was not listed yet (persisted; recognised once listed). */
  done: Set<number>;
  /** After a restart whose file was compressed meanwhile: decompressed bytes of the next rotated file already copied. */
  skip?: number;
  /** Our copy's size and whether it ends at a line end (rotation happens at line ends only). */
  destSize?: number;
  destAtEol: boolean;
  /** Seen in the last listing. */
  seen: boolean;
  /** Without saved offsets: drops source bytes the copy already holds, until the resume point is passed. */
  resume?: ResumeFilter;
}

interface Persisted {
  version: 1;
  /** `head`: base64 of the file's first bytes (up to 64), telling a reused inode number from the same file. */
  streams: Record<string, { dev: number; ino: number; offset: number; watermark: string; head?: string; done?: number[] }>;
}

const CURRENT = /^(\d+)\.log$/;
/** Bytes of a file's start kept as its fingerprint (inode numbers are reused as soon as a file is deleted). */
const HEAD_BYTES = 64;
const ROTATED = /^(\d+)\.log\.(\d{8}-\d{6})(\.gz)?$/;

/** Incremental copier of kubelet container logs; see the module comment. */
export class CriCopier {
  readonly #o: CriCopyOptions;
  readonly #streams = new Map<string, Stream>();
  #persisted: Persisted['streams'] = {};
  readonly #stopped = new AbortController();
  /** Consecutive failed passes (0: healthy). */
  #failures = 0;
  /** A disk error met by a stream during the current pass. */
  #diskError: Error | undefined;
  #syncing: Promise<void> | undefined;
  #dirty = false;
  #loaded = false;
  #stopping: Promise<void> | undefined;
  /** The source folder, resolved once (openSafe refuses paths reached through links, e.g. a symlinked /var/log). */
  #source = '';
  #warned = false;

  constructor(o: CriCopyOptions) {
    this.#o = o;
  }

  /**
   * Load offsets, copy once, then poll every `pollMs` until `signal` aborts (then drain and close). Never
   * rejects: a failed pass (see {@link CriCopyOptions.onHealth}) is retried with backoff until one succeeds.
   */
  async start(signal: AbortSignal): Promise<void> {
    await this.#pass();
    if (signal.aborted || this.#stopping) return this.stop();
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    void this.#loop(AbortSignal.any([signal, this.#stopped.signal]));
  }

  /** Consecutive failed passes (0 when the last one succeeded). */
  get failures(): number {
    return this.#failures;
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const clock = this.#o.clock ?? systemClock;
    const backoff = this.#o.backoff ?? { initialMs: this.#o.pollMs, maxMs: Math.max(this.#o.pollMs, 60_000) };
    for (;;) {
      const wait = this.#failures > 0 ? backoffDelay(this.#failures, backoff, clock.random()) : this.#o.pollMs;
      if (!(await sleep(clock, wait, signal)) || this.#stopping) return;
      await this.#pass();
    }
  }

  /** One pass; failures are counted, logged and reported, never thrown. */
  async #pass(): Promise<void> {
    try {
      await this.syncOnce();
      if (this.#failures === 0) return;
      this.#failures = 0;
      this.#o.logger.info('cri copy: recovered; offsets saved again');
      this.#o.onHealth?.(undefined);
    } catch (err) {
      if (this.#stopping) return;
      this.#failures++;
      const e = err instanceof Error ? err : new Error(String(err));
      this.#o.logger.warn({ err: e.message, failures: this.#failures }, 'cri copy: pass failed; retrying with backoff');
      this.#o.onHealth?.(e);
    }
  }

  /** Stop polling, close open files and save offsets. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopped.abort();
      await this.#syncing?.catch(() => undefined);
      for (const s of this.#streams.values()) this.#remember(s);
      for (const s of this.#streams.values()) await s.fh?.close().catch(() => undefined);
      this.#streams.clear();
      this.#dirty = true;
      await this.#save().catch((err: unknown) => this.#o.logger.error({ err: String(err) }, 'cri copy: offsets not saved at stop; the next start resumes from the copies'));
    })();
    return this.#stopping;
  }

  /** Copy everything new now (concurrent calls share one run); loads the saved offsets first time. */
  syncOnce(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#syncing ??= this.#sync().finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  /** Streams with an open source file (for tests and status). */
  openCount(): number {
    return [...this.#streams.values()].filter((s) => s.fh).length;
  }

  async #sync(): Promise<void> {
    this.#diskError = undefined;
    if (!this.#loaded) await this.#load();
    if (!this.#source) {
      try {
        this.#source = await realpath(this.#o.source);
      } catch (err) {
        if (!this.#warned) this.#o.logger.warn({ source: this.#o.source, err: String(err) }, 'cri copy: kubelet log folder not readable yet; retrying every poll');
        this.#warned = true;
        return;
      }
    }
    for (const s of this.#streams.values()) s.seen = false;
    const wanted = this.#o.namespaces?.length ? new Set(this.#o.namespaces) : undefined;
    for (const pod of await dirs(this.#source)) {
      const parsed = parsePodDirName(pod);
      if (!parsed || (wanted && !wanted.has(parsed.namespace))) continue;
      for (const container of await dirs(join(this.#source, pod))) {
        if (!isContainerName(container)) continue;
        const srcDir = join(this.#source, pod, container);
        const byN = new Map<number, { current: boolean; rotated: { name: string; ts: string; gz: boolean }[] }>();
        for (const e of await readdir(srcDir, { withFileTypes: true }).catch(() => [])) {
          if (!e.isFile()) continue;
          const c = CURRENT.exec(e.name);
          const r = c ? undefined : ROTATED.exec(e.name);
          const n = Number((c ?? r)?.[1] ?? NaN);
          if (!Number.isSafeInteger(n)) continue;
          const entry = byN.get(n) ?? { current: false, rotated: [] };
          byN.set(n, entry);
          if (c) entry.current = true;
          else entry.rotated.push({ name: e.name, ts: r![2]!, gz: !!r![3] });
        }
        for (const [n, files] of byN) {
          const key = `${pod}/${container}/${n}`;
          let s = this.#streams.get(key);
          if (!s) {
            const p = this.#persisted[key];
            s = { key, srcDir, destDir: join(this.#o.dest, pod, container), podDir: join(this.#o.dest, pod), n, dev: p?.dev ?? 0, ino: p?.ino ?? 0,
              offset: p?.offset ?? 0, head: Buffer.from(p?.head ?? '', 'base64'), watermark: p?.watermark ?? '', done: new Set(p?.done ?? []), destAtEol: true, seen: true };
            if (!p) {
              try {
                const tail = await readCopyTail(this.#o.dest, await copyFilesNewestFirst(s.destDir, n));
                if (tail) s.resume = new ResumeFilter(tail);
              } catch (err) {
                this.#o.logger.warn({ stream: key, err: String(err) }, 'cri copy: cannot read the copy to resume from; retrying next poll');
                continue;
              }
            }
            this.#streams.set(key, s);
          }
          s.seen = true;
          const rotated = files.rotated.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : Number(a.gz) - Number(b.gz)));
          try {
            await this.#syncStream(s, files.current, rotated);
          } catch (err) {
            if (DISK_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) this.#diskError ??= err as Error;
            this.#o.logger.warn({ stream: key, err: String(err) }, 'cri copy: stream failed; retrying next poll');
          }
        }
      }
    }
    for (const s of [...this.#streams.values()]) {
      if (s.seen) continue;
      // The kubelet removed the file or the whole pod folder: copy what the open descriptor still holds, then forget.
      if (s.fh) await this.#drain(s).catch((err) => this.#o.logger.warn({ stream: s.key, err: String(err) }, 'cri copy: final copy failed'));
      else if (s.offset === 0 && s.ino === 0) this.#o.onLost?.();
      this.#streams.delete(s.key);
      delete this.#persisted[s.key];
      this.#dirty = true;
    }
    await this.#save();
    if (this.#diskError) throw this.#diskError;
  }

  async #syncStream(s: Stream, hasCurrent: boolean, rotated: { name: string; ts: string; gz: boolean }[]): Promise<void> {
    const curPath = join(s.srcDir, `${s.n}.log`);
    const cur = hasCurrent ? await lstat(curPath).catch(() => undefined) : undefined;
    const rotatedAway = s.fh !== undefined && (!cur || cur.ino !== s.ino || cur.dev !== s.dev);
    if (rotatedAway) await this.#drain(s);
    // Rotated files: ours (by inode) move the watermark; newer ones were never copied.
    const wasOurs = async (st: { ino: number; dev: number } | undefined, path: string) =>
      s.ino !== 0 && st?.ino === s.ino && st.dev === s.dev && (await startsWith(path, this.#source, s.head));
    let resumeFound = s.fh === undefined && (await wasOurs(cur, curPath));
    for (const r of rotated) {
      if (r.ts <= s.watermark) continue;
      const path = join(s.srcDir, r.name);
      const st = r.gz ? undefined : await lstat(path).catch(() => undefined);
      if (st && (s.done.has(st.ino) || (rotatedAway && st.ino === s.ino))) {
        s.watermark = r.ts; // from now on the watermark covers it
        s.done.delete(st.ino);
        this.#dirty = true;
        continue;
      }
      if (rotated.some((o) => o.ts === r.ts && !o.gz && o !== r)) continue; // `.gz` being written beside the original
      let from = 0;
      if (st && !resumeFound && s.fh === undefined && (await wasOurs(st, path))) {
        from = s.offset; // restart: our last file was rotated while we were down
        resumeFound = true;
      } else if (r.gz && s.skip === undefined && !resumeFound && s.fh === undefined && s.ino !== 0 && s.offset > 0) {
        s.skip = s.offset; // restart: our last file was rotated and compressed while we were down
        resumeFound = true;
      }
      await this.#copyWhole(s, path, r.gz, from);
      s.watermark = r.ts;
      this.#dirty = true;
    }
    if (!cur?.isFile()) return;
    if (!s.fh) {
      try {
        const f = await openSafe(this.#source, curPath);
        const resume = resumeFound && f.stat.ino === s.ino && f.stat.dev === s.dev && s.offset <= f.stat.size;
        s.fh = f.handle;
        if (!resume) {
          s.offset = 0;
          s.head = Buffer.alloc(0);
        }
        s.dev = f.stat.dev;
        s.ino = f.stat.ino;
        this.#dirty = true;
      } catch (err) {
        this.#o.logger.debug({ path: curPath, err: String(err) }, 'cri copy: cannot open');
        return;
      }
    }
    const size = (await s.fh.stat()).size;
    if (size < s.offset) {
      s.offset = 0; // truncated in place
      s.head = Buffer.alloc(0);
    }
    await this.#copyFrom(s, s.fh, curPath);
  }

  /** Copy the rest of the open descriptor (rotated or deleted source), then close it and remember its inode. */
  async #drain(s: Stream): Promise<void> {
    const fh = s.fh!;
    try {
      await this.#copyFrom(s, fh, join(s.srcDir, `${s.n}.log`));
    } finally {
      await fh.close().catch(() => undefined);
      s.fh = undefined;
      s.done.add(s.ino);
      s.offset = 0;
      s.head = Buffer.alloc(0);
      this.#dirty = true;
    }
  }

  /** Append `fh` from `s.offset` to its current end. */
  async #copyFrom(s: Stream, fh: FileHandle, srcPath: string): Promise<void> {
    const buf = Buffer.allocUnsafe(this.#o.chunkBytes ?? 1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, s.offset);
      if (bytesRead === 0) return;
      const data = buf.subarray(0, bytesRead);
      await this.#emit(s, data);
      if (s.offset < HEAD_BYTES && s.head.length === s.offset) s.head = Buffer.concat([s.head, data.subarray(0, HEAD_BYTES - s.offset)]);
      s.offset += bytesRead;
      this.#dirty = true;
      await this.#o.afterChunk?.(srcPath, s.offset);
    }
  }

  /** Copy a whole rotated file (decompressing `.gz`), from byte `from` of its (decompressed) content. */
  async #copyWhole(s: Stream, path: string, gz: boolean, from: number): Promise<void> {
    let f;
    try {
      f = await openSafe(this.#source, path);
    } catch {
      return; // removed meanwhile
    }
    try {
      let skip = gz ? (s.skip ?? 0) : from;
      const expect = gz && skip > 0 ? s.head : undefined; // the skipped prefix must be the file we had copied
      s.skip = undefined;
      const raw = f.handle.createReadStream({ start: 0, autoClose: false });
      const input = gz ? raw.pipe(createGunzip()) : raw;
      let prefix: Buffer[] | undefined = expect ? [] : undefined;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        let c: Buffer = chunk;
        if (prefix) {
          prefix.push(c);
          const got = Buffer.concat(prefix);
          if (got.length < expect!.length) continue;
          prefix = undefined;
          c = got;
          if (!got.subarray(0, expect!.length).equals(expect!)) skip = 0;
        }
        if (skip > 0) {
          const n = Math.min(skip, c.length);
          skip -= n;
          c = c.subarray(n);
          if (c.length === 0) continue;
        }
        await this.#emit(s, c);
      }
    } catch (err) {
      this.#o.logger.warn({ path, err: String(err) }, 'cri copy: rotated file unreadable, skipped');
    } finally {
      await f.handle.close().catch(() => undefined);
    }
  }

  /** Append the source bytes the copy does not hold yet (see {@link Stream.resume}). */
  async #emit(s: Stream, data: Buffer): Promise<void> {
    if (!s.resume) return this.#append(s, data);
    const rest = s.resume.push(data);
    if (s.resume.done) s.resume = undefined;
    if (rest.length) await this.#append(s, rest);
  }

  /** Append bytes to the copy, creating folders as real directories and rotating the copy past maxFileBytes. */
  async #append(s: Stream, data: Buffer, retry = true): Promise<void> {
    const dest = join(s.destDir, criCopyName(s.n));
    if (s.destSize === undefined) {
      await realDir(s.podDir);
      await realDir(s.destDir);
      const st = await lstatSafe(this.#o.dest, dest);
      s.destSize = st?.isFile() ? st.size : 0;
    }
    if (s.destSize >= this.#o.maxFileBytes && s.destAtEol) {
      const k = await nextRotation(s.destDir, s.n);
      await renameSafe(this.#o.dest, s.destDir, criCopyName(s.n), `${criCopyName(s.n)}.${k}`).catch(() => undefined);
      s.destSize = 0;
    }
    let fh: FileHandle;
    try {
      fh = await openAppendSafe(this.#o.dest, dest, 0o640);
    } catch (err) {
      s.destSize = undefined;
      // The folder was removed (retention evicted the pod folder): recreate it once.
      if (retry && (err as NodeJS.ErrnoException).code === 'PODLOG_E_NOT_FOUND') return this.#append(s, data, false);
      throw err;
    }
    try {
      if (!(await fh.stat()).isFile()) throw new Error(`${dest} is not a regular file`);
      await fh.write(data);
    } finally {
      await fh.close();
    }
    s.destSize += data.length;
    s.destAtEol = data[data.length - 1] === 0x0a;
    this.#o.onCopied?.(data.length);
  }

  #remember(s: Stream): void {
    if (s.resume) return; // still looking for the copy's end: offsets saved now could skip bytes held back
    this.#persisted[s.key] = { dev: s.dev, ino: s.ino, offset: s.offset, watermark: s.watermark, head: s.head.toString('base64'), done: [...s.done].slice(-16) };
  }

  async #load(): Promise<void> {
    this.#loaded = true;
    if (!this.#o.stateFile) return;
    try {
      const p = JSON.parse(await readFile(this.#o.stateFile, 'utf8')) as Persisted;
      if (p.version === 1 && p.streams && typeof p.streams === 'object') this.#persisted = p.streams;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#o.logger.warn({ file: this.#o.stateFile, err: String(err) }, 'cri copy: offsets unreadable; resuming each copy after its last record');
    }
  }

  /** @throws Error naming the state file and the fix when it cannot be written (the next pass tries again) */
  async #save(): Promise<void> {
    if (!this.#o.stateFile || !this.#dirty) return;
    for (const s of this.#streams.values()) this.#remember(s);
    const data: Persisted = { version: 1, streams: this.#persisted };
    try {
      await mkdir(join(this.#o.stateFile, '..'), { recursive: true, mode: 0o700 });
      await writeAtomic(this.#o.stateFile, JSON.stringify(data));
      this.#dirty = false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw Object.assign(new Error(`cannot save the copy offsets to ${this.#o.stateFile} (${code}); copying goes on and saving is retried: make that path a writable file on a disk with free space`, { cause: err }), { code });
    }
  }
}
