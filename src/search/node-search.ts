import type { Logger } from 'pino';
import { PodlogError, isPodlogError } from '../errors.ts';
import { openReader } from '../logfile/reader.ts';
import { isGzipName } from '../logfile/gzip.ts';
import { searchFile, type Matcher } from '../logfile/search.ts';
import type { Catalog } from '../store/catalog.ts';
import { openSafe } from '../store/safe-open.ts';
import type { ContainerEntry, FileEntry, PodEntry } from '../store/types.ts';
import type { NdjsonSink } from './ndjson-sink.ts';
import { RING_BYTES, type JobHandle, type SearchPool } from './pool.ts';

/** Which files a search covers; every field narrows, none means the whole node. */
export interface SearchScope {
  namespace?: string;
  pod?: string;
  uid?: string;
  container?: string;
  file?: string;
  /** Keep only pods for which this returns true (e.g. a job filter). */
  podFilter?: (pod: PodEntry) => boolean;
}

/** One match, as `/api/v1/search` streams it (snake_case per the API contract). */
export interface SearchHit {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  file: string;
  /** Byte offset of the line's first byte in that file (decompressed for `.gz`). */
  offset: number;
  /** 1-based line number. */
  line_number: number;
  line: string;
  truncated?: boolean;
}

/** How a search ended: all files read, or which bound stopped it. */
export type SearchOutcome = 'done' | 'limit' | 'budget' | 'deadline' | 'aborted';

/** Summary after the last hit. */
export interface SearchSummary {
  done: true;
  stopped_by: SearchOutcome;
  bytes_scanned: number;
  files_searched: number;
  /** Files skipped, by reason (binary, vanished, not regular). */
  files_skipped: number;
  matches: number;
}

/** Search bounds. */
export interface SearchLimits {
  /** Most matches returned. */
  limit: number;
  /** Most bytes read across all files, bytes. */
  byteBudget: number;
  /** Wall-clock deadline, ms since the epoch. */
  deadline: number;
}

/**
 * The files a scope covers, in the order a user wants hits: most recently active pods first, and in
 * each container the live file first, then rotated files newest first by mtime (log4j's default
 * numbering makes `.1` the oldest, logrotate's the newest, so names cannot tell).
 */
export function filesInScope(catalog: Catalog, scope: SearchScope): { pod: PodEntry; container: ContainerEntry; file: FileEntry }[] {
  const out: { pod: PodEntry; container: ContainerEntry; file: FileEntry }[] = [];
  const pods = catalog
    .pods()
    .filter((p) => (!scope.namespace || p.namespace === scope.namespace) && (!scope.pod || p.name === scope.pod) && (!scope.uid || p.uid === scope.uid))
    .filter((p) => !scope.podFilter || scope.podFilter(p))
    .sort((a, b) => b.lastActivityMs - a.lastActivityMs);
  for (const pod of pods) {
    for (const container of [...pod.containers.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (scope.container && container.name !== scope.container) continue;
      const files = [...container.files.values()]
        .filter((f) => !scope.file || f.name === scope.file)
        .sort((a, b) => Number(b.live) - Number(a.live) || b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name));
      for (const file of files) out.push({ pod, container, file });
    }
  }
  return out;
}

/**
 * Search every file of a scope, sequentially, calling `onHit` as matches are found; a promise from
 * `onHit` pauses the search until it settles (false: stop).
 * Files that are binary, not regular or vanished are skipped (counted), never fatal.
 * @param signal aborts the search (client gone)
 * @returns the summary; `stopped_by` tells which bound ended it
 */
export async function searchNode(
  catalog: Catalog,
  scope: SearchScope,
  matcher: Matcher,
  limits: SearchLimits,
  onHit: (hit: SearchHit) => boolean | void | Promise<boolean | void>,
  signal: AbortSignal,
  logger: Logger,
): Promise<SearchSummary> {
  const summary: SearchSummary = { done: true, stopped_by: 'done', bytes_scanned: 0, files_searched: 0, files_skipped: 0, matches: 0 };
  const budget = { remaining: limits.byteBudget };
  for (const { pod, container, file } of filesInScope(catalog, scope)) {
    if (signal.aborted) return { ...summary, stopped_by: 'aborted' };
    let safe;
    try {
      safe = await openSafe(pod.root, file.path);
    } catch (e) {
      if (!isPodlogError(e)) logger.warn({ err: e, path: file.path }, 'search could not open a file');
      summary.files_skipped++;
      continue;
    }
    try {
      const reader = openReader(safe, file.name);
      const res = await searchFile(reader.searchSource(), matcher, {
        signal,
        byteBudget: budget,
        deadline: limits.deadline,
        onMatch: (m) => {
          summary.matches++;
          const more = onHit({ namespace: pod.namespace, pod: pod.name, uid: pod.uid, container: container.name, file: file.name, offset: m.offset, line_number: m.lineNumber, line: m.line, ...(m.truncated ? { truncated: true } : {}) });
          if (summary.matches >= limits.limit) return false;
          return more;
        },
      });
      summary.files_searched++;
      summary.bytes_scanned += res.bytesScanned;
      if (res.stoppedBy) return { ...summary, stopped_by: res.stoppedBy };
    } catch (e) {
      // one bad file (binary, vanished, a corrupt or oversized .gz) is skipped; the search goes on
      if (!isPodlogError(e)) logger.warn({ err: e, path: file.path }, 'search failed on a file');
      summary.files_skipped++;
    } finally {
      await safe.handle.close();
    }
  }
  return summary;
}

