import { constants, type Stats } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PodlogError } from '../errors.ts';
import { assertInside } from './paths.ts';

/** An open regular file and the stat taken on the open descriptor (not the path). */
export interface SafeFile {
  readonly handle: FileHandle;
  readonly stat: Stats;
  /** Absolute path that was opened. */
  readonly path: string;
}

/**
 * Open a file under `root` for reading without ever following a symlink or blocking:
 * `O_RDONLY | O_NOFOLLOW | O_NONBLOCK`, then `fstat` on the descriptor must show a regular file.
 * A FIFO opened with `O_NONBLOCK` returns at once and is rejected by the fstat check, so a pod's
 * FIFO can never block the agent. `O_NOFOLLOW` only guards the last component; the folders above
 * are checked by the caller's catalog (which only admits real directories) and by {@link assertInside}.
 *
 * @param root absolute root the file must live under
 * @param path absolute path of the file
 * @throws PodlogError `PODLOG_E_BAD_PATH` when `path` is outside `root`;
 *   `PODLOG_E_NOT_REGULAR` for a symlink, FIFO, socket, device or directory;
 *   `PODLOG_E_NOT_FOUND` when it does not exist.
 */
export async function openSafe(root: string, path: string): Promise<SafeFile> {
  assertInside(root, path);
  const dir = dirname(path);
  const realDir = await realpath(dir).catch(() => {
    throw new PodlogError('PODLOG_E_NOT_FOUND', `no such folder: ${dir}`);
  });
  if (realDir !== dir) throw new PodlogError('PODLOG_E_NOT_REGULAR', `the folder of ${path} is reached through a link; podlog does not follow links`);
  assertInside(root, realDir);
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PodlogError('PODLOG_E_NOT_FOUND', `no such file: ${path}`);
    if (code === 'ELOOP' || code === 'ENXIO' || code === 'EISDIR') {
      throw new PodlogError('PODLOG_E_NOT_REGULAR', `not a regular file (podlog does not follow links or open FIFOs): ${path}`);
    }
    throw e;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new PodlogError('PODLOG_E_NOT_REGULAR', `not a regular file: ${path}`);
    }
    return { handle, stat, path };
  } catch (e) {
    await handle.close();
    throw e;
  }
}
