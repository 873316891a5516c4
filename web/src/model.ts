/**
 * Pure model of the browser: derive each pod's Flink job (cluster-id), component and state, then
 * group namespaces → jobs → pods, sorted by last activity, filtered by a text box. No DOM.
 *
 * Flink native Kubernetes naming (Flink docs, "Native Kubernetes", and
 * flink-kubernetes `KubernetesTaskManagerFactory`/`KubernetesJobManagerFactory`): the JobManager is a
 * Deployment named `<cluster-id>`, so its pods are `<cluster-id>-<pod-template-hash>-<5 chars>`;
 * TaskManagers are bare pods `<cluster-id>-taskmanager-<attempt>-<index>`. Flink labels its pods
 * `app=<cluster-id>`, `component=jobmanager|taskmanager`, `type=flink-native-kubernetes`.
 */
import type { ApiPod, PodState } from './api.ts';

/** Pod name of a TaskManager: `<cluster-id>-taskmanager-<attempt>-<index>`. */
const TM_RE = /^(.+)-taskmanager-(\d+)-(\d+)$/;
/** Pod name of a Deployment pod: `<deployment>-<pod-template-hash>-<5 chars>` (hash: 6–10 of [a-z0-9]). */
const DEPLOY_RE = /^(.+)-([a-z0-9]{6,10})-([a-z0-9]{5})$/;
/** StatefulSet-free fallback: `<cluster-id>-<hash>` with a single hash suffix. */
const SINGLE_HASH_RE = /^(.+)-([a-z0-9]{5,10})$/;

/** What a pod name tells about its Flink job. `job` is the cluster-id; undefined when not a Flink pod name. */
export interface FlinkName {
  job?: string;
  component?: 'jobmanager' | 'taskmanager';
}

/**
 * Derive the cluster-id from a pod name. `knownJobs` (cluster-ids seen on TaskManagers) lets a
 * `<cluster-id>-<hash>` name be recognised even without the Deployment's two-part suffix.
 */
export function flinkFromName(name: string, knownJobs: ReadonlySet<string> = new Set()): FlinkName {
  const tm = TM_RE.exec(name);
  if (tm?.[1]) return { job: tm[1], component: 'taskmanager' };
  const dep = DEPLOY_RE.exec(name);
  if (dep?.[1] && /\d/.test(dep[2] ?? '')) return { job: dep[1], component: 'jobmanager' };
  const single = SINGLE_HASH_RE.exec(name);
  if (single?.[1] && knownJobs.has(single[1])) return { job: single[1], component: 'jobmanager' };
  if (dep?.[1] && knownJobs.has(dep[1])) return { job: dep[1], component: 'jobmanager' };
  return {};
}

/** A pod as the browser shows it. `state` is always filled in. */
export interface PodView {
  pod: ApiPod;
  job: string;
  component: string;
  state: PodState;
  /** Exit code to show (the first non-zero, else the first), when known. */
  exitCode?: number;
  restarts?: number;
  /** Start of the pod (ms) when known. */
  createdAt?: number;
}

/** Job name used for pods that are not part of a recognisable Flink cluster. */
export const NO_JOB = '(no job)';

/** A pod counts as running (without a Kubernetes record) when a live file changed within this many ms. */
export const RUNNING_WINDOW_MS = 5 * 60_000;

function toMs(v: number | string | null | undefined): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(n) ? n : undefined;
}

function exitCodeOf(p: ApiPod): number | undefined {
  const e = p.exitCodes;
  if (e === undefined || e === null) return undefined;
  const all = typeof e === 'number' ? [e] : Array.isArray(e) ? e : Object.values(e);
  const nums = all.filter((x): x is number => typeof x === 'number');
  return nums.find((x) => x !== 0) ?? nums[0];
}

/** State of a pod: the record's when present, else derived from live-file activity at `now`. */
export function podState(p: ApiPod, now: number): PodState {
  if (p.deletedAt) {
    const s = (p.state ?? '').toLowerCase();
    if (s === 'failed') return 'failed';
    return 'deleted';
  }
  const s = (p.state ?? p.phase ?? '').toLowerCase();
  if (s === 'running' || s === 'exited' || s === 'failed' || s === 'deleted' || s === 'pending') return s;
  if (s === 'succeeded' || s === 'completed' || s === 'terminated') return 'exited';
  if (s === 'unknown') return 'unknown';
  const liveChanged = p.containers.some((c) => c.files.some((f) => f.live && now - f.mtime < RUNNING_WINDOW_MS));
  return liveChanged ? 'running' : 'exited';
}

