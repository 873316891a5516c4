/**
 * The one door to pod files. Everything below a root is written by pods and may change while it is
 * read: a folder on the path can be swapped with a symlink at any moment (`renameat2(RENAME_EXCHANGE)`).
 * Checking a path and then opening it is therefore never enough. The door resolves a path the way
 * `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` or Go's `os.Root` do: it opens the root, then each
 * component relative to the descriptor of the folder before it, with `O_NOFOLLOW`, so every folder used
 * is one that was a real directory when it was opened, whatever its name points to later.
 *
 * Node has no `openat`; `/proc/self/fd/<fd>/<name>` gives the same resolution: the kernel jumps through the
 * descriptor's magic link to the very folder opened and resolves only `<name>` there (no-follow).
 * The file descriptor finally returned is checked once more after the open: `/proc/self/fd/<fd>` of the file
 * must name the expected path below the root's descriptor, and `fstat` must show a regular file.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, rename, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { PodlogError } from '../errors.ts';
import { parsePodDirName } from './layout.ts';
import { assertInside } from './paths.ts';

/** An open regular file and the stat taken on the open descriptor (not the path). */
export interface SafeFile {
  readonly handle: FileHandle;
  readonly stat: Stats;
  /** Absolute path that was opened (for the agent's own use and logs; never put it in a response). */
  readonly path: string;
  /** The file as users name it, `namespace/pod/container/file`: the only name error messages may carry. */
  readonly label: string;
}

/**
 * A folder below a root opened through the door. `at(name)` names an entry of this very folder (through
 * `/proc/self/fd`), whatever its path points to now; valid until {@link SafeDir.close}.
 */
export interface SafeDir {
  readonly handle: FileHandle;
  /** A path that resolves to this folder (no argument) or to its entry `name`, never following `name` when used with lstat/unlink/no-follow opens. */
  at(name?: string): string;
  close(): Promise<void>;
}

const PROC_FD = '/proc/self/fd';
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const FILE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Name a path below a root for messages without the host path: `namespace/pod/container/file` when the first
 * part is a pod folder, else the root-relative path.
 */
export function describeBelow(root: string, path: string): string {
  const parts = relative(resolve(root), resolve(path)).split(sep).filter((p) => p !== '');
  const pod = parts[0] === undefined ? undefined : parsePodDirName(parts[0]);
  if (pod) return [pod.namespace, pod.name, ...parts.slice(1)].join('/');
  return parts.join('/') || '.';
}

/** Root-relative components of `path`; each a single name (no empty, `.` or `..` part). */
function partsBelow(root: string, path: string): string[] {
  assertInside(root, path);
  const parts = relative(resolve(root), resolve(path)).split(sep).filter((p) => p !== '');
  for (const p of parts) if (p === '.' || p === '..') throw new PodlogError('PODLOG_E_BAD_PATH', 'path leaves the log root');
  return parts;
}

function at(fd: number, name?: string): string {
  return name === undefined ? `${PROC_FD}/${fd}` : `${PROC_FD}/${fd}/${name}`;
}

/** Map an errno of a no-follow open to the door's errors. */
function doorError(e: unknown, what: string): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new PodlogError('PODLOG_E_NOT_FOUND', `no such file or folder: ${what}`);
  if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENXIO' || code === 'EISDIR') {
    return new PodlogError('PODLOG_E_NOT_REGULAR', `${what} is reached through a link or is not a regular file or folder; podlog does not follow links or open FIFOs`);
  }
  return e;
}

/** Open `root` (trusted: the operator's path) as a folder descriptor. */
/** The error for a name that is not one path segment (empty, `.`, `..`, or holding `/`), else undefined. */
function notASegment(name: string): PodlogError | undefined {
  return name === '' || name === '.' || name === '..' || name.includes('/') ? new PodlogError('PODLOG_E_BAD_PATH', 'a name must be a single path segment') : undefined;
}

/** The error when `/proc/self/fd` cannot be read (`e` from the readlink), which the door cannot work without. */
function noProcfs(e: unknown): PodlogError {
  return new PodlogError('PODLOG_E_INTERNAL', `/proc/self/fd is not available (${(e as NodeJS.ErrnoException).code ?? 'error'}); podlog needs procfs to open pod files safely`);
}

