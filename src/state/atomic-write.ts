/**
 * The one way the agent writes its state files: write-file-atomic (a unique temp file beside the target,
 * fsync, rename over it, the temp file removed on failure or exit), then an fsync of the folder so the
 * rename itself survives a power loss. A crash leaves the old file or the new one, never a mix.
 */
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** Options of {@link writeAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o600: state is the agent's alone). */
  mode?: number;
  /** fsync the folder after the rename (default true); callers writing many files pass false and call {@link syncDirectory} once. */
  syncDir?: boolean;
}

/**
 * Replace `file` with `data` atomically and durably.
 * @throws the file system's error (ENOSPC, EROFS, EACCES, EISDIR when `file` is a folder…); `file` is then unchanged
 */
export async function writeAtomic(file: string, data: string | Buffer, opts: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(file, data, { mode: opts.mode ?? 0o600, fsync: true });
  if (opts.syncDir ?? true) await syncDirectory(dirname(file));
}

/** fsync a folder, so the renames and unlinks done in it are on disk. @throws the file system's error */
export async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
