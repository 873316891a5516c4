import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
// The file alone, not the package index (which loads every generated API and model class); the package
// has no `exports` map, so it is reachable.
import { Watch } from '@kubernetes/client-node/dist/watch.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { systemClock, type Clock } from '../retry/backoff.ts';
import { kubeApi } from './api.ts';
import { apiPath } from './api-path.ts';
import type { KubeConfigKeys } from './config.ts';
import { logNoCluster } from './connect.ts';
import type { KubeEvent } from './events.ts';
import { LeaseElector, leaseApi, type LeaseHolder } from './lease.ts';
import { createKubeMetrics } from './metrics.ts';
import { Recorder, type PodWhereabouts } from './recorder.ts';
import { RecordStore } from './record-store.ts';
import type { OwnerRecord, PodRecord, PodRecords } from './records.ts';
import { Reflector, type KubeObject, type ListPage } from './reflector.ts';
import { eventKey, fetchRelated, RELATED_LIMITS, type RelatedObjects } from './related-objects.ts';
import pLimit from 'p-limit';
import type { EventJson, PodJson } from '../diagnose/types.ts';
import { LRUCache } from 'lru-cache';

/** What the HTTP routes need from the cluster beyond this agent's own records. */
export interface ClusterLookup {
  /** The pod as the API server has it now, with its Events; undefined when the API server has no such pod. */
  livePod(namespace: string, name: string): Promise<{ pod: KubeObject; events: KubeEvent[] } | undefined>;
  /** True while this agent holds the Lease (its records include pending pods and owners). */
  isLeader(): boolean;
  /** The Lease holder last observed (may be this agent), to ask about gone pods. */
  leader(): LeaseHolder | undefined;
  /** Owner records (ReplicaSet, Job, ...) kept by this agent while elected. */
  owners(): OwnerRecord[];
  /**
   * The objects that name what is at fault for `pod` (owner, claims and their Events, StorageClasses,
   * nodes while unscheduled, preemptor, PriorityClasses: `fetchRelated` of `related-objects.ts`), best
   * effort within {@link RELATED_LIMITS}; kept {@link RELATED_CACHE_MS} per pod generation and resourceVersion
   * (at most {@link RELATED_CACHE_BYTES}).
   * Never rejects: what cannot be read is left out. Absent in lookups without API access (tests).
   * @param events the Events the caller has (a `Preempted` Event names the preemptor); only others are returned
   */
  related?(pod: PodJson, events: EventJson[]): Promise<RelatedObjects>;
}

/** How long the related objects of one pod generation and resourceVersion are reused, in ms. */
export const RELATED_CACHE_MS = 30_000;

/** Bound of the reused related objects, in bytes of their JSON. */
export const RELATED_CACHE_BYTES = 4 * 1024 * 1024;

/** Pods whose related objects are read at once (each read runs up to `RELATED_LIMITS.concurrency` calls). */
export const RELATED_AT_ONCE = 2;

/** The running cluster link. */
export interface KubeLink {
  records: PodRecords;
  lookup: ClusterLookup;
  /** Start the watches and the election; resolves at once (they run until `stop` or `signal`). */
  start(signal: AbortSignal): Promise<void>;
  /** Stop watching, release the Lease, write every pending record. */
  stop(): Promise<void>;
  /** True while the pod watch of this node is connected. */
  connected(): boolean;
  /** True after the first complete list of this node's pods. */
  synced(): boolean;
}

/** Dependencies of {@link createKubeLink}. */
export interface KubeLinkDeps {
  config: KubeConfigKeys;
  /** State directory (records go to `<stateDir>/pods` and `<stateDir>/owners`). */
  stateDir: string;
  logger: Logger;
  metrics: Registry;
  /** The cluster link (`connectCluster` in `connect.ts`). */
  kubeConfig: KubeConfig;
  /** This agent's Lease holder identity: `kube.identity`, else the pod's name (env `POD_NAME`), else the host name. */
  identity: string;
  clock?: Clock;
}