/**
 * The check after a file's open: its descriptor is a regular file and `/proc/self/fd` names it at
 * `expected` (below the root's real path), so no link or swapped folder led the open elsewhere.
 * @param opened the readlink of the descriptor's `/proc/self/fd` entry
 * @throws PodlogError `PODLOG_E_NOT_REGULAR` (not a regular file), `PODLOG_E_NOT_FOUND` (moved while opened)
 */
function checkOpened(stat: Stats, opened: string, expected: string, what: string): void {
  if (!stat.isFile()) throw new PodlogError('PODLOG_E_NOT_REGULAR', `${what} is not a regular file; podlog does not open FIFOs, sockets, devices or folders`);
  if (opened !== expected) throw new PodlogError('PODLOG_E_NOT_FOUND', `${what} was moved or deleted while it was being opened`);
}

async function openRoot(root: string): Promise<FileHandle> {
  try {
    return await open(resolve(root), constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PodlogError('PODLOG_E_NOT_FOUND', `the log root is missing (${code})`);
    throw e;
  }
}

/** Open the folders `parts` one below the other from `dir`, each no-follow; closes `dir` and every intermediate. */
async function walk(dir: FileHandle, parts: readonly string[], root: string, path: string): Promise<FileHandle> {
  let cur = dir;
  try {
    for (const part of parts) {
      const next = await open(at(cur.fd, part), DIR_FLAGS).catch((e: unknown) => {
        throw doorError(e, describeBelow(root, path));
      });
      await cur.close();
      cur = next;
    }
    return cur;
  } catch (e) {
    await cur.close();
    throw e;
  }
}

/**
 * Open the folder `path` below `root` without following any link on the way (see the module comment).
 * @param root absolute root, trusted (not checked for links)
 * @param path absolute folder path below (or equal to) `root`
 * @throws PodlogError `PODLOG_E_BAD_PATH` when `path` is outside `root`; `PODLOG_E_NOT_FOUND` when a part is missing;
 *   `PODLOG_E_NOT_REGULAR` when a part is a symlink or not a folder
 */
export async function openDirSafe(root: string, path: string): Promise<SafeDir> {
  const parts = partsBelow(root, path);
  return safeDir(await walk(await openRoot(root), parts, root, path));
}

/**
 * Open the folder `name` inside an already opened folder, no-follow (`openat(parent, name, O_DIRECTORY|O_NOFOLLOW)`);
 * a scan descends this way without walking from the root again.
 * @throws PodlogError `PODLOG_E_BAD_PATH` unless `name` is one path segment; `PODLOG_E_NOT_FOUND`; `PODLOG_E_NOT_REGULAR` for a link or non-folder
 */
export async function openDirAt(parent: SafeDir, name: string): Promise<SafeDir> {
  const bad = notASegment(name);
  if (bad) throw bad;
  try {
    return safeDir(await open(parent.at(name), DIR_FLAGS));
  } catch (e) {
    throw doorError(e, 'a folder');
  }
}

function safeDir(handle: FileHandle): SafeDir {
  return { handle, at: (name?: string) => at(handle.fd, name), close: () => handle.close() };
}

/**
 * A folder below a root opened through the door with synchronous calls, for a scan that reads many folders in
 * short slices of the event loop (each call a few microseconds on a local file system). Like {@link SafeDir},
 * `at(name)` names an entry of this very folder through `/proc/self/fd`; valid until `close()`.
 */
export interface SafeDirSync {
  readonly fd: number;
  at(name?: string): string;
  close(): void;
}

function safeDirSync(fd: number): SafeDirSync {
  return { fd, at: (name?: string) => at(fd, name), close: () => closeSync(fd) };
}

/**
 * {@link openDirSafe} with synchronous calls: every folder from `root` down opened no-follow relative to the one above.
 * @throws PodlogError as {@link openDirSafe}
 */
export function openDirSafeSync(root: string, path: string): SafeDirSync {
  const parts = partsBelow(root, path);
  let fd: number;
  try {
    fd = openSync(resolve(root), constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new PodlogError('PODLOG_E_NOT_FOUND', `the log root is missing (${code})`);
    throw e;
  }
  try {
    for (const part of parts) {
      let next: number;
      try {
        next = openSync(at(fd, part), DIR_FLAGS);
      } catch (e) {
        throw doorError(e, describeBelow(root, path));
      }
      closeSync(fd);
      fd = next;
    }
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return safeDirSync(fd);
}

/**
 * {@link openDirAt} with a synchronous call: the folder `name` inside an open folder, no-follow.
 * @throws PodlogError `PODLOG_E_BAD_PATH` unless `name` is one path segment; `PODLOG_E_NOT_FOUND`; `PODLOG_E_NOT_REGULAR` for a link or non-folder
 */
export function openDirAtSync(parent: { at(name?: string): string }, name: string): SafeDirSync {
  const bad = notASegment(name);
  if (bad) throw bad;
  try {
    return safeDirSync(openSync(parent.at(name), DIR_FLAGS));
  } catch (e) {
    throw doorError(e, 'a folder');
  }
}

/** A file opened by {@link openSafeInSync}: a bare descriptor (close it with `closeSync`), its stat, its names. */
export interface SafeFd {
  readonly fd: number;
  readonly stat: Stats;
  /** Absolute path that was opened (for the agent's own use and logs; never put it in a response). */
  readonly path: string;
  /** The file as users name it, `namespace/pod/container/file`. */
  readonly label: string;
}

/**
 * {@link openSafe} for several files of one folder, with synchronous calls: the folder is walked to once
 * (no-follow, as `openSafe` does), then each name is opened in that very folder with the same checks
 * (no-follow, a regular file, and `/proc/self/fd` of the file names the expected path). Four system
 * calls per file and no thread-pool round trips: for searches handing many files to another process,
 * in slices small enough not to hold the event loop long (~15 µs per file).
 * @param root absolute root, trusted
 * @param dir absolute folder below `root` holding the files
 * @param names single path segments
 * @returns per name, in order, the open file or the error `openSafe` would have thrown
 * @throws what {@link openDirSafeSync} throws when the folder itself cannot be opened
 */
export function openSafeInSync(root: string, dir: string, names: readonly string[]): (SafeFd | Error)[] {
  const parts = partsBelow(root, dir);
  let rootReal: string;
  const rootFd = openSync(resolve(root), constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    rootReal = readlinkSync(at(rootFd));
  } catch (e) {
    throw noProcfs(e);
  } finally {
    closeSync(rootFd);
  }
  const folder = openDirSafeSync(root, dir);
  const expectedDir = join(rootReal, ...parts);
  try {
    return names.map((name): SafeFd | Error => {
      const path = join(dir, name);
      const what = describeBelow(root, path);
      const bad = notASegment(name);
      if (bad) return bad;
      let fd: number;
      try {
        fd = openSync(folder.at(name), FILE_FLAGS);
      } catch (e) {
        const err = doorError(e, what);
        return err instanceof Error ? err : new Error(String(err));
      }
      try {
        const stat = fstatSync(fd);
        checkOpened(stat, readlinkSync(at(fd)), join(expectedDir, name), what);
        return { fd, stat, path, label: what };
      } catch (e) {
        closeSync(fd);
        return e instanceof Error ? e : new Error(String(e));
      }
    });
  } finally {
    folder.close();
  }
}

/**
 * Open a file under `root` for reading, never through a link and never blocking: every folder from the root
 * down is opened no-follow relative to the one above it, the file `O_RDONLY | O_NOFOLLOW | O_NONBLOCK`
 * relative to its folder. After the open the descriptor itself is checked: `/proc/self/fd/N` must name
 * `path` below the root's own descriptor path, and `fstat` must show a regular file. A FIFO opened with
 * `O_NONBLOCK` returns at once and is refused by the fstat check, so a pod's FIFO can never block the agent.
 * Swapping any folder for a link before, during or after the open cannot make the agent read outside the root.
 *
 * @param root absolute root the file must live under (trusted: the operator's path)
 * @param path absolute path of the file
 * @throws PodlogError `PODLOG_E_BAD_PATH` when `path` is outside `root`;
 *   `PODLOG_E_NOT_REGULAR` for a symlink (the file or any folder above it), FIFO, socket, device or directory;
 *   `PODLOG_E_NOT_FOUND` when it does not exist (or was moved while being opened).
 *   Messages name the file as `namespace/pod/container/file`, never the host path.
 */
export async function openSafe(root: string, path: string): Promise<SafeFile> {
  const parts = partsBelow(root, path);
  const name = parts.pop();
  const what = describeBelow(root, path);
  if (name === undefined) throw new PodlogError('PODLOG_E_NOT_REGULAR', 'the log root is not a file');
  const rootHandle = await openRoot(root);
  let rootReal: string;
  try {
    rootReal = await readlink(at(rootHandle.fd));
  } catch (e) {
    await rootHandle.close();
    throw noProcfs(e);
  }
  const dir = await walk(rootHandle, parts, root, path);
  let handle: FileHandle;
  try {
    handle = await open(at(dir.fd, name), FILE_FLAGS);
  } catch (e) {
    throw doorError(e, what);
  } finally {
    await dir.close();
  }
  try {
    const [stat, opened] = await Promise.all([handle.stat(), readlink(at(handle.fd))]);
    checkOpened(stat, opened, join(rootReal, ...parts, name), what);
    return { handle, stat, path, label: what };
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * `lstat` of an entry below `root` without following a link anywhere on its path (the folders above it are
 * opened through the door; the entry itself is not followed).
 * @returns the entry's stat, or undefined when it or a folder above it is missing, a link or not a folder
 * @throws PodlogError `PODLOG_E_BAD_PATH` when `path` is outside `root` or is the root
 */
export async function lstatSafe(root: string, path: string): Promise<Stats | undefined> {
  const parts = partsBelow(root, path);
  const name = parts.pop();
  if (name === undefined) throw new PodlogError('PODLOG_E_BAD_PATH', 'the log root is not an entry below it');
  const dir = await openDirSafe(root, join(resolve(root), ...parts)).catch(() => undefined);
  if (!dir) return undefined;
  try {
    return await lstat(dir.at(name));
  } catch {
    return undefined;
  } finally {
    await dir.close();
  }
}

/**
 * {@link lstatSafe} with synchronous calls (the folders above the entry opened no-follow one below the other,
 * then closed): a few microseconds on a local file system, and no descriptor held past the call.
 * @returns the entry's stat, or undefined when it or a folder above it is missing, a link or not a folder
 * @throws PodlogError `PODLOG_E_BAD_PATH` when `path` is outside `root` or is the root; other I/O errors
 *   (`EMFILE`, `EACCES`…), which say nothing about the entry
 */
export function lstatSafeSync(root: string, path: string): Stats | undefined {
  const parts = partsBelow(root, path);
  const name = parts.pop();
  if (name === undefined) throw new PodlogError('PODLOG_E_BAD_PATH', 'the log root is not an entry below it');
  let dir: SafeDirSync;
  try {
    dir = openDirSafeSync(root, join(resolve(root), ...parts));
  } catch (e) {
    if (e instanceof PodlogError && (e.code === 'PODLOG_E_NOT_FOUND' || e.code === 'PODLOG_E_NOT_REGULAR')) return undefined;
    throw e;
  }
  try {
    return lstatSync(dir.at(name), { throwIfNoEntry: false });
  } finally {
    dir.close();
  }
}

/**
 * The entries of a folder below `root`, read from a descriptor opened through the door (a folder swapped
 * for a link lists nothing of the link's target).
 * @returns the entries, or `[]` when the folder is missing, a link or not a folder
 */
export async function readdirSafe(root: string, path: string): Promise<Dirent[]> {
  const dir = await openDirSafe(root, path).catch(() => undefined);
  if (!dir) return [];
  try {
    return await readdir(dir.at(), { withFileTypes: true });
  } catch {
    return [];
  } finally {
    await dir.close();
  }
}

/**
 * Unlink the regular file `path` below `root` if it still is the inode `ino` (when given): the folders are
 * opened through the door and the name is removed from the folder actually checked (`unlinkat` semantics).
 * @returns undefined when unlinked, else why not (`already gone`, `not a regular file`, …)
 * @throws PodlogError `PODLOG_E_BAD_PATH` when `path` is outside `root`; I/O errors of `unlink`
 */
export async function unlinkSafe(root: string, path: string, ino?: number): Promise<string | undefined> {
  const parts = partsBelow(root, path);
  const name = parts.pop();
  if (name === undefined) throw new PodlogError('PODLOG_E_BAD_PATH', 'the log root is not a file');
  let dir: SafeDir;
  try {
    dir = await openDirSafe(root, join(resolve(root), ...parts));
  } catch (e) {
    if (e instanceof PodlogError && e.code === 'PODLOG_E_NOT_REGULAR') return 'a folder above it is not a real directory';
    if (e instanceof PodlogError && e.code === 'PODLOG_E_NOT_FOUND') return 'already gone';
    throw e;
  }
  try {
    const st = await lstat(dir.at(name)).catch(() => undefined);
    if (!st) return 'already gone';
    if (!st.isFile()) return 'not a regular file';
    if (ino !== undefined && st.ino !== ino) return 'the name now holds another file (rotated since planning)';
    await unlink(dir.at(name));
    return undefined;
  } finally {
    await dir.close();
  }
}

/**
 * Open (creating it when missing, with `mode`) a file below `root` for appending, never through a link: the
 * folders are opened through the door, the file `O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK`
 * relative to its folder, and `fstat` must show a regular file. For the agent's own files inside pod folders
 * (kubelet log copies): a pod swapping the folder for a link cannot make the agent write outside the root.
 * @throws PodlogError `PODLOG_E_BAD_PATH` outside `root`; `PODLOG_E_NOT_FOUND` when a folder is missing;
 *   `PODLOG_E_NOT_REGULAR` for a link on the path or a non-regular file; I/O errors of `open`
 */
export async function openAppendSafe(root: string, path: string, mode: number): Promise<FileHandle> {
  const parts = partsBelow(root, path);
  const name = parts.pop();
  if (name === undefined) throw new PodlogError('PODLOG_E_BAD_PATH', 'the log root is not a file');
  const dir = await openDirSafe(root, join(resolve(root), ...parts));
  let handle: FileHandle;
  try {
    handle = await open(dir.at(name), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, mode);
  } catch (e) {
    throw doorError(e, describeBelow(root, path));
  } finally {
    await dir.close();
  }
  try {
    if (!(await handle.stat()).isFile()) throw new PodlogError('PODLOG_E_NOT_REGULAR', `${describeBelow(root, path)} is not a regular file`);
    return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Rename `from` to `to` inside the folder `dir` below `root` (`renameat` on the folder's descriptor: a folder
 * swapped for a link cannot redirect it).
 * @throws PodlogError as {@link openDirSafe}; I/O errors of `rename`
 */
export async function renameSafe(root: string, dir: string, from: string, to: string): Promise<void> {
  for (const n of [from, to]) if (n === '' || n === '.' || n === '..' || n.includes('/')) throw new PodlogError('PODLOG_E_BAD_PATH', 'a name must be a single path segment');
  const d = await openDirSafe(root, dir);
  try {
    await rename(d.at(from), d.at(to));
  } finally {
    await d.close();
  }
}

/** Deepest folder nesting {@link removeTreeSafe} descends into below the folder it removes. */
const MAX_REMOVE_DEPTH = 32;

/**
 * Remove the folder `path` below `root` with everything in it, never following a link: each folder is opened
 * no-follow relative to its parent's descriptor and its entries are removed relative to its own descriptor
 * (`unlinkat`/`rmdir` semantics); links are removed, never followed, even when a pod swaps a folder for a link
 * mid-way. A missing `path` is no error.
 * @throws PodlogError `PODLOG_E_BAD_PATH` outside `root` or for the root itself, or nesting deeper than 32 folders;
 *   I/O errors (e.g. `ENOTEMPTY` when a pod keeps writing into the folder), so the caller retries later
 */
export async function removeTreeSafe(root: string, path: string): Promise<void> {
  const parts = partsBelow(root, path);
  const name = parts.pop();
  if (name === undefined) throw new PodlogError('PODLOG_E_BAD_PATH', 'the log root itself is never removed');
  const parent = await openDirSafe(root, join(resolve(root), ...parts)).catch((e: unknown) => {
    if (e instanceof PodlogError && e.code === 'PODLOG_E_NOT_FOUND') return undefined;
    throw e;
  });
  if (!parent) return;
  try {
    await removeEntry(parent.handle, name, 0);
  } finally {
    await parent.close();
  }
}

async function removeEntry(parent: FileHandle, name: string, depth: number): Promise<void> {
  const p = at(parent.fd, name);
  let dir: FileHandle;
  try {
    dir = await open(p, DIR_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw e;
    // a link, file, FIFO…: the name itself goes, whatever it points to
    await unlink(p).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  try {
    if (depth >= MAX_REMOVE_DEPTH) throw new PodlogError('PODLOG_E_BAD_PATH', `folders nested deeper than ${MAX_REMOVE_DEPTH} levels are not removed`);
    for (const entry of await readdir(at(dir.fd))) await removeEntry(dir, entry, depth + 1);
  } finally {
    await dir.close();
  }
  await rmdir(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
