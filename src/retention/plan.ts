/**
 * Pure retention planning for one root: given the pods under it, the disk usage and the policy, decide what
 * to delete and why. No I/O; `executor.ts` carries the plan out. Rules:
 * 1. age: an exited pod's folder goes `maxAge` after the pod ended;
 * 2. budget / floor: while the root is over its byte budget or its file system is below the free-space
 *    floor, whole exited pods go oldest first, then rotated files of running and idle pods oldest first,
 *    then whole idle pods (no record, no recent write) oldest first;
 * 3. never the live file of a running pod;
 * 4. never unshipped bytes of a priority pod unless the free-space floor is breached, and then last
 *    (those actions carry `unshippedBytes > 0` so the caller counts and logs them).
 * Freed space is projected as the files' apparent sizes (a file still held open by a process frees
 * nothing until closed; rotated files normally are not).
 */
import type { FileKind } from '../store/types.ts';
import type { RetentionPolicy } from './config.ts';
import { formatBytes, formatDuration, formatLimit, resolveLimit } from './quantity.ts';

/** One file of a pod, as the planner sees it. */
export interface PlanFile {
  /** Absolute path. */
  path: string;
  /** Bytes. */
  size: number;
  /** Modification time, ms since the epoch. */
  mtimeMs: number;
  /** True for the file the process appends to (by name, see `classifyFileName`). */
  live: boolean;
  kind: FileKind;
  /** Inode at planning time; the executor skips the file when the path then names another inode. */
  ino?: number;
}

/** One pod generation folder `<root>/<ns>_<pod>_<uid>`. */
export interface PlanPod {
  /** `<namespace>/<name>/<uid>`, for reports. */
  key: string;
  /** Absolute path of the pod folder. */
  path: string;
  /**
   * `exited`: the pod record says deleted, succeeded or failed. `running`: the record says running/pending/unknown,
   * or, without a record, a live file changed recently. `idle`: no record and no recent write (see `pod-state.ts`):
   * it goes by age like an exited pod (the rule: exited once none of its files changed for maxAge), and
   * under pressure only after the rotated files of running pods.
   */
  state: 'running' | 'exited' | 'idle';
  /** Latest file mtime, ms since the epoch. */
  lastActivityMs: number;
  /** When the pod ended (record `deletedAt` or last container `finishedAt`), ms; when absent, lastActivityMs counts. */
  endedAtMs?: number;
  /** False when the pod is known not to be a priority pod; its unshipped bytes are then not protected. */
  priority?: boolean;
  files: PlanFile[];
}

/** Disk usage of one root, bytes. */
export interface DiskUsage {
  /** Sum of the catalog's file sizes under the root. */
  rootBytes: number;
  /** Size of the root's file system (statfs blocks × block size). */
  fsTotal: number;
  /** Bytes available to the agent on it (statfs `bavail` × block size). */
  fsFree: number;
}

/** Input of {@link planRetention}. */
export interface PlanInput {
  pods: PlanPod[];
  usage: DiskUsage;
  policy: RetentionPolicy;
  /** Now, ms since the epoch. */
  now: number;
  /** Bytes of a file not yet acknowledged by Elasticsearch (0 when it does not ship). */
  unshipped: (path: string) => number;
}

/** Why something goes: `age` (exited longer than maxAge), `budget` (root over its byte budget), `floor` (file system below the free-space floor). */
export type EvictReason = 'age' | 'budget' | 'floor';

/** One deletion. */
export interface EvictAction {
  /** `pod`: remove the whole pod folder; `file`: unlink one file. */
  kind: 'pod' | 'file';
  path: string;
  /** Bytes freed (projected). */
  bytes: number;
  reason: EvictReason;
  /** Pod key (`ns/name/uid`). */
  pod: string;
  /** Unshipped priority bytes deleted with it (> 0 only for `floor`). */
  unshippedBytes: number;
  /** Expected inode of a `file` action. */
  ino?: number;
  /** One plain sentence: why this goes. */
  why: string;
}

