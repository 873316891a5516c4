/**
 * Where the Flink job story's input comes from on an agent: the job's pods and Events from the pod records
 * (and the elected agent's owner records), and the JobManager's log from this node's store, scanned through
 * `scanFile`. Scans are cached per JobManager pod generation: unchanged files cost nothing, a grown live file is
 * read on from where the last scan stopped, and only a rotation rescans, so asking again for a busy job costs
 * the new bytes, not a read of the whole log. The same
 * cache is the job-id index behind the HistoryServer links ({@link JobLogCache.findJob}).
 */
import type { Logger } from 'pino';
import type { EventJson, PodJson } from '../diagnose/types.ts';
import type { KubeConfigKeys } from '../kube/config.ts';
import type { ClusterLookup } from '../kube/index.ts';
import { jobOf } from '../kube/jobs.ts';
import type { PodRecords } from '../kube/records.ts';
import type { CatalogView, PodEntry } from '../store/types.ts';
import { JobLogScanner, type JobLogSummary, type LogPlace } from './job-log.ts';
import type { JobStoryInput } from './job-story.ts';
import { openReader } from '../logfile/reader.ts';
import { openSafe } from '../store/safe-open.ts';
import { jobManagerFiles, scanFile, type ScanEnd } from './read-log.ts';

/** JobManager pod generations whose scans are kept; the least recently used is dropped beyond this. */
export const MAX_CACHED_SCANS = 32;

type LabelConfig = Pick<KubeConfigKeys, 'jobLabelKeys' | 'componentLabelKey'>;

/** Where a job's JobManager log is: the pod generation, container, and the job's first line in it. */
export interface JobLocation {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  place: LogPlace;
  name?: string;
}

/** Per JobManager pod generation: the file signature and the scan it gave. */
interface CachedScan {
  signature: string;
  summary: JobLogSummary;
  files: string[];
}

/** One file as it was scanned: identity and size, to tell growth from rotation. */
interface FileSig {
  name: string;
  ino: number;
  size: number;
  mtimeMs: number;
}

/** A cached scan that can go on: the scanner itself and where it stopped in the last (live) file. */
interface Resumable extends CachedScan {
  sigs: FileSig[];
  scanner: JobLogScanner;
  end?: ScanEnd;
}

/** Scans of this node's JobManager logs, cached by pod uid and file signature. */
export class JobLogCache {
  private readonly scans = new Map<string, Resumable>();
  private readonly catalog: CatalogView;
  private readonly logger: Logger;
  private readonly labels: (pod: PodEntry) => Record<string, string>;

  /**
   * @param labels the pod's labels when a record has them (to tell JobManagers from other pods); `{}` otherwise
   */
  constructor(deps: { catalog: CatalogView; logger: Logger; labels?: (pod: PodEntry) => Record<string, string> }) {
    this.catalog = deps.catalog;
    this.logger = deps.logger;
    this.labels = deps.labels ?? (() => ({}));
  }

  /**
   * The scan of one pod generation's JobManager log files, or undefined when it has none.
   * @throws PodlogError from the store's door when a file cannot be opened safely
   */
  async scan(pod: PodEntry): Promise<(CachedScan & { container: string }) | undefined> {
    const files = jobManagerFiles(pod);
    if (!files.length) return undefined;
    const entries = [...pod.containers.values()].flatMap((c) => [...c.files.values()]);
    const sigs: FileSig[] = files.map((f) => {
      const e = entries.find((x) => x.path === f.path);
      return { name: f.name, ino: e?.ino ?? 0, size: e?.size ?? 0, mtimeMs: e?.mtimeMs ?? 0 };
    });
    const container = [...pod.containers.values()].find((c) => c.files.has(files[files.length - 1]!.name))?.name ?? '';
    const signature = sigs.map((x) => `${x.name}:${x.ino}:${x.size}:${x.mtimeMs}`).join('|');
    const hit = this.scans.get(pod.uid);
    this.scans.delete(pod.uid);
    let entry: Resumable;
    if (hit && hit.signature === signature) entry = hit;
    else if (hit && hit.end && grewOnly(hit.sigs, sigs)) {
      // only the live file grew: read on from where the last scan stopped
      const end = await scanFile(files[files.length - 1]!, hit.scanner, hit.end, false);
      entry = { ...hit, signature, sigs, ...(end ? { end } : {}), summary: hit.scanner.preview() };
    } else {
      const scanner = new JobLogScanner();
      let end: ScanEnd | undefined;
      for (let i = 0; i < files.length; i++) end = await scanFile(files[i]!, scanner, undefined, i < files.length - 1);
      entry = { signature, sigs, scanner, ...(end ? { end } : {}), summary: scanner.preview(), files: files.map((f) => f.name) };
    }
    this.scans.set(pod.uid, entry);
    if (this.scans.size > MAX_CACHED_SCANS) this.scans.delete(this.scans.keys().next().value!);
    return { signature: entry.signature, summary: entry.summary, files: entry.files, container };
  }

  /** True when the pod looks like a JobManager: `component` label, else the name, else it has JobManager log files. */
  isJobManager(pod: PodEntry): boolean {
    const c = this.labels(pod)['component'];
    if (c) return c === 'jobmanager';
    return jobManagerFiles(pod).length > 0;
  }

