/**
 * Streams a JobManager's log files through a {@link JobLogScanner}: each file opened only through
 * `openSafe` (pod files are untrusted), read with the store's readers (`.gz` decompressed), split into lines
 * with bounded memory (lines cut at {@link SCAN_LINE_BYTES}). Files are read oldest first: by mtime, as
 * Flink's log4j numbering makes `.1` the oldest and logrotate's makes it the newest.
 */
import type { Readable } from 'node:stream';
import { LineSplitter } from '../logfile/line.ts';
import { openReader } from '../logfile/reader.ts';
import { openSafe } from '../store/safe-open.ts';
import type { ContainerEntry, FileEntry, PodEntry } from '../store/types.ts';
import { JobLogScanner, type JobLogSummary } from './job-log.ts';

/** Longest line kept while scanning, bytes (the rest of a longer line is skipped unbuffered). */
export const SCAN_LINE_BYTES = 16 * 1024;

/** A log file to scan: the root it lives under, its absolute path, and the name to report offsets against. */
export interface ScanFile {
  root: string;
  path: string;
  name: string;
}

/** True for a JobManager log file name: `jobmanager.log`, rotated `jobmanager.log.3`, `.gz`, or Flink's `flink-*-standalonesession-*.log`. */
export function isJobManagerLogName(name: string): boolean {
  return /^(?:jobmanager|flink-.*-(?:standalonesession|kubernetes-session|kubernetes-application|standalonejob)-.*)\.log(?:\.\d+)?(?:\.gz)?$/.test(name);
}

/** Mtimes closer than this (ms) say nothing about which rotated file is older. */
export const SAME_TIME_MS = 2000;

/** Rotation number of a file name (`jobmanager.log.3.gz` → 3), Infinity for the live file (newest). */
function rotation(name: string): number {
  const m = /\.log\.(\d+)(?:\.gz)?$/.exec(name);
  return m ? Number(m[1]) : Infinity;
}

/**
 * The JobManager log files of a pod's containers, oldest first: by mtime; mtimes closer than
 * {@link SAME_TIME_MS} (a copied or checked-out tree) by Flink's numbering (`.1` oldest, the live file last).
 */
export function jobManagerFiles(pod: PodEntry): ScanFile[] {
  const files: { f: FileEntry; c: ContainerEntry }[] = [];
  for (const c of pod.containers.values()) for (const f of c.files.values()) if (isJobManagerLogName(f.name)) files.push({ f, c });
  files.sort((a, b) => (Math.abs(a.f.mtimeMs - b.f.mtimeMs) >= SAME_TIME_MS ? a.f.mtimeMs - b.f.mtimeMs : 0) || rotation(a.f.name) - rotation(b.f.name) || a.f.name.localeCompare(b.f.name));
  return files.map(({ f }) => ({ root: pod.root, path: f.path, name: f.name }));
}

/** Where a scan of a file stopped: the first byte not consumed and that line's number. */
export interface ScanEnd {
  offset: number;
  line: number;
}

/**
 * Feeds every line of a byte stream to the scanner.
 * @param from where the stream starts in the file (default the beginning, line 1)
 * @param partial feed a last line without newline too (default true); false leaves it for a later read
 * @returns where the scan stopped (with `partial: false`, the start of the unfinished line)
 */
export async function scanStream(stream: Readable, name: string, scanner: JobLogScanner, from: ScanEnd = { offset: 0, line: 1 }, partial = true): Promise<ScanEnd> {
  const splitter = new LineSplitter({ offset: from.offset, lineNumber: from.line, maxLineBytes: SCAN_LINE_BYTES });
  for await (const chunk of stream) {
    splitter.push(chunk as Buffer, (l) => {
      scanner.feed(l.text, { file: name, offset: l.offset, ...(l.lineNumber !== undefined ? { line: l.lineNumber } : {}) });
    });
  }
  const last = splitter.peekPartial();
  if (last && partial) {
    scanner.feed(last.text, { file: name, offset: last.offset, ...(last.lineNumber !== undefined ? { line: last.lineNumber } : {}) });
    return { offset: splitter.position, line: (splitter.nextLineNumber ?? 1) + 1 };
  }
  return { offset: splitter.pendingStart, line: splitter.nextLineNumber ?? 1 };
}

/**
 * Scans JobManager log files in the order given.
 * @throws PodlogError from `openSafe` (`PODLOG_E_NOT_REGULAR`, `PODLOG_E_NOT_FOUND`, `PODLOG_E_BAD_PATH`) or the
 *   readers (`PODLOG_E_BINARY`); a file that vanished between listing and reading is skipped
 */
export async function scanJobManagerFiles(files: ScanFile[], scanner = new JobLogScanner()): Promise<JobLogSummary> {
  for (const f of files) await scanFile(f, scanner);
  return scanner.summary();
}

/**
 * Scans one file from `from` (default its beginning) into the scanner.
 * @param partial see {@link scanStream}
 * @returns where the scan stopped, or undefined when the file vanished
 * @throws PodlogError as {@link scanJobManagerFiles}
 */
export async function scanFile(f: ScanFile, scanner: JobLogScanner, from?: ScanEnd, partial = true): Promise<ScanEnd | undefined> {
  let safe;
  try {
    safe = await openSafe(f.root, f.path);
  } catch (e) {
    if ((e as { code?: string }).code === 'PODLOG_E_NOT_FOUND') return undefined;
    throw e;
  }
  try {
    return await scanStream(openReader(safe, f.name).range(from?.offset ?? 0), f.name, scanner, from, partial);
  } finally {
    await safe.handle.close();
  }
}
