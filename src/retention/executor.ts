/**
 * Carries out a retention plan for one root: removes pod folders and unlinks single files, re-checking
 * each target on disk first. Never follows a link: a pod folder must be a real directory directly under
 * the root, on the root's file system (not a mount point); a file must be a regular file at
 * `<root>/<pod>/<container>/<file>` whose inode still is the planned one, in a real container directory.
 * Deletions go through the door (`removeTreeSafe`, `unlinkSafe`): every folder is opened no-follow from the root
 * and names are removed relative to its descriptor, so a pod swapping a folder for a link cannot redirect them;
 * links inside a pod folder are removed, never followed.
 */
import { lstat } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { parsePodDirName, type PodDirName } from '../store/layout.ts';
import { removeTreeSafe, unlinkSafe } from '../store/safe-open.ts';
import type { EvictAction } from './plan.ts';

/** What became of one action. */
export interface ActionOutcome {
  action: EvictAction;
  /** `done` deleted; `skipped` the target changed or vanished (replanned next pass); `failed` an I/O error. */
  status: 'done' | 'skipped' | 'failed';
  /** Why it was skipped or failed. */
  note?: string;
}

/** Options of {@link executePlan}. */
export interface ExecuteOptions {
  /** The root the actions belong to (absolute, real path). */
  root: string;
  logger: Logger;
  /** Called after a pod folder is removed (e.g. to expire its pod record). Errors are logged, not thrown. */
  onPodRemoved?: (pod: PodDirName & { path: string }) => void | Promise<void>;
  /** Deletions in flight at once (default 8). */
  concurrency?: number;
}

/**
 * Execute actions, up to `concurrency` at once; each is checked and done independently (one failure does not
 * stop the others).
 * @returns one outcome per action, in the actions' order
 */
export async function executePlan(actions: readonly EvictAction[], o: ExecuteOptions): Promise<ActionOutcome[]> {
  const root = resolve(o.root);
  const rootStat = await lstat(root);
  const limit = pLimit(o.concurrency ?? 8);
  return Promise.all(actions.map((action) => limit(async (): Promise<ActionOutcome> => {
    try {
      const note = action.kind === 'pod' ? await removePod(root, rootStat.dev, action, o) : await removeFile(root, action);
      return note === undefined ? { action, status: 'done' } : { action, status: 'skipped', note };
    } catch (err) {
      o.logger.warn({ path: action.path, err: String(err) }, 'retention: delete failed');
      return { action, status: 'failed', note: (err as NodeJS.ErrnoException).code ?? 'error' };
    }
  })));
}

/** Path parts below the root, or undefined when `path` is not strictly inside it. */
function partsBelow(root: string, path: string): string[] | undefined {
  const rel = relative(root, resolve(path));
  if (rel === '' || rel.startsWith('..') || resolve(path) !== path) return undefined;
  const parts = rel.split(sep);
  return parts.includes('..') || parts.includes('') ? undefined : parts;
}

/** @returns undefined when removed, else why it was skipped */
async function removePod(root: string, rootDev: number, action: EvictAction, o: ExecuteOptions): Promise<string | undefined> {
  const parts = partsBelow(root, action.path);
  const parsed = parts?.length === 1 ? parsePodDirName(parts[0]!) : undefined;
  if (!parsed) return 'not a pod folder directly under the root';
  const st = await lstat(action.path).catch(() => undefined);
  if (!st) return 'already gone';
  if (!st.isDirectory()) return 'not a real directory (symlink or file)';
  if (st.dev !== rootDev) return 'a mount point, not on the root\'s file system';
  await removeTreeSafe(root, action.path);
  try {
    await o.onPodRemoved?.({ ...parsed, path: action.path });
  } catch (err) {
    o.logger.warn({ path: action.path, err: String(err) }, 'retention: expiring the pod record failed');
  }
  return undefined;
}

/** @returns undefined when unlinked, else why it was skipped */
async function removeFile(root: string, action: EvictAction): Promise<string | undefined> {
  const parts = partsBelow(root, action.path);
  if (parts?.length !== 3 || !parsePodDirName(parts[0]!)) return 'not a file at <root>/<pod>/<container>/<file>';
  return unlinkSafe(root, action.path, action.ino);
}
