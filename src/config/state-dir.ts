/**
 * Checks of the agent's own state directory (`stateDir`): each unit checks the folders and files it keeps
 * there before using them, so a path it cannot use (a file where a folder belongs, a folder where a file
 * belongs, no write permission, a read-only disk) stops it with one line naming the path and the fix,
 * not with a stack trace.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PodlogError } from '../errors.ts';

/**
 * A state path a unit cannot use (`PODLOG_E_CONFIG`). The message is one line: what the path holds,
 * what is wrong and how to fix it. `main.ts` turns it into a disabled part (shown on `/readyz`) or, for
 * the state directory itself, a start-up error.
 */
export class StateUnusable extends PodlogError {
  /** The unusable path (inside the agent's state directory, not a pod's). */
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super('PODLOG_E_CONFIG', message, { cause });
    this.name = 'StateUnusable';
    this.path = path;
  }
}

/** True when `e` is a {@link StateUnusable}. */
export function isStateUnusable(e: unknown): e is StateUnusable {
  return e instanceof StateUnusable;
}

function why(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EROFS') return 'is on a read-only file system';
  if (code === 'EACCES' || code === 'EPERM') return 'is not writable by the agent';
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'is on a full disk';
  if (code === 'ENOTDIR') return 'lies under a file where a folder should be';
  return `cannot be used (${code ?? String(err)})`;
}

/**
 * Make sure `path` is a folder the agent can write (created, with its parents, when missing).
 * @param what what the folder holds, e.g. `pod records`
 * @param mode permission bits of a folder created here (default owner rwx, group rx)
 * @throws StateUnusable when it is something else, or cannot be created or written
 */
export async function usableStateDir(path: string, what: string, mode = 0o750): Promise<void> {
  // stat, not lstat: the state directory is the operator's (a link to another disk is fine), never a pod's
  const st = await stat(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err))).catch((err) => {
    throw new StateUnusable(path, `the ${what} folder ${path} ${why(err)}: fix it or point --state-dir elsewhere`, err);
  });
  if (st && !st.isDirectory()) {
    throw new StateUnusable(path, `the ${what} folder ${path} is not a folder: remove or rename it and podlog recreates it`);
  }
  try {
    if (!st) await mkdir(path, { recursive: true, mode });
    await access(path, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new StateUnusable(path, `the ${what} folder ${path} ${why(err)}: fix it or point --state-dir elsewhere`, err);
  }
}

/**
 * Make sure `path` is a regular file or absent (created later), in a usable folder.
 * @param what what the file holds, e.g. `shipping checkpoints`
 * @throws StateUnusable when it is a folder or another non-file, or its folder is unusable
 */
export async function usableStateFile(path: string, what: string): Promise<void> {
  await usableStateDir(dirname(path), `${what}'`);
  const st = await stat(path).catch(() => undefined);
  if (st && !st.isFile()) {
    const is = st.isDirectory() ? 'a folder' : 'not a regular file';
    throw new StateUnusable(path, `the ${what} file ${path} is ${is}: remove or rename it and podlog starts a new one`);
  }
}
