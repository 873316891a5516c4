import { isCriCopy } from '../logfile/cri.ts';
import type { PodEntry } from '../store/types.ts';

/** Pod fields the Kubernetes link adds when it has a record (see `src/kube`); all optional. */
export interface PodRecordFields {
  state?: string;
  job?: string;
  component?: string;
  priority?: string;
  phase?: string;
  restarts?: number;
  exitCodes?: number[];
  labels?: Record<string, string>;
  deletedAt?: string;
  node?: string;
  [key: string]: unknown;
}

/** A pod as `GET /api/v1/pods` shows it. Times are ms since the epoch. */
export interface PodView extends PodRecordFields {
  namespace: string;
  name: string;
  uid: string;
  /** `running` or `exited` when no record exists; a record's state otherwise. */
  state: string;
  /** Latest file mtime, ms. */
  lastActivity: number;
  /**
   * Creation time (ISO-8601): the pod's `metadata.creationTimestamp` when recorded, else its log folder's
   * birth time, or its oldest file's mtime when that is earlier (a folder copied or restored is born anew
   * but keeps its files' mtimes, and a pod cannot have written a file before it existed).
   */
  createdAt?: string;
  /** `stdio` marks a copy of the kubelet's container stdout/stderr (CRI format, decoded when viewed). */
  containers: { name: string; files: { name: string; size: number; mtime: number; live: boolean; kind: string; stdio?: true }[] }[];
}

/** States that count as "running" for `?state=running`. */
export const RUNNING_STATES: ReadonlySet<string> = new Set(['running', 'pending']);

/**
 * Build the API view of a pod. Without a record, a pod is `running` when a live file changed within
 * `runningWindowMs` of `now`, else `exited`. Files are sorted live first, then newest first by mtime (rotation numbering differs: log4j's
 * default makes `.1` the oldest, logrotate the newest).
 */
export function podView(pod: PodEntry, record: PodRecordFields | undefined, now: number, runningWindowMs: number): PodView {
  const containers = [...pod.containers.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => ({
      name: c.name,
      files: [...c.files.values()]
        .sort((a, b) => Number(b.live) - Number(a.live) || b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name))
        .map((f) => ({ name: f.name, size: f.size, mtime: Math.round(f.mtimeMs), live: f.live, kind: f.kind, ...(isCriCopy(f.name) ? { stdio: true as const } : {}) })),
    }));
  const recentlyWritten = containers.some((c) => c.files.some((f) => f.live && now - f.mtime < runningWindowMs));
  const created = Math.min(pod.createdMs || Infinity, ...containers.flatMap((c) => c.files.map((f) => f.mtime)));
  return {
    ...record,
    namespace: pod.namespace,
    name: pod.name,
    uid: pod.uid,
    state: record?.state ?? (recentlyWritten ? 'running' : 'exited'),
    lastActivity: Math.round(pod.lastActivityMs),
    createdAt: typeof record?.createdAt === 'string' ? record.createdAt : Number.isFinite(created) ? new Date(created).toISOString() : undefined,
    containers,
  };
}
