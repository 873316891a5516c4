import { Router, type Request } from 'express';
import { namespaceFilter } from '../../auth/middleware.ts';
import { PodlogError } from '../../errors.ts';
import { queryString } from '../params.ts';
import type { CatalogView } from '../../store/types.ts';
import type { KubeConfigKeys, Priority } from '../../kube/config.ts';
import type { KubeEvent } from '../../kube/events.ts';
import type { ClusterLookup } from '../../kube/index.ts';
import { jobOf } from '../../kube/jobs.ts';
import type { PodRecords } from '../../kube/records.ts';
import { podRecordSummary, type PodRecordSummary } from '../../kube/summary.ts';

/** Dependencies of {@link kubeRouter}. */
export interface KubeRouterDeps {
  /** Pod records; undefined when the agent has no cluster link. */
  records: PodRecords | undefined;
  /** Live API server and Lease holder; undefined without a cluster link (or in tests). */
  lookup?: ClusterLookup;
  /** The log folders (pods with logs but no record still appear in `/jobs`). */
  catalog?: CatalogView;
  config: KubeConfigKeys;
  /**
   * Asks another agent for JSON as the caller (`askAgent` of `src/cluster/forward.ts`, the one peer client: it
   * forwards the caller's credentials); used to ask the elected agent about gone pods.
   */
  askPeer?: (req: Request, url: string) => Promise<Response>;
  /** Keeps, for `/jobs`, only the namespaces the caller may list (default: `namespaceFilter` of `src/auth/middleware.ts`, verb `list`). */
  listFilter?: (req: Request, namespaces: string[]) => Promise<(ns: string) => boolean>;
}

const listable = (req: Request, namespaces: string[]) => namespaceFilter(req, namespaces, 'list');

const NAME_RE = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const UID_RE = /^[A-Za-z0-9-]{1,64}$/;

function nameParam(what: string, v: string | undefined): string {
  if (!v || !NAME_RE.test(v)) throw new PodlogError('PODLOG_E_BAD_PARAM', `${what} must be a Kubernetes name (lower-case letters, digits, '-', '.')`);
  return v;
}

/** Body of `GET /namespaces/{ns}/pods/{pod}/events`. */
export interface PodEventsResponse {
  namespace: string;
  pod: string;
  uid?: string;
  /** `record`: this agent's record; `api`: the live API server; `peer`: the elected agent's record. */
  source: 'record' | 'api' | 'peer';
  deletedAt?: string;
  /** core/v1 Events, oldest first by last seen. */
  events: KubeEvent[];
}

/** One pod of a job in `GET /jobs`. */
export interface JobPod extends Partial<PodRecordSummary> {
  name: string;
  uid: string;
  component?: string;
  /** True when the agent has log files of this pod generation. */
  hasLogs: boolean;
  /** True when the agent has a record of it. */
  recorded: boolean;
}

/** One job in `GET /jobs`. */
export interface JobView {
  namespace: string;
  id: string;
  /** Highest priority over its pods (P0 highest). */
  priority?: Priority;
  /** Pod count per state (`deleted`, `running`, ..., `unrecorded` for log folders without a record). */
  states: Record<string, number>;
  pods: JobPod[];
}

/**
 * Routes of the cluster link, mounted under `/api/v1`:
 * - `GET /namespaces/:ns/pods/:pod/events[?uid=][&local=1]` → {@link PodEventsResponse}: this agent's record
 *   (uid given: that generation, else the newest); else the live pod's Events from the API server; else the
 *   elected agent's record (`local=1` stops that hop). 404 `PODLOG_E_NOT_FOUND` when nobody knows the pod,
 *   503 `PODLOG_E_UNAVAILABLE` without a cluster link and no record, 502 `PODLOG_E_UPSTREAM` when the API
 *   server fails.
 * - `GET /jobs[?namespace=]` → `{jobs: JobView[]}` (`partial: true` while the catalog's first scan runs): records joined with catalog pods (pods with logs but no
 *   record get their job from the Flink pod name), across states, sorted by namespace and id.
 * Errors are thrown as PodlogError for the app's error middleware.
 */
