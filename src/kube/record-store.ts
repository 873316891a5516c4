import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { usableStateDir } from '../config/state-dir.ts';
import type { Clock } from '../retry/backoff.ts';
import { syncDirectory, writeAtomic } from '../state/atomic-write.ts';
import type { BaseRecord, RecordChange } from './records.ts';

/** Namespace and name: DNS-1123 subdomain characters only (never `_`, `/`), so file names split unambiguously. */
const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const UID_RE = /^[A-Za-z0-9-]{1,64}$/;

/** Options of {@link RecordStore}. */
export interface RecordStoreOptions {
  /** Directory of the JSON files, e.g. `<stateDir>/pods`; created when missing. */
  dir: string;
  logger: Logger;
  clock: Clock;
  /** Write changed records this many ms after the change (0 = next tick). */
  flushDelayMs: number;
  /** Records kept; past it the oldest deleted records are removed. */
  maxRecords: number;
  /** Deleted records older than this many days are removed (0 = only by maxRecords). */
  retentionDays: number;
  /** When true, records never marked deleted (owners) age by `lastSeen` instead. */
  ageByLastSeen?: boolean;
  /** What the records are, for messages (default `records`), e.g. `pod records`. */
  what?: string;
}

/**
 * Records held in memory and mirrored to one JSON file per generation:
 * `<dir>/<namespace>_<name>_<uid>.json`, written atomically (`state/atomic-write.ts`, as Promtail's positions file and
 * Vector's checkpointer do), so a crash leaves either the old or the new file. Unreadable or corrupt files
 * are logged and skipped at load, never fatal.
 */
export class RecordStore<T extends BaseRecord> {
  private readonly byUid = new Map<string, T>();
  private readonly byName = new Map<string, Set<string>>();
  private readonly dirty = new Set<string>();
  private readonly removed = new Map<string, string>();
  private readonly listeners = new Set<(c: RecordChange<T>) => void>();
  private timer: unknown;
  private flushing: Promise<void> | undefined;

  private readonly o: RecordStoreOptions;

  constructor(o: RecordStoreOptions) {
    this.o = o;
  }

  /** File name of a record, or undefined when a part is not a valid Kubernetes name/uid. */
  static fileName(namespace: string, name: string, uid: string): string | undefined {
    if (!NAME_RE.test(namespace) || !NAME_RE.test(name) || !UID_RE.test(uid)) return undefined;
    return `${namespace}_${name}_${uid}.json`;
  }

  /**
   * Load every record file of the directory (creating it); corrupt files are logged and skipped.
   * @throws StateUnusable when the directory is not a folder the agent can write (one line naming it and the fix)
   */
  async load(): Promise<void> {
    await usableStateDir(this.o.dir, this.o.what ?? 'records');
    for (const f of await readdir(this.o.dir)) {
      const path = join(this.o.dir, f);
      if (f.endsWith('.tmp')) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (!f.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(await readFile(path, 'utf8')) as T;
        if (rec?.version !== 1 || typeof rec.uid !== 'string' || !Array.isArray(rec.events)
          || RecordStore.fileName(rec.namespace, rec.name, rec.uid) !== f) {
          throw new Error('not a version-1 record matching its file name');
        }
        this.index(rec);
      } catch (err) {
        this.o.logger.warn({ file: path, err: String(err) }, 'skipping unreadable record file');
      }
    }
    this.prune();
  }

  /** Record by uid. */
  byId(uid: string): T | undefined {
    return this.byUid.get(uid);
  }

  /** Every generation of `namespace/name`, newest first: not deleted first, then by lastSeen. */
  generations(namespace: string, name: string): T[] {
    const uids = this.byName.get(`${namespace}/${name}`);
    if (!uids) return [];
    const recs = [...uids].map((u) => this.byUid.get(u)).filter((r): r is T => !!r);
    return recs.sort((a, b) => Number(!!a.deletedAt) - Number(!!b.deletedAt) || b.lastSeen.localeCompare(a.lastSeen));
  }

  /** One generation (by uid) or the newest of that name. */
  get(namespace: string, name: string, uid?: string): T | undefined {
    if (uid !== undefined) {
      const r = this.byUid.get(uid);
      return r && r.namespace === namespace && r.name === name ? r : undefined;
    }
    return this.generations(namespace, name)[0];
  }

