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

/** Feeds every line of a byte stream to the scanner; offsets start at 0. */
export async function scanStream(stream: Readable, name: string, scanner: JobLogScanner): Promise<void> {
  const splitter = new LineSplitter({ offset: 0, lineNumber: 1, maxLineBytes: SCAN_LINE_BYTES });
  for await (const chunk of stream) {
    splitter.push(chunk as Buffer, (l) => {
      scanner.feed(l.text, { file: name, offset: l.offset, ...(l.lineNumber !== undefined ? { line: l.lineNumber } : {}) });
    });
  }
  const last = splitter.peekPartial();
  if (last) scanner.feed(last.text, { file: name, offset: last.offset, ...(last.lineNumber !== undefined ? { line: last.lineNumber } : {}) });
}

/**
 * Scans JobManager log files in the order given.
 * @throws PodlogError from `openSafe` (`PODLOG_E_NOT_REGULAR`, `PODLOG_E_NOT_FOUND`, `PODLOG_E_BAD_PATH`) or the
 *   readers (`PODLOG_E_BINARY`); a file that vanished between listing and reading is skipped
 */
export async function scanJobManagerFiles(files: ScanFile[], scanner = new JobLogScanner()): Promise<JobLogSummary> {
  for (const f of files) {
    let safe;
    try {
      safe = await openSafe(f.root, f.path);
    } catch (e) {
      if ((e as { code?: string }).code === 'PODLOG_E_NOT_FOUND') continue;
      throw e;
    }
    try {
      await scanStream(openReader(safe, f.name).range(0), f.name, scanner);
    } finally {
      await safe.handle.close();
    }
  }
  return scanner.summary();
}
