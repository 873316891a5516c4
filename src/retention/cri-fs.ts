/**
 * File system helpers of the kubelet log copier (`cri-copy.ts`): fingerprint checks, real-directory checks,
 * and the rotation number of a copy. Sources are opened with `openSafe` (no-follow, regular files only).
 */
import { lstat, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openSafe } from '../store/safe-open.ts';
import { criCopyName } from '../logfile/cri.ts';

/** True when the regular file at `path` starts with `head` (opened no-follow). */
export async function startsWith(path: string, root: string, head: Buffer): Promise<boolean> {
  let f;
  try {
    f = await openSafe(root, path);
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(head.length);
    const { bytesRead } = await f.handle.read(buf, 0, head.length, 0);
    return bytesRead === head.length && buf.equals(head);
  } finally {
    await f.handle.close().catch(() => undefined);
  }
}

/** Names of real directories (not symlinks) in `dir`; [] when unreadable. */
export async function dirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/** Create `dir` (one level) if missing and insist it is a real directory, not a symlink. */
export async function realDir(dir: string): Promise<void> {
  await mkdir(dir, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a real directory`);
}

/** The next K for `stdio-N.cri.log.K`: one past the largest present. */
export async function nextRotation(dir: string, n: number): Promise<number> {
  const prefix = `${criCopyName(n)}.`;
  let max = 0;
  for (const name of await readdir(dir).catch(() => [])) {
    if (!name.startsWith(prefix)) continue;
    const k = Number(name.slice(prefix.length));
    if (Number.isSafeInteger(k) && k > max) max = k;
  }
  return max + 1;
}

/** The copy files of restart `n` in `dir`, newest first: `stdio-N.cri.log`, then `stdio-N.cri.log.K` by K descending. */
export async function copyFilesNewestFirst(dir: string, n: number): Promise<string[]> {
  const name = criCopyName(n);
  const ks: number[] = [];
  for (const f of await readdir(dir).catch(() => [])) {
    if (!f.startsWith(`${name}.`)) continue;
    const k = Number(f.slice(name.length + 1));
    if (Number.isSafeInteger(k) && k > 0) ks.push(k);
  }
  return [name, ...ks.sort((a, b) => b - a).map((k) => `${name}.${k}`)].map((f) => join(dir, f));
}