/** Guard for `q`: non-empty and at most 1,000 characters. @throws PodlogError `PODLOG_E_BAD_PARAM` */
export function checkQuery(q: string | undefined): string {
  if (!q) throw new PodlogError('PODLOG_E_BAD_PARAM', 'q (the text or pattern to search for) is required');
  if (q.length > 1000) throw new PodlogError('PODLOG_E_BAD_PARAM', 'q must be at most 1000 characters');
  return q;
}

/** The query as workers compile it again (a compiled matcher cannot cross threads). */
export interface QuerySpec {
  q: string;
  regex: boolean;
  /** Case-insensitive. */
  ci: boolean;
}

/** The first `n` lines of NDJSON `data` (each ending in a newline). */
function firstLines(data: Buffer, n: number): Buffer {
  let at = -1;
  for (let i = 0; i < n; i++) at = data.indexOf(10, at + 1);
  return data.subarray(0, at + 1);
}

/**
 * {@link searchNode} on worker threads: the files of the scope are opened here (through `openSafe`)
 * and scanned by `pool`, up to `pool.size` files ahead of the one being written out, so hits still
 * come in file order. Hits arrive as NDJSON batches and go to `sink` as they are; a job pauses while
 * the client does not read (see pool.ts for the per-job bound). Same summary and bounds as
 * {@link searchNode}; a file scanned ahead but never reached (limit, budget) counts neither as
 * searched nor its bytes as scanned.
 */
export async function searchNodeInWorkers(
  catalog: Catalog,
  scope: SearchScope,
  query: QuerySpec,
  limits: SearchLimits,
  sink: NdjsonSink,
  signal: AbortSignal,
  logger: Logger,
  pool: SearchPool,
): Promise<SearchSummary> {
  const summary: SearchSummary = { done: true, stopped_by: 'done', bytes_scanned: 0, files_searched: 0, files_skipped: 0, matches: 0 };
  const units = workUnits(filesInScope(catalog, scope), pool.size);
  const budget = new SharedArrayBuffer(8);
  new BigInt64Array(budget)[0] = BigInt(Math.min(limits.byteBudget, Number.MAX_SAFE_INTEGER));
  const live = new Set<JobHandle>();
  const abortAll = () => {
    for (const j of live) j.abort();
  };
  signal.addEventListener('abort', abortAll, { once: true });

  type Started = { job: JobHandle; unit: WorkUnit; ring: SharedArrayBuffer } | { job?: undefined; unit: WorkUnit };
  const launch = async (unit: WorkUnit): Promise<Started> => {
    const { pod, container, file } = unit.file;
    let safe;
    try {
      safe = await openSafe(pod.root, file.path);
    } catch (e) {
      if (!isPodlogError(e)) logger.warn({ err: e, path: file.path }, 'search could not open a file');
      return { unit };
    }
    // the parts of one file are opened one by one: each must be the file the catalog saw (not one rotated in meanwhile)
    if (signal.aborted || (unit.parts > 1 && (safe.stat.ino !== file.ino || safe.stat.dev !== file.dev))) {
      await safe.handle.close();
      return { unit };
    }
    const prefix = JSON.stringify({ namespace: pod.namespace, pod: pod.name, uid: pod.uid, container: container.name, file: file.name }).slice(0, -1) + ',';
    const ring = takeRing();
    const job = pool.start({
      ring,
      handle: safe.handle,
      size: safe.stat.size,
      name: file.name,
      query,
      prefix,
      limit: Math.max(1, limits.limit - summary.matches),
      deadline: limits.deadline,
      budget,
      ...(unit.range ? { range: unit.range } : {}),
      ...(unit.part === 0 ? { lineBase: 0 } : {}),
    });
    live.add(job);
    return { job, unit, ring };
  };

  const ahead: Promise<Started>[] = [];
  let next = 0;
  let stop: SearchOutcome | undefined;
  let lineBase = 0; // lines before the next part of a split file
  let brokenFile = false; // a part of the current split file failed: skip its other parts
  try {
    while (!stop && (next < units.length || ahead.length > 0)) {
      // small files: more in flight, so opening and reading overlap scanning (their buffers are small)
      const depth = () => (units[next]!.file.file.size < SMALL_FILE_BYTES ? 2 * pool.size + 1 : pool.size + 1);
      while (next < units.length && ahead.length < depth()) ahead.push(launch(units[next++]!));
      const started = await ahead.shift()!;
      const { unit } = started;
      if (unit.part === 0) brokenFile = false;
      const lastPart = unit.part === unit.parts - 1;
      if (!started.job || brokenFile) {
        started.job?.abort();
        if (started.job) {
          await drain(started.job);
          giveRing(started.ring);
        }
        if (!brokenFile) summary.files_skipped++;
        brokenFile = unit.parts > 1;
        if (signal.aborted) stop = 'aborted';
        continue;
      }
      const { job, ring } = started;
      if (unit.part > 0) job.setLineBase(lineBase);
      // the ring goes back to the free list once the job has ended and every batch read from it is written out
      let unwritten = 0;
      let ended = false;
      const reuseRing = () => {
        if (ended && unwritten === 0) giveRing(ring);
      };
      for (;;) {
        const m = await job.next();
        if (m.type === 'hits') {
          if (stop) continue; // aborted: its remaining batches are dropped
          const room = limits.limit - summary.matches;
          const data = m.data ? Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength) : Buffer.from(ring, m.at, m.len);
          summary.matches += Math.min(m.count, room);
          const credit = m.credit;
          unwritten++;
          const more = await sink.pushBytes(m.count > room ? firstLines(data, room) : data, () => {
            job.credit(credit);
            unwritten--;
            reuseRing();
          });
          if (!more || signal.aborted) stop = 'aborted';
          else if (summary.matches >= limits.limit) stop = 'limit';
          if (stop) job.abort();
          continue;
        }
        live.delete(job);
        if (m.error) {
          if (!m.error.code) logger.warn({ err: m.error.message, path: unit.file.file.path }, 'search failed on a file');
          summary.files_skipped++;
          brokenFile = unit.parts > 1;
        } else {
          if (lastPart) summary.files_searched++;
          summary.bytes_scanned += m.bytesScanned;
          lineBase = lastPart ? 0 : lineBase + m.newlines;
          if (!stop && m.stoppedBy) stop = m.stoppedBy;
        }
        ended = true;
        reuseRing();
        break;
      }
      if (!stop && signal.aborted) stop = 'aborted';
    }
  } finally {
    signal.removeEventListener('abort', abortAll);
    // jobs started ahead and not reached: stop them and wait for their ends (their workers close the files)
    const rest = await Promise.all(ahead);
    for (const r of rest) r.job?.abort();
    for (const r of rest) {
      if (!r.job) continue;
      await drain(r.job);
      live.delete(r.job);
      giveRing(r.ring);
    }
  }
  return stop ? { ...summary, stopped_by: stop } : summary;
}