export function kubeRouter(deps: KubeRouterDeps): Router {
  const r = Router();
  r.get('/namespaces/:ns/pods/:pod/events', async (req: Request<{ ns: string; pod: string }>, res) => {
    const ns = nameParam('namespace', req.params.ns);
    const pod = nameParam('pod', req.params.pod);
    const uid = queryString(req.query.uid) || undefined;
    if (uid !== undefined && !UID_RE.test(uid)) throw new PodlogError('PODLOG_E_BAD_PARAM', 'uid must be a pod uid');
    const localOnly = queryString(req.query.local) === '1';
    const rec = deps.records?.get(ns, pod, uid);
    if (rec) {
      const body: PodEventsResponse = { namespace: ns, pod, uid: rec.uid, source: 'record', ...(rec.deletedAt ? { deletedAt: rec.deletedAt } : {}), events: rec.events };
      res.json(body);
      return;
    }
    if (localOnly || !deps.lookup) {
      if (!deps.records) throw new PodlogError('PODLOG_E_UNAVAILABLE', 'this agent has no Kubernetes cluster link');
      throw new PodlogError('PODLOG_E_NOT_FOUND', `no record of pod ${ns}/${pod}`);
    }
    let live;
    try {
      live = await deps.lookup.livePod(ns, pod);
    } catch (err) {
      throw new PodlogError('PODLOG_E_UPSTREAM', 'the Kubernetes API server did not answer', { cause: err });
    }
    if (live && (uid === undefined || live.pod.metadata?.uid === uid)) {
      res.json({ namespace: ns, pod, uid: live.pod.metadata?.uid, source: 'api', events: live.events } satisfies PodEventsResponse);
      return;
    }
    const holder = deps.lookup.isLeader() ? undefined : deps.lookup.leader();
    if (holder?.address) {
      const body = deps.askPeer ? await askHolder(req, deps.askPeer, holder.address, ns, pod, uid) : undefined;
      if (body) {
        res.json({ ...body, source: 'peer' });
        return;
      }
    }
    throw new PodlogError('PODLOG_E_NOT_FOUND', `pod ${ns}/${pod} is not live and no agent has a record of it`);
  });

  r.get('/jobs', async (req, res) => {
    const nsFilter = queryString(req.query.namespace) || undefined;
    if (nsFilter !== undefined) nameParam('namespace', nsFilter);
    const jobs = buildJobs(deps, nsFilter);
    const allowed = await (deps.listFilter ?? listable)(req, jobs.map((j) => j.namespace));
    res.json({ jobs: jobs.filter((j) => allowed(j.namespace)), ...(deps.catalog?.scanning ? { partial: true } : {}) });
  });
  return r;
}

async function askHolder(req: Request, ask: (req: Request, url: string) => Promise<Response>, base: string, ns: string, pod: string,
  uid: string | undefined): Promise<PodEventsResponse | undefined> {
  const url = new URL(`/api/v1/namespaces/${ns}/pods/${pod}/events`, base);
  url.searchParams.set('local', '1');
  if (uid) url.searchParams.set('uid', uid);
  try {
    const res = await ask(req, String(url));
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as PodEventsResponse;
  } catch (err) {
    throw new PodlogError('PODLOG_E_UPSTREAM', 'the agent holding the cluster records did not answer', { cause: err });
  }
}

const RANK: Record<Priority, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** Group records and catalog pods by (namespace, job id). Pure apart from reading the two sources. */
export function buildJobs(deps: Pick<KubeRouterDeps, 'records' | 'catalog' | 'config'>, namespace?: string): JobView[] {
  const jobs = new Map<string, JobView>();
  const seen = new Set<string>();
  const withLogs = new Set((deps.catalog?.pods() ?? []).map((p) => p.uid));
  const add = (ns: string, id: string, p: JobPod, priority?: Priority): void => {
    const key = `${ns}/${id}`;
    let j = jobs.get(key);
    if (!j) jobs.set(key, (j = { namespace: ns, id, states: {}, pods: [] }));
    j.pods.push(p);
    const st = p.state ?? 'unrecorded';
    j.states[st] = (j.states[st] ?? 0) + 1;
    if (priority && (!j.priority || RANK[priority] < RANK[j.priority])) j.priority = priority;
  };
  for (const rec of deps.records?.list() ?? []) {
    if (namespace && rec.namespace !== namespace) continue;
    seen.add(rec.uid);
    const job = jobOf(rec, deps.config);
    if (!job) continue;
    const s = podRecordSummary(rec, deps.config);
    add(rec.namespace, job.id, { ...s, name: rec.name, uid: rec.uid, hasLogs: withLogs.has(rec.uid), recorded: true }, s.priority);
  }
  for (const p of deps.catalog?.pods() ?? []) {
    if (seen.has(p.uid) || (namespace && p.namespace !== namespace)) continue;
    const job = jobOf({ labels: {}, name: p.name }, deps.config);
    if (!job) continue;
    add(p.namespace, job.id, { name: p.name, uid: p.uid, ...(job.component ? { component: job.component } : {}), hasLogs: true, recorded: false });
  }
  const out = [...jobs.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.id.localeCompare(b.id));
  for (const j of out) j.pods.sort((a, b) => a.name.localeCompare(b.name) || a.uid.localeCompare(b.uid));
  return out;
}