/** A list as the API server sends it (PROTOCOLS.md B1). */
interface KubeList {
  items?: KubeObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

function statusOf(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/**
 * Build the cluster link over a loaded KubeConfig: pod records of this node, their Events, and — while
 * elected by the Lease — pending pods and owners' Events. Records are loaded from disk before this returns.
 * @returns undefined when `config.nodeName` is unset (records need the node's name); that is logged once here.
 * @throws StateUnusable when the records' folders cannot be used
 */
export async function createKubeLink(deps: KubeLinkDeps): Promise<KubeLink | undefined> {
  const { config, logger: parent } = deps;
  const logger = parent.child({ unit: 'kube' });
  const kc = deps.kubeConfig;
  const nodeName = config.nodeName;
  if (!nodeName) {
    logNoCluster(logger, 'no node name (--node-name or NODE_NAME from the downward API)');
    return undefined;
  }
  const clock = deps.clock ?? systemClock;
  const metrics = createKubeMetrics(deps.metrics);
  const storeOpts = { logger, clock, flushDelayMs: config.flushDelayMs, maxRecords: config.maxRecords, retentionDays: config.recordRetentionDays };
  const pods = new RecordStore<PodRecord>({ ...storeOpts, dir: join(deps.stateDir, 'pods'), what: 'pod records' });
  const owners = new RecordStore<OwnerRecord>({ ...storeOpts, dir: join(deps.stateDir, 'owners'), ageByLastSeen: true, what: 'owner records' });
  await pods.load();
  await owners.load();
  pods.onChange(() => metrics.setRecords('pods', pods.size()));
  owners.onChange(() => metrics.setRecords('owners', owners.size()));
  metrics.setRecords('pods', pods.size());

  const api = kubeApi(kc);
  const watch = new Watch(kc);
  // client-node 2.0.x aborts a watch after a private 30 s inactivity timeout, which would cut quiet watches
  // (and count as an error). Our reflector's watchdog (watchStallMs, armed before the request) handles
  // stalls, so push the client's timer just past it.
  (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = config.watchStallMs + 1000;

  const lookupPod = async (namespace: string, name: string): Promise<PodWhereabouts> => {
    try {
      return { gone: false, pod: await api<KubeObject>({ path: apiPath`/api/v1/namespaces/${namespace}/pods/${name}` }) };
    } catch (err) {
      if (statusOf(err) === 404) return { gone: true };
      throw err;
    }
  };
  let elector: LeaseElector | undefined;
  const recorder = new Recorder({
    pods, owners, nodeName, maxEventsPerPod: config.maxEventsPerPod, ownerKinds: config.ownerKinds,
    isLeader: () => elector?.isLeader() ?? false, lookupPod, clock, logger,
  });

  const common = {
    watch, pageSize: config.watchPageSize, timeoutSeconds: config.watchTimeoutSeconds, stallMs: config.watchStallMs,
    backoff: { initialMs: config.backoffInitialMs, maxMs: config.backoffMaxMs }, clock, logger, observer: metrics,
  };
  const listOf = (path: string) => (fieldSelector: string) => async (o: { limit: number; continue?: string }): Promise<ListPage> => {
    const r = await api<KubeList>({ path, query: { fieldSelector, limit: o.limit, continue: o.continue } });
    return { items: r.items ?? [], resourceVersion: r.metadata?.resourceVersion ?? '', continue: r.metadata?.continue || undefined };
  };
  const podList = listOf('/api/v1/pods');
  const eventList = listOf('/api/v1/events');
  const nodeSelector = `spec.nodeName=${nodeName}`;
  const podEvents = new Reflector({
    ...common, name: 'events', path: '/api/v1/events', fieldSelector: 'involvedObject.kind=Pod',
    list: eventList('involvedObject.kind=Pod'), onSync: (i) => recorder.syncEvents(i), onEvent: (t, o) => recorder.event(t, o),
  });
  let podsSynced!: () => void;
  const podsSyncedOnce = new Promise<void>((r) => (podsSynced = r));
  const nodePods = new Reflector({
    ...common, name: 'pods', path: '/api/v1/pods', fieldSelector: nodeSelector, list: podList(nodeSelector),
    onSync: (i) => {
      recorder.syncNodePods(i);
      podsSynced();
    },
    onEvent: (t, o) => recorder.nodePodEvent(t, o),
  });
  const pendingPods = new Reflector({
    ...common, name: 'pending-pods', path: '/api/v1/pods', fieldSelector: 'spec.nodeName=', list: podList('spec.nodeName='),
    onSync: (i) => {
      recorder.syncPendingPods(i);
      podEvents.requestRelist(); // pick up the Events of pods that were pending before we were elected
    },
    onEvent: (t, o) => recorder.pendingPodEvent(t, o),
  });
  const ownerEvents = new Reflector({
    ...common, name: 'owner-events', path: '/api/v1/events', fieldSelector: 'involvedObject.kind!=Pod',
    list: eventList('involvedObject.kind!=Pod'), onSync: (i) => recorder.syncEvents(i), onEvent: (t, o) => recorder.event(t, o),
  });

  const root = new AbortController();
  const running = new Set<Promise<void>>();
  const track = (p: Promise<void>): void => {
    running.add(p);
    void p.finally(() => running.delete(p));
  };
  let leaderLoops: AbortController | undefined;
  const identity = deps.identity;
  elector = new LeaseElector({
    api: leaseApi(api), namespace: config.leaseNamespace, name: config.leaseName, identity, address: config.peerAddress,
    durationSeconds: config.leaseDurationSeconds, renewMs: config.leaseRenewMs, clock, logger,
    onLeadership: (leader) => {
      metrics.setLeader(leader);
      leaderLoops?.abort();
      leaderLoops = undefined;
      if (leader && !root.signal.aborted) {
        leaderLoops = new AbortController();
        const s = AbortSignal.any([root.signal, leaderLoops.signal]);
        track(pendingPods.run(s));
        track(ownerEvents.run(s));
      }
    },
  });
  const pruneTimer = setInterval(() => {
    pods.prune();
    owners.prune();
  }, 3_600_000);
  pruneTimer.unref();

  // Resolved results, bounded by their JSON size; reads in flight are shared, and at most
  // RELATED_AT_ONCE pods' reads run at once (each holds at most one page of Nodes).
  const relatedCache = new LRUCache<string, RelatedObjects>({
    ttl: RELATED_CACHE_MS, maxSize: RELATED_CACHE_BYTES, sizeCalculation: (v) => Math.max(1, JSON.stringify(v).length),
  });
  const relatedInFlight = new Map<string, Promise<RelatedObjects>>();
  const relatedAtOnce = pLimit(RELATED_AT_ONCE);
  const readRelated = (key: string, pod: PodJson, events: EventJson[]): Promise<RelatedObjects> => {
    const hit = relatedCache.get(key);
    if (hit) return Promise.resolve(hit);
    let p = relatedInFlight.get(key);
    if (!p) {
      p = relatedAtOnce(() => fetchRelated(api, pod, events, RELATED_LIMITS))
        .then((r) => {
          relatedCache.set(key, r);
          return r;
        }, (err: unknown) => {
          logger.debug({ err }, 'related objects not read');
          return { objects: [], events: [] };
        })
        .finally(() => relatedInFlight.delete(key));
      relatedInFlight.set(key, p);
    }
    return p;
  };
  const lookup: ClusterLookup = {
    async livePod(namespace, name) {
      const w = await lookupPod(namespace, name);
      if (w.gone) return undefined;
      const uid = w.pod.metadata?.uid ?? '';
      const r = await api<KubeList>({ path: apiPath`/api/v1/namespaces/${namespace}/events`, query: { fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${name}` } });
      const events = ((r.items ?? []) as unknown as KubeEvent[]).filter((e) => !uid || e.involvedObject.uid === uid);
      return { pod: w.pod, events };
    },
    isLeader: () => elector?.isLeader() ?? false,
    leader: () => elector?.holder(),
    owners: () => owners.list(),
    async related(pod, events) {
      const m = pod.metadata as { uid?: string; resourceVersion?: string } | undefined;
      const r = await readRelated(`${m?.uid ?? pod.metadata?.name}/${m?.resourceVersion ?? ''}`, pod, events);
      const have = new Set(events.map(eventKey));
      return { objects: r.objects, events: r.events.filter((e) => !have.has(eventKey(e))) };
    },
  };

  let stopped: Promise<void> | undefined;
  return {
    records: pods,
    lookup,
    connected: () => nodePods.connected(),
    synced: () => nodePods.synced(),
    async start(signal) {
      signal.addEventListener('abort', () => root.abort(), { once: true });
      logger.info({ node: nodeName, identity, lease: `${config.leaseNamespace}/${config.leaseName}`, records: pods.size() }, 'cluster link starting');
      track(nodePods.run(root.signal));
      track(podsSyncedOnce.then(() => (root.signal.aborted ? undefined : podEvents.run(root.signal))));
      track(elector!.run(root.signal));
    },
    stop() {
      stopped ??= (async () => {
        clearInterval(pruneTimer);
        root.abort();
        podsSynced();
        await Promise.allSettled([...running]);
        await pods.flush();
        await owners.flush();
      })();
      return stopped;
    },
  };
}

export type { KubeConfigKeys } from './config.ts';
export { kubeConfigSchema, kubeDefaults } from './config.ts';
export type { PodRecord, PodRecords, OwnerRecord } from './records.ts';
export type { KubeEvent } from './events.ts';
export { podRecordSummary, recordSummaryOf, type PodRecordSummary } from './summary.ts';
export { createPriorityResolver, priorityOf, type PodPriorityInfo } from './priority.ts';
export { jobOf } from './jobs.ts';
export { jobFromPodName } from './flink-names.ts';
export type { RelatedObjects } from './related-objects.ts';