  /** Every record. */
  list(): T[] {
    return [...this.byUid.values()];
  }

  /** Number of records in memory. */
  size(): number {
    return this.byUid.size;
  }

  /** Subscribe to changes; returns the unsubscribe function. */
  onChange(listener: (c: RecordChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Put a record (new or replaced, same uid), mark it for writing and notify listeners.
   * Records whose namespace/name/uid cannot form a safe file name are refused (logged).
   */
  put(rec: T): void {
    if (RecordStore.fileName(rec.namespace, rec.name, rec.uid) === undefined) {
      this.o.logger.warn({ namespace: rec.namespace, name: rec.name, uid: rec.uid }, 'refusing record with an invalid name');
      return;
    }
    this.index(rec);
    this.dirty.add(rec.uid);
    this.removed.delete(rec.uid);
    this.schedule();
    this.emit({ type: 'upserted', record: rec });
  }

  /** Remove a record from memory and (at the next flush) from disk. */
  remove(uid: string): void {
    const rec = this.byUid.get(uid);
    if (!rec) return;
    this.byUid.delete(uid);
    const key = `${rec.namespace}/${rec.name}`;
    this.byName.get(key)?.delete(uid);
    if (this.byName.get(key)?.size === 0) this.byName.delete(key);
    this.dirty.delete(uid);
    this.removed.set(uid, RecordStore.fileName(rec.namespace, rec.name, rec.uid)!);
    this.schedule();
    this.emit({ type: 'removed', record: rec });
  }

  /**
   * Remove deleted records past the retention age, then the oldest deleted ones beyond `maxRecords`.
   * Live records are never removed.
   */
  prune(): void {
    const now = this.o.clock.now();
    const maxAge = this.o.retentionDays * 86_400_000;
    const endOf = (r: T): string | undefined => r.deletedAt ?? (this.o.ageByLastSeen ? r.lastSeen : undefined);
    const deleted = this.list().filter((r) => endOf(r)).sort((a, b) => endOf(a)!.localeCompare(endOf(b)!));
    let excess = this.byUid.size - this.o.maxRecords;
    for (const r of deleted) {
      const old = maxAge > 0 && now - Date.parse(endOf(r)!) > maxAge;
      if (old || excess > 0) {
        this.remove(r.uid);
        excess -= 1;
      }
    }
  }

  /** Write every pending change now (atomic writes, unlink for removals, then one fsync of the folder). Safe to call concurrently. */
  async flush(): Promise<void> {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0 && this.removed.size === 0) return;
    this.flushing = this.writeAll().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async writeAll(): Promise<void> {
    const dirty = [...this.dirty];
    this.dirty.clear();
    const removed = [...this.removed.values()];
    this.removed.clear();
    await mkdir(this.o.dir, { recursive: true, mode: 0o750 });
    for (const uid of dirty) {
      const rec = this.byUid.get(uid);
      if (!rec) continue;
      const file = join(this.o.dir, RecordStore.fileName(rec.namespace, rec.name, rec.uid)!);
      try {
        await writeAtomic(file, JSON.stringify(rec), { mode: 0o640, syncDir: false });
      } catch (err) {
        this.o.logger.error({ file, err: String(err) }, 'writing pod record failed; will retry');
        this.dirty.add(uid);
      }
    }
    for (const f of removed) await unlink(join(this.o.dir, f)).catch(() => undefined);
    await syncDirectory(this.o.dir).catch((err: unknown) => this.o.logger.warn({ dir: this.o.dir, err: String(err) }, 'fsync of the records folder failed'));
    if (this.dirty.size > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => this.o.logger.error({ err: String(err) }, 'record flush failed'));
    }, this.o.flushDelayMs);
  }

  private index(rec: T): void {
    this.byUid.set(rec.uid, rec);
    const key = `${rec.namespace}/${rec.name}`;
    let set = this.byName.get(key);
    if (!set) this.byName.set(key, (set = new Set()));
    set.add(rec.uid);
  }

  private emit(c: RecordChange<T>): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.o.logger.error({ err: String(err) }, 'record listener failed');
      }
    }
  }
}