/**
 * Rings of ended jobs, for the next jobs. A SharedArrayBuffer's memory is freed only once every thread that
 * received it has collected it, which an idle worker may not do for a long time: a fresh ring per file grew
 * RSS by ~500 MB per search of 2,000 files. Rings in use are bounded by the jobs in flight.
 */
const freeRings: SharedArrayBuffer[] = [];
/** Most free rings kept (× {@link RING_BYTES}). */
const MAX_FREE_RINGS = 32;

let ringsAllocated = 0;

/** Rings allocated since start (each {@link RING_BYTES}); bounded by the jobs ever in flight at once, not by files searched. */
export function searchRingsAllocated(): number {
  return ringsAllocated;
}

function takeRing(): SharedArrayBuffer {
  const ring = freeRings.pop();
  if (ring) return ring;
  ringsAllocated++;
  return new SharedArrayBuffer(RING_BYTES);
}

function giveRing(ring: SharedArrayBuffer): void {
  if (freeRings.length < MAX_FREE_RINGS && !freeRings.includes(ring)) freeRings.push(ring);
}

/** Read a job's messages up to its end (after an abort). */
async function drain(job: JobHandle): Promise<void> {
  while ((await job.next()).type !== 'end');
}

/** Files below this size are scanned two per worker at once, bytes. */
const SMALL_FILE_BYTES = 1024 * 1024;

/** Plain files at least this big are scanned in parts, one per worker, bytes. */
export const SPLIT_BYTES = 32 * 1024 * 1024;

/** A file, or one part of a big plain file, as one worker job. */
interface WorkUnit {
  file: ReturnType<typeof filesInScope>[number];
  part: number;
  parts: number;
  /** Nominal byte bounds of the part (the worker moves them to line starts); the last ends at the file's end. */
  range?: { start: number; end: number };
}

/** Files in order, big plain files cut into `ways` parts (bounds from the catalog's size, so every part agrees on them). */
function workUnits(files: ReturnType<typeof filesInScope>, ways: number): WorkUnit[] {
  const out: WorkUnit[] = [];
  for (const f of files) {
    const size = f.file.size;
    if (ways < 2 || size < SPLIT_BYTES || isGzipName(f.file.name)) {
      out.push({ file: f, part: 0, parts: 1 });
      continue;
    }
    for (let i = 0; i < ways; i++) {
      out.push({ file: f, part: i, parts: ways, range: { start: Math.floor((size * i) / ways), end: i === ways - 1 ? Infinity : Math.floor((size * (i + 1)) / ways) } });
    }
  }
  return out;
}
