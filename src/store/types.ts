/**
 * The catalog model: what the store knows about the pod log folders under its roots.
 * Layout (the contract with the pods, docs/ARCHITECTURE.md): `<root>/<namespace>_<pod>_<uid>/<container>/<file>`.
 */

/** How a file relates to the process writing it. */
export type FileKind =
  /** The file the process currently appends to (e.g. `taskmanager.log`, `gc.log`). */
  | 'live'
  /** A rotated copy (`taskmanager.log.1`, `gc.log.0`, `app-2024-05-01.log`). */
  | 'rotated'
  /** A compressed rotated copy (`*.gz`), served decompressed. */
  | 'compressed';

/** One regular file inside a container folder. */
export interface FileEntry {
  /** File name (no directory part); safe: no `/`, no NUL, not `.` or `..`. */
  readonly name: string;
  /** Absolute path on the node. */
  readonly path: string;
  /** Size in bytes at the last stat. */
  size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** Device and inode numbers (file identity across renames). */
  dev: number;
  ino: number;
  kind: FileKind;
  /** True when this is the file the process appends to (`kind === 'live'`). */
  live: boolean;
}

/** One container folder of a pod. */
export interface ContainerEntry {
  readonly name: string;
  /** Absolute path of the container folder. */
  readonly path: string;
  /** Files by name. */
  readonly files: Map<string, FileEntry>;
}

/** One pod generation's folder: `<namespace>_<pod>_<uid>`. */
export interface PodEntry {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The root this folder lives under (absolute). */
  readonly root: string;
  /** Absolute path of the pod folder. */
  readonly path: string;
  /** Containers by name. */
  readonly containers: Map<string, ContainerEntry>;
  /** Latest mtime over the pod's files, ms since the epoch (0 when it has none). */
  lastActivityMs: number;
  /** When the pod folder was created (its birth time, else its ctime), ms since the epoch. */
  createdMs?: number;
}

/** Identity of a pod generation. */
export interface PodKey {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/** A change the catalog emits after its initial scan. */
export type CatalogChange =
  | { type: 'pod-added' | 'pod-removed'; pod: PodEntry }
  | { type: 'file-added' | 'file-changed' | 'file-removed'; pod: PodEntry; container: ContainerEntry; file: FileEntry };

/**
 * The read-only face of the catalog that other units (ship, kube, retention, http) depend on.
 * Implemented by `Catalog` in `src/store/catalog.ts`; tests may pass a hand-built object.
 */
export interface CatalogView {
  /** Every pod generation currently known, in no particular order. The entries are live objects: do not mutate. */
  pods(): PodEntry[];
  /** All generations of one pod name, newest activity first; empty when unknown. */
  generations(namespace: string, name: string): PodEntry[];
  /** Subscribe to changes after the initial scan; returns the unsubscribe function. */
  onChange(listener: (change: CatalogChange) => void): () => void;
  /** True while the first scan of the roots runs: {@link pods} is then incomplete (listings say `partial: true`). Absent means false. */
  readonly scanning?: boolean;
}