/** Result of {@link planRetention}. */
export interface RetentionPlan {
  actions: EvictAction[];
  /** The root's byte budget resolved against the file system, when one is set. */
  budgetBytes?: number;
  /** The free-space floor, bytes. */
  floorBytes: number;
  usageBefore: DiskUsage;
  /** Usage once every action is done (projected). */
  usageAfter: DiskUsage;
  /** True when the root started over budget or below the floor. */
  overBefore: boolean;
  /** True when the plan could not get under budget and above the floor. */
  stillOver: boolean;
  /** Unshipped priority bytes of evictable files (exited pods' files, running pods' rotated files) kept although over budget or below the floor. */
  heldUnshippedBytes: number;
  /** Pods left after the plan. */
  keptPods: number;
  /** End time (ms) of the oldest pod left, by ended-at or last activity; undefined when none is left. */
  oldestKeptMs?: number;
}

/** Planner state of one file. */
interface Item {
  pod: PlanPod;
  f: PlanFile;
  /** Unshipped priority bytes, -1 until asked. */
  u: number;
  gone: boolean;
}

/** When a pod ended: the record's time when known (file times can be later: copies, touches), else its last file change. */
const endOf = (p: PlanPod): number => p.endedAtMs ?? p.lastActivityMs;
const byEnd = (a: PlanPod, b: PlanPod): number => endOf(a) - endOf(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Plan one retention pass over one root (pure, deterministic: ties break by key and path).
 * Cost: O(files · log files) for the sort of rotated files; one `unshipped` call per file.
 */
export function planRetention(input: PlanInput): RetentionPlan {
  const { pods, usage, policy, now } = input;
  const budgetBytes = policy.maxBytes ? resolveLimit(policy.maxBytes, usage.fsTotal) : undefined;
  const floorBytes = resolveLimit(policy.minFree, usage.fsTotal);
  let root = usage.rootBytes;
  let free = usage.fsFree;
  const actions: EvictAction[] = [];
  // Per-file state lives on one small item per file (no Map/Set keyed by 100,000 path strings).
  const gonePods = new Set<PlanPod>();
  const itemsByPod = new Map<PlanPod, Item[]>();
  const items = (pod: PlanPod): Item[] => {
    let list = itemsByPod.get(pod);
    if (!list) itemsByPod.set(pod, (list = pod.files.map((f) => ({ pod, f, u: -1, gone: false }))));
    return list;
  };
  const held = (it: Item): number => {
    if (it.u < 0) it.u = it.pod.priority === false ? 0 : Math.min(it.f.size, Math.max(0, input.unshipped(it.f.path)));
    return it.u;
  };
  const overBudget = () => budgetBytes !== undefined && root > budgetBytes;
  const belowFloor = () => free < floorBytes;
  const pressure = (): EvictReason | undefined => (overBudget() ? 'budget' : belowFloor() ? 'floor' : undefined);
  const overBefore = pressure() !== undefined;
  const take = (a: Omit<EvictAction, 'pod'>, pod: PlanPod) => {
    actions.push({ ...a, pod: pod.key });
    root -= a.bytes;
    free += a.bytes;
  };
  const takeFile = (it: Item, reason: EvictReason, unshippedBytes: number, why: string) => {
    it.gone = true;
    take({ kind: 'file', path: it.f.path, bytes: it.f.size, reason, unshippedBytes, ...(it.f.ino !== undefined ? { ino: it.f.ino } : {}), why }, it.pod);
  };
  const pressureWords = (r: EvictReason): string =>
    r === 'budget'
      ? `root over its budget of ${formatLimit(policy.maxBytes!)} (${formatBytes(root)} used)`
      : `free space below the floor of ${formatLimit(policy.minFree)} (${formatBytes(free)} free)`;

  /** Remove a pod: the whole folder, or only its files holding no unshipped priority bytes. */
  const evictPod = (pod: PlanPod, reason: EvictReason, why: string, allowUnshipped: boolean): void => {
    const left = items(pod).filter((it) => !it.gone);
    let unshippedBytes = 0;
    for (const it of left) unshippedBytes += held(it);
    if (unshippedBytes === 0 || allowUnshipped) {
      let bytes = 0;
      for (const it of left) {
        bytes += it.f.size;
        it.gone = true;
      }
      gonePods.add(pod);
      take({ kind: 'pod', path: pod.path, bytes, reason, unshippedBytes, why: unshippedBytes > 0 ? `${why}; deletes ${formatBytes(unshippedBytes)} not yet shipped` : why }, pod);
      return;
    }
    for (const it of left) if (held(it) === 0) takeFile(it, reason, 0, `${why}; the pod's unshipped files stay`);
  };

  const exited = pods.filter((p) => p.state === 'exited').sort(byEnd);
  const idle = pods.filter((p) => p.state === 'idle').sort(byEnd);
  // 1. Age: exited pods, and idle pods none of whose files changed for maxAge.
  for (const pod of [...exited, ...idle].sort(byEnd)) {
    const age = now - endOf(pod);
    if (age < policy.maxAgeMs) continue;
    const words = pod.state === 'exited' ? `exited ${formatDuration(age)} ago` : `no pod record and no file written for ${formatDuration(age)}`;
    evictPod(pod, 'age', `${words} (max age ${formatDuration(policy.maxAgeMs)})`, false);
  }
  // 2a. Whole exited pods, oldest first.
  for (const pod of exited) {
    const r = pressure();
    if (!r) break;
    if (gonePods.has(pod)) continue;
    evictPod(pod, r, `${pressureWords(r)}: oldest exited pod (ended ${formatDuration(now - endOf(pod))} ago)`, false);
  }
  // 2b. Rotated files of running (and idle) pods, oldest first.
  const rotated: Item[] = [];
  if (pressure()) {
    for (const pod of pods) if (pod.state !== 'exited' && !gonePods.has(pod)) for (const it of items(pod)) if (!it.f.live) rotated.push(it);
    rotated.sort((a, b) => a.f.mtimeMs - b.f.mtimeMs || (a.f.path < b.f.path ? -1 : 1));
    for (const it of rotated) {
      const r = pressure();
      if (!r) break;
      if (it.gone || held(it) > 0) continue;
      takeFile(it, r, 0, `${pressureWords(r)}: rotated file of ${it.pod.state === 'idle' ? 'an idle' : 'a running'} pod (written ${formatDuration(now - it.f.mtimeMs)} ago)`);
    }
  }
  // 2c. Whole idle pods (no record, nothing written lately), oldest first.
  for (const pod of idle) {
    const r = pressure();
    if (!r) break;
    if (gonePods.has(pod)) continue;
    evictPod(pod, r, `${pressureWords(r)}: idle pod without a record (no file written for ${formatDuration(now - endOf(pod))})`, false);
  }
  // 3. Below the floor only: unshipped priority data, exited pods first, then rotated files of running pods.
  if (belowFloor()) {
    for (const pod of [...exited, ...idle]) {
      if (!belowFloor()) break;
      if (gonePods.has(pod)) continue;
      evictPod(pod, 'floor', `${pressureWords('floor')}: oldest exited pod, although not fully shipped`, true);
    }
    for (const it of rotated) {
      if (!belowFloor()) break;
      if (it.gone) continue;
      const u = held(it);
      takeFile(it, 'floor', u, `${pressureWords('floor')}: rotated file of ${it.pod.state === 'idle' ? 'an idle' : 'a running'} pod, although ${formatBytes(u)} are not yet shipped`);
    }
  }

  let heldUnshippedBytes = 0;
  let oldestKeptMs: number | undefined;
  let keptPods = 0;
  for (const pod of pods) {
    if (gonePods.has(pod)) continue;
    keptPods++;
    const end = pod.state === 'running' ? pod.lastActivityMs : endOf(pod);
    if (oldestKeptMs === undefined || end < oldestKeptMs) oldestKeptMs = end;
    if (overBefore) for (const it of items(pod)) if ((pod.state !== 'running' || !it.f.live) && !it.gone) heldUnshippedBytes += held(it);
  }
  return {
    actions,
    ...(budgetBytes !== undefined ? { budgetBytes } : {}),
    floorBytes,
    usageBefore: { ...usage },
    usageAfter: { rootBytes: root, fsTotal: usage.fsTotal, fsFree: free },
    overBefore,
    stillOver: pressure() !== undefined,
    heldUnshippedBytes,
    keptPods,
    ...(oldestKeptMs !== undefined ? { oldestKeptMs } : {}),
  };
}
