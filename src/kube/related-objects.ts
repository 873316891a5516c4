/**
 * The objects that name what is at fault for a pod, read from the API server: its Job or ReplicaSet (and
 * the Job's CronJob's Events), its PersistentVolumeClaims with their Events and StorageClasses, the nodes
 * (only while the pod is unscheduled, for their taints), and the preemptor pod and the PriorityClasses
 * named by a `Preempted` Event. Shared by `podlog diagnose --kubeconfig` and the agent's diagnosis route.
 *
 * Best effort and bounded: an object that cannot be read (403, 404, a timeout) is left out; every call
 * shares one deadline and a small concurrency. The requests go through the {@link KubeApi} the caller
 * passes, so importing this module loads no client.
 */
import pLimit from 'p-limit';
import type { EventJson, KubeObjectJson, PodJson } from '../diagnose/types.ts';
import type { KubeApi } from './api.ts';
import { apiPath } from './api-path.ts';

/** Bounds of one {@link fetchRelated}. */
export interface RelatedLimits {
  /** Time for all calls together, in ms; what has not answered by then is left out. */
  deadlineMs: number;
  /** API calls in flight at once. */
  concurrency: number;
  /** Nodes listed at most (one page), for their taints. */
  maxNodes: number;
}

/** Nodes asked for per list call. */
const NODE_PAGE = 100;

/** Defaults: 5 s for everything, 4 calls at once, up to 5,000 nodes. */
export const RELATED_LIMITS: RelatedLimits = { deadlineMs: 5_000, concurrency: 4, maxNodes: 5_000 };

/** What {@link fetchRelated} found: objects for `DiagnoseInput.objects`, and Events the caller did not have. */
export interface RelatedObjects {
  objects: KubeObjectJson[];
  events: EventJson[];
}

/** A list as the API server sends it. */
interface ListJson<T> {
  items?: T[];
  metadata?: { continue?: string };
}

/**
 * Read the objects related to `pod` (see the module doc). `events` are the Events the caller already has
 * (a `Preempted` Event among them names the preemptor); Events read here that the caller lacks are returned.
 * Never throws: whatever cannot be read within the limits is left out.
 */
export async function fetchRelated(api: KubeApi, pod: PodJson, events: EventJson[], limits: RelatedLimits = RELATED_LIMITS): Promise<RelatedObjects> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const deadline = AbortSignal.timeout(limits.deadlineMs);
  const limit = pLimit(limits.concurrency);
  // The abort ends the request; the race also ends the wait should the request ignore it.
  const expired = new Promise<undefined>((resolve) => deadline.addEventListener('abort', () => resolve(undefined), { once: true }));
  const call = <T>(f: () => Promise<T>): Promise<T | undefined> =>
    limit(async () => (deadline.aborted ? undefined : await Promise.race([f(), expired]))).catch(() => undefined);
  const objects: KubeObjectJson[] = [];
  const extra: EventJson[] = [];
  const have = new Set(events.map(eventKey));
  const read = <T>(path: string, query?: Record<string, string | number | undefined>) => () => api<T>({ path, query, signal: deadline });
  const get = async (kind: string, path: string): Promise<KubeObjectJson | undefined> => {
    const r = await call(read<KubeObjectJson>(path));
    if (r === undefined) return undefined;
    const o = { ...r, kind };
    objects.push(o);
    return o;
  };
  const listEvents = async (fieldSelector: string): Promise<void> => {
    const r = await call(read<ListJson<EventJson>>(apiPath`/api/v1/namespaces/${namespace}/events`, { fieldSelector }));
    for (const e of r?.items ?? []) {
      const k = eventKey(e);
      if (have.has(k)) continue;
      have.add(k);
      extra.push(e);
    }
  };

  const owners = (pod.metadata?.ownerReferences ?? []).map(async (o) => {
    if (o.kind === 'Job') {
      const job = await get('Job', apiPath`/apis/batch/v1/namespaces/${namespace}/jobs/${o.name}`);
      await Promise.all((job?.metadata?.ownerReferences ?? []).filter((c) => c.kind === 'CronJob')
        .map((c) => listEvents(c.uid ? `involvedObject.uid=${c.uid}` : `involvedObject.kind=CronJob,involvedObject.name=${c.name}`)));
    } else if (o.kind === 'ReplicaSet') {
      await get('ReplicaSet', apiPath`/apis/apps/v1/namespaces/${namespace}/replicasets/${o.name}`);
    }
  });
  const classesRead = new Set<string>();
  const claims = [...new Set((pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((x): x is string => !!x))].map(async (claim) => {
    const [pvc] = await Promise.all([
      get('PersistentVolumeClaim', apiPath`/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claim}`),
      listEvents(`involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${claim}`),
    ]);
    const sc = pvc?.spec?.['storageClassName'];
    if (typeof sc === 'string' && !classesRead.has(sc)) {
      classesRead.add(sc);
      await get('StorageClass', apiPath`/apis/storage.k8s.io/v1/storageclasses/${sc}`);
    }
  });
  const nodes = pod.spec?.nodeName ? [] : [(async () => {
    // Listing nodes needs cluster-wide rights; without them the diagnosis names no taints. Pages of
    // NODE_PAGE, each cut to names and taints, so a large cluster's Node objects are never all held at once.
    let cont: string | undefined;
    for (let n = 0; n < limits.maxNodes;) {
      const r = await call(read<ListJson<KubeObjectJson>>('/api/v1/nodes', { limit: Math.min(NODE_PAGE, limits.maxNodes - n), continue: cont }));
      if (!r) return;
      const items = r.items ?? [];
      for (const node of items) {
        const taints = node.spec?.['taints'];
        objects.push({ kind: 'Node', metadata: { name: node.metadata?.name ?? '' }, ...(taints ? { spec: { taints } } : {}) });
      }
      n += items.length;
      cont = r.metadata?.continue || undefined;
      if (!cont || items.length === 0) return;
    }
  })()];
  const priority = (async () => {
    const preempted = events.map((e) => (e.reason === 'Preempted' ? e.related : undefined)).find((r) => r?.name);
    const classes = new Set([pod.spec?.priorityClassName].filter((x): x is string => !!x));
    if (preempted?.name) {
      const p = await get('Pod', apiPath`/api/v1/namespaces/${preempted.namespace || namespace}/pods/${preempted.name}`);
      const pc = p?.spec?.['priorityClassName'];
      if (typeof pc === 'string') classes.add(pc);
    }
    await Promise.all([...classes].map((c) => get('PriorityClass', apiPath`/apis/scheduling.k8s.io/v1/priorityclasses/${c}`)));
  })();
  await Promise.all([...owners, ...claims, ...nodes, priority]);
  // The calls answer in any order; the result does not depend on it.
  const rank = (k?: string) => KIND_ORDER.indexOf(k ?? '');
  objects.sort((a, b) => rank(a.kind) - rank(b.kind) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return { objects, events: extra };
}

const KIND_ORDER = ['Job', 'ReplicaSet', 'PersistentVolumeClaim', 'StorageClass', 'Node', 'Pod', 'PriorityClass'];

/** Identity of an Event for de-duplication: its namespace and name (an Event's name is unique per namespace). */
export function eventKey(e: EventJson): string {
  const m = e.metadata;
  return m?.name ? `${m.namespace ?? ''}/${m.name}` : JSON.stringify(e);
}