  /**
   * Finds a Flink job id (32 hex digits) in this node's JobManager logs: the pod generation, container and the
   * job's first line. Scans (or reuses scans of) every JobManager pod here, newest activity first.
   */
  async findJob(jobId: string): Promise<JobLocation | undefined> {
    const pods = this.catalog.pods().filter((p) => this.isJobManager(p)).sort((a, b) => b.lastActivityMs - a.lastActivityMs);
    for (const p of pods) {
      let s;
      try {
        s = await this.scan(p);
      } catch (e) {
        this.logger.debug({ err: e, pod: p.name }, 'JobManager log not scanned');
        continue;
      }
      const j = s?.summary.jobs.find((x) => x.jobId === jobId);
      if (s && j) return { namespace: p.namespace, pod: p.name, uid: p.uid, container: s.container, place: j.first, ...(j.name ? { name: j.name } : {}) };
    }
    return undefined;
  }
}

/** Lines of `jobmanager.out` kept for the story. */
export const OUT_TAIL_LINES = 5;

/** The last lines of the pod's live `jobmanager.out` (opened through the store's door), if any. */
async function outTail(pod: PodEntry): Promise<{ file: string; lines: string[] } | undefined> {
  for (const c of pod.containers.values()) {
    const f = c.files.get('jobmanager.out');
    if (!f || f.size === 0) continue;
    const safe = await openSafe(pod.root, f.path);
    try {
      const t = await openReader(safe, f.name).tail(OUT_TAIL_LINES);
      return { file: f.name, lines: t.lines.map((l) => l.text) };
    } finally {
      await safe.handle.close();
    }
  }
  return undefined;
}

/** True when `now` is `before` with only the last file grown (same files, same identities, no shrink). */
function grewOnly(before: FileSig[], now: FileSig[]): boolean {
  if (before.length !== now.length) return false;
  for (let i = 0; i < now.length; i++) {
    const a = before[i]!;
    const b = now[i]!;
    if (a.name !== b.name || a.ino !== b.ino) return false;
    if (i < now.length - 1 ? a.size !== b.size : b.size < a.size) return false;
  }
  return true;
}

/** What {@link jobStorySource} reads. */
export interface JobStorySourceDeps {
  catalog: CatalogView;
  records?: PodRecords;
  lookup?: ClusterLookup;
  config: LabelConfig;
  cache: JobLogCache;
  logger: Logger;
  now?: () => number;
}

/** The answer of a source: the story's input, and the JobManager pod when its log is not on this node. */
export interface JobStorySourceResult {
  input: JobStoryInput;
  /** The job's JobManager pod (newest), whether or not its log is here. */
  jobManagerPod?: string;
  /** True when this node holds that JobManager's log. */
  logHere: boolean;
}

/**
 * The input of the job story for `namespace/job` (the job id as `GET /jobs` groups pods: Flink cluster-id).
 * @returns undefined when neither a record nor a log folder belongs to that job
 */
export function jobStorySource(deps: JobStorySourceDeps) {
  return async (namespace: string, job: string): Promise<JobStorySourceResult | undefined> => {
    const records = (deps.records?.list() ?? []).filter((r) => r.namespace === namespace && jobOf(r, deps.config)?.id === job);
    const folders = deps.catalog.pods().filter((p) => {
      if (p.namespace !== namespace) return false;
      const rec = records.find((r) => r.uid === p.uid);
      return rec ? true : jobOf({ labels: {}, name: p.name }, deps.config)?.id === job;
    });
    if (!records.length && !folders.length) return undefined;
    const pods = records.map((r) => r.pod as PodJson | undefined).filter((p): p is PodJson => !!p);
    const ownerUids = new Set(pods.flatMap((p) => (p.metadata?.ownerReferences ?? []).map((o) => o.uid)));
    const ownerEvents = (deps.lookup?.owners() ?? []).filter((o) => ownerUids.has(o.uid)).flatMap((o) => o.events as EventJson[]);
    const events = [...records.flatMap((r) => r.events as EventJson[]), ...ownerEvents];
    const isJm = (labels: Record<string, string> | undefined, name: string) =>
      labels?.[deps.config.componentLabelKey] === 'jobmanager' || labels?.['component'] === 'jobmanager' || (!labels?.['component'] && jobOf({ labels: {}, name }, deps.config)?.component === 'jobmanager');
    const jmFolders = folders.filter((f) => isJm((records.find((r) => r.uid === f.uid)?.pod?.metadata as { labels?: Record<string, string> } | undefined)?.labels, f.name) && jobManagerFiles(f).length)
      .sort((a, b) => b.lastActivityMs - a.lastActivityMs);
    const jmRecord = records.filter((r) => isJm((r.pod?.metadata as { labels?: Record<string, string> } | undefined)?.labels, r.name))
      .sort((a, b) => (b.deletedAt ? 0 : 1) - (a.deletedAt ? 0 : 1))[0];
    const now = new Date(deps.now?.() ?? Date.now());
    const folder = jmFolders[0];
    const recorded = new Set(records.map((r) => r.uid));
    const logOnlyPods = folders.filter((f) => !recorded.has(f.uid)).map((f) => ({ name: f.name, uid: f.uid }));
    let input: JobStoryInput = { namespace, job, pods, events, now, ...(logOnlyPods.length ? { logOnlyPods } : {}) };
    if (folder) {
      try {
        const s = await deps.cache.scan(folder);
        if (s) input = { ...input, log: s.summary, logSource: { pod: folder.name, uid: folder.uid, container: s.container, files: s.files } };
      } catch (e) {
        deps.logger.warn({ err: e, pod: folder.name }, 'JobManager log could not be read for the job story');
      }
      const out = await outTail(folder).catch((e: unknown) => {
        deps.logger.debug({ err: e, pod: folder.name }, 'no jobmanager.out tail');
        return undefined;
      });
      if (out?.lines.length) input = { ...input, jobManagerOut: out };
    }
    const jobManagerPod = folder?.name ?? jmRecord?.name;
    return { input, ...(jobManagerPod ? { jobManagerPod } : {}), logHere: !!input.log };
  };
}
