/**
 * Carries out a retention plan for one root: removes pod folders and unlinks single files, re-checking
 * each target on disk first. Never follows a link: a pod folder must be a real directory directly under
 * the root, on the root's file system (not a mount point); a file must be a regular file at
 * `<root>/<pod>/<container>/<file>` whose inode still is the planned one, in a real container directory.
 * `fs.rm({recursive:true})` removes symlinks inside a folder without following them.
 * Known limit: Node has no `unlinkat`, so between the parent check and `unlink` a process able to rename the
 * container folder could redirect the unlink; pods only get their container folder as a mount point
 * (subPathExpr, DESIGN.md), which they cannot rename.
 */
import { lstat, rm, unlink } from 'node:fs/promises';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { parsePodDirName, type PodDirName } from '../store/layout.ts';
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
 * stop the others). Parent folder checks are shared within one call.
 * @returns one outcome per action, in the actions' order
 */
export async function executePlan(actions: readonly EvictAction[], o: ExecuteOptions): Promise<ActionOutcome[]> {
  const root = resolve(o.root);
  const rootStat = await lstat(root);
  const limit = pLimit(o.concurrency ?? 8);
  const dirs = new Map<string, Promise<boolean>>();
  return Promise.all(actions.map((action) => limit(async (): Promise<ActionOutcome> => {
    try {
      const note = action.kind === 'pod' ? await removePod(root, rootStat.dev, action, o) : await removeFile(root, action, dirs);
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
  await rm(action.path, { recursive: true, force: true });
  try {
    await o.onPodRemoved?.({ ...parsed, path: action.path });
  } catch (err) {
    o.logger.warn({ path: action.path, err: String(err) }, 'retention: expiring the pod record failed');
  }
  return undefined;
}

/** @returns undefined when unlinked, else why it was skipped */
async function removeFile(root: string, action: EvictAction, dirs: Map<string, Promise<boolean>>): Promise<string | undefined> {
  const parts = partsBelow(root, action.path);
  if (parts?.length !== 3 || !parsePodDirName(parts[0]!)) return 'not a file at <root>/<pod>/<container>/<file>';
  for (const dir of [dirname(dirname(action.path)), dirname(action.path)]) {
    let real = dirs.get(dir);
    if (!real) dirs.set(dir, (real = lstat(dir).then((d) => d.isDirectory(), () => false)));
    if (!(await real)) return `${basename(dir)} is not a real directory`;
  }
  const st = await lstat(action.path).catch(() => undefined);
  if (!st) return 'already gone';
  if (!st.isFile()) return 'not a regular file';
  if (action.ino !== undefined && st.ino !== action.ino) return 'the name now holds another file (rotated since planning)';
  await unlink(action.path);
  return undefined;
}
