/**
 * The shipping registry: one checkpoint per file identity, persisted as versioned JSON in
 * `<stateDir>/ship/registry.json` atomically and durably (`state/atomic-write.ts`), so a crash leaves
 * either the old or the new file. A corrupt registry is moved aside to `registry.json.corrupt-<ms>`
 * with a warning and shipping starts over (duplicates are then absorbed by the deterministic `_id`s).
 * Models: Promtail `positions`, Vector `checkpointer.rs`.
 */
import { readFile, rename } from 'node:fs/promises';
import { usableStateFile } from '../config/state-dir.ts';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { writeAtomic } from '../state/atomic-write.ts';

/** One file's shipping state. */
export interface Checkpoint {
  /** Identity used in `_id`s (see identity.ts `makeId`); never changes. */
  id: string;
  dev: number;
  ino: number;
  /** Length of the hashed head and its sha256 (hex). */
  fpLen: number;
  fp: string;
  /** Bytes acknowledged by Elasticsearch (offset in the decompressed stream for `.gz`). */
  offset: number;
  /** Truncation generation of this inode. */
  gen: number;
  /** Last path the file was seen at. */
  path: string;
  podUid: string;
  container: string;
  /** ms since the epoch of the last update. */
  updatedMs: number;
  /** Set when no harvester owns the file any more (rotated away, truncated, deleted), ms since the epoch. */
  releasedMs?: number;
  /** True when the file was read to its end after it stopped changing (rotated/deleted). */
  finished?: boolean;
  /** True when this inode was truncated past the offset: the content is gone (a copy may adopt it). */
  truncated?: boolean;
}

interface RegistryFileV1 {
  version: 1;
  entries: Checkpoint[];
}

/** Version of the registry file format. */
export const REGISTRY_VERSION = 1;

/** In-memory registry with atomic persistence. Not safe for two processes on the same dir. */
export class CheckpointStore {
  private readonly byId = new Map<string, Checkpoint>();
  private readonly file: string;
  private saving: Promise<void> | undefined;
  private dirty = false;

  private readonly logger: Logger;

  constructor(dir: string, logger: Logger) {
    this.logger = logger;
    this.file = join(dir, 'registry.json');
  }

  /**
   * Load the registry; a missing file means an empty registry, a corrupt one is moved aside.
   * @throws StateUnusable when the registry's path is a folder or its folder cannot be used (one line naming it and the fix)
   */
  async load(): Promise<void> {
    await usableStateFile(this.file, 'shipping checkpoints');
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const parsed = JSON.parse(text) as RegistryFileV1;
      if (parsed.version !== REGISTRY_VERSION || !Array.isArray(parsed.entries)) throw new Error(`unsupported registry version ${String(parsed.version)}`);
      for (const e of parsed.entries) {
        if (typeof e.id === 'string' && Number.isSafeInteger(e.offset) && e.offset >= 0) this.byId.set(e.id, e);
      }
    } catch (e) {
      const aside = `${this.file}.corrupt-${Date.now()}`;
      await rename(this.file, aside).catch(() => undefined);
      this.logger.warn({ err: e, aside }, 'shipping registry unreadable; moved aside, starting over (already shipped records will be skipped by Elasticsearch as duplicates)');
    }
  }

  /** All checkpoints (live objects). */
  entries(): Checkpoint[] {
    return [...this.byId.values()];
  }

  /** Checkpoint by identity. */
  get(id: string): Checkpoint | undefined {
    return this.byId.get(id);
  }

  /** Insert or replace a checkpoint and mark the registry dirty. */
  put(cp: Checkpoint): void {
    this.byId.set(cp.id, cp);
    this.dirty = true;
  }

  /** Mark dirty after mutating a checkpoint in place. */
  touch(): void {
    this.dirty = true;
  }

  /** Remove a checkpoint. */
  delete(id: string): void {
    if (this.byId.delete(id)) this.dirty = true;
  }

  /**
   * Persist when dirty, atomically and durably (`state/atomic-write.ts`). Concurrent calls coalesce; the returned promise covers the state at call time.
   */
  async save(): Promise<void> {
    while (this.saving) await this.saving.catch(() => undefined);
    if (!this.dirty) return;
    this.saving = this.write()
      .catch((e: unknown) => {
        this.dirty = true;
        throw e;
      })
      .finally(() => {
        this.saving = undefined;
      });
    await this.saving;
  }

  private async write(): Promise<void> {
    this.dirty = false;
    const body: RegistryFileV1 = { version: REGISTRY_VERSION, entries: this.entries() };
    await writeAtomic(this.file, JSON.stringify(body));
  }
}