/** Build the view of every pod: job from record/labels, else from Flink naming. */
export function viewPods(pods: ApiPod[], now: number): PodView[] {
  const known = new Set<string>();
  for (const p of pods) {
    const tm = TM_RE.exec(p.name);
    if (tm?.[1]) known.add(`${p.namespace}/${tm[1]}`);
  }
  return pods.map((pod) => {
    const labels = pod.labels ?? {};
    const nsKnown = new Set([...known].filter((k) => k.startsWith(`${pod.namespace}/`)).map((k) => k.slice(pod.namespace.length + 1)));
    const fromName = flinkFromName(pod.name, nsKnown);
    const job = pod.job || (labels['type'] === 'flink-native-kubernetes' ? labels['app'] : undefined) || fromName.job || NO_JOB;
    const component = pod.component || labels['component'] || fromName.component || '';
    const v: PodView = { pod, job, component, state: podState(pod, now) };
    const ec = exitCodeOf(pod);
    if (ec !== undefined) v.exitCode = ec;
    if (typeof pod.restarts === 'number') v.restarts = pod.restarts;
    const created = toMs(pod.createdAt ?? pod.startedAt);
    if (created !== undefined) v.createdAt = created;
    return v;
  });
}

/** A job (Flink cluster) within a namespace. */
export interface JobGroup {
  name: string;
  lastActivity: number;
  pods: PodView[];
}

/** A namespace of the node. */
export interface NamespaceGroup {
  name: string;
  lastActivity: number;
  jobs: JobGroup[];
}

/** Which pods to show. `finished` = exited, failed or deleted. */
export type StateFilter = 'all' | 'running' | 'finished';

/** True when the pod, one of its containers or one of its files matches every word of `filter`. */
export function matches(v: PodView, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [v.pod.namespace, v.job, v.pod.name, v.pod.uid, v.state, v.component, ...v.pod.containers.flatMap((c) => [c.name, ...c.files.map((f) => f.name)])]
    .join(' ')
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}

/**
 * Group into namespaces → jobs → pods, each level sorted by last activity (newest first, ties by name).
 * Pods failing `filter` or `state` are left out; empty groups disappear.
 */
export function groupPods(views: PodView[], filter = '', state: StateFilter = 'all'): NamespaceGroup[] {
  const byNs = new Map<string, Map<string, PodView[]>>();
  for (const v of views) {
    if (state === 'running' && v.state !== 'running' && v.state !== 'pending') continue;
    if (state === 'finished' && (v.state === 'running' || v.state === 'pending')) continue;
    if (!matches(v, filter)) continue;
    let jobs = byNs.get(v.pod.namespace);
    if (!jobs) byNs.set(v.pod.namespace, (jobs = new Map()));
    const list = jobs.get(v.job) ?? [];
    list.push(v);
    jobs.set(v.job, list);
  }
  const byActivity = <T extends { lastActivity: number; name: string }>(a: T, b: T) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name);
  const out: NamespaceGroup[] = [];
  for (const [ns, jobs] of byNs) {
    const jobList: JobGroup[] = [];
    for (const [name, pods] of jobs) {
      pods.sort((a, b) => b.pod.lastActivity - a.pod.lastActivity || a.pod.name.localeCompare(b.pod.name));
      jobList.push({ name, pods, lastActivity: Math.max(...pods.map((p) => p.pod.lastActivity)) });
    }
    jobList.sort(byActivity);
    out.push({ name: ns, jobs: jobList, lastActivity: Math.max(...jobList.map((j) => j.lastActivity)) });
  }
  out.sort(byActivity);
  return out;
}

/**
 * Rank of a file name as a container's main log: `jobmanager.log`/`taskmanager.log` and other
 * `*.log` first, GC logs and `*.out` after (Flink writes all of them; the log4j file is the one people read).
 */
function mainLogRank(name: string): number {
  if (/^gc[^/]*\.log/i.test(name) || /\.out$/i.test(name)) return 1;
  if (/\.log$/i.test(name)) return 0;
  return 1;
}

/**
 * The "current file" of a container: the live main log (see {@link mainLogRank}) written most
 * recently, else any live file, else the newest file.
 */
export function currentFile<F extends { name: string; mtime: number; live: boolean }>(files: F[]): F | undefined {
  const live = files.filter((f) => f.live).sort((a, b) => mainLogRank(a.name) - mainLogRank(b.name) || b.mtime - a.mtime);
  return live[0] ?? [...files].sort((a, b) => b.mtime - a.mtime)[0];
}

/** Files sorted for display: current file first, then by mtime descending. */
export function sortFiles<F extends { name: string; mtime: number; live: boolean }>(files: F[]): F[] {
  const cur = currentFile(files);
  return [...files].sort((a, b) => (a === cur ? -1 : b === cur ? 1 : b.mtime - a.mtime || a.name.localeCompare(b.name)));
}
