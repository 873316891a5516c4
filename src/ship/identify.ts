/**
 * Match an opened file to its checkpoint (or make a new one). Rules, in order:
 * 1. same device + inode, same pod/container, head matching the stored fingerprint, not truncated →
 *    the same file (renamed or not): resume at its offset; if the file is now shorter than the offset
 *    it was truncated in place → a new generation.
 * 2. another inode whose head matches a checkpoint of the same container → a copy of that file
 *    (`copytruncate` copy, `.gz` of a rotated file): when a live harvester still owns the checkpoint
 *    the copy is deferred (its lines are shipped from the original); otherwise the copy adopts the
 *    checkpoint and continues at its offset, under the same `_id` identity.
 * 3. otherwise a new checkpoint at offset 0, persisted before any document of it is sent so the
 *    identity (and so every `_id`) survives a crash.
 */
import type { Checkpoint, CheckpointStore } from './checkpoints.ts';
import { hashBytes, makeId } from './identity.ts';

/** What is known about the opened file. */
export interface OpenedFile {
  path: string;
  dev: number;
  ino: number;
  /** Bytes on disk (compressed size for `.gz`). */
  size: number;
  gz: boolean;
  /** The first bytes (up to FP_BYTES; decompressed for `.gz`). */
  head: Buffer;
  podUid: string;
  container: string;
}

/** Result of matching. */
export type Match =
  | { kind: 'resume' | 'adopt' | 'new'; cp: Checkpoint }
  | { kind: 'defer' | 'done' };

function headMatches(head: Buffer, cp: Checkpoint, cache: Map<number, string>): boolean {
  if (cp.fpLen > head.length || cp.fpLen === 0) return false;
  let h = cache.get(cp.fpLen);
  if (h === undefined) {
    h = hashBytes(head.subarray(0, cp.fpLen));
    cache.set(cp.fpLen, h);
  }
  return h === cp.fp;
}

/**
 * Find or create the checkpoint for `f` (see module doc).
 * @param owned ids of checkpoints a running harvester holds
 * @param now ms since the epoch
 */
export function matchCheckpoint(store: CheckpointStore, f: OpenedFile, owned: ReadonlySet<string>, now: number): Match {
  const cache = new Map<number, string>();
  const mine = store.entries().filter((e) => e.podUid === f.podUid && e.container === f.container);
  let maxGen = -1;
  if (mine.some((e) => e.dev === f.dev && e.ino === f.ino && e.finished === true && !e.truncated)) return { kind: 'done' };
  if (!f.gz) {
    for (const e of mine) {
      if (e.dev !== f.dev || e.ino !== f.ino) continue;
      maxGen = Math.max(maxGen, e.gen);
      if (e.truncated || !headMatches(f.head, e, cache)) continue;
      if (owned.has(e.id)) return { kind: 'defer' };
      if (f.size < e.offset) {
        e.truncated = true;
        e.releasedMs ??= now;
        store.touch();
        continue;
      }
      return { kind: 'resume', cp: e };
    }
  }
  for (const e of mine) {
    if (e.dev === f.dev && e.ino === f.ino && !f.gz) continue;
    if (!headMatches(f.head, e, cache)) continue;
    if (owned.has(e.id)) return { kind: 'defer' };
    if (!f.gz && f.size < e.offset) continue;
    e.dev = f.dev;
    e.ino = f.ino;
    e.path = f.path;
    delete e.releasedMs;
    delete e.finished;
    delete e.truncated;
    e.updatedMs = now;
    store.touch();
    return { kind: 'adopt', cp: e };
  }
  const fpLen = f.head.length;
  const fp = hashBytes(f.head);
  const gen = maxGen + 1;
  const cp: Checkpoint = {
    id: makeId({ podUid: f.podUid, container: f.container, dev: f.dev, ino: f.ino, gen, fpLen, fp }),
    dev: f.dev, ino: f.ino, fpLen, fp, offset: 0, gen, path: f.path, podUid: f.podUid, container: f.container, updatedMs: now,
  };
  store.put(cp);
  return { kind: 'new', cp };
}
