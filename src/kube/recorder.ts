import type { Logger } from 'pino';
import type { Clock } from '../retry/backoff.ts';
import { isKubeEvent, mergeEvents, slimObject, type KubeEvent } from './events.ts';
import type { RecordStore } from './record-store.ts';
import type { OwnerRecord, PodRecord } from './records.ts';
import type { KubeObject } from './reflector.ts';

/** Where a pod stands now, as answered by a GET (used when a pending pod leaves the `spec.nodeName=` watch). */
export type PodWhereabouts = { gone: true } | { gone: false; pod: KubeObject };

/** Options of {@link Recorder}. */
export interface RecorderOptions {
  pods: RecordStore<PodRecord>;
  owners: RecordStore<OwnerRecord>;
  /** This agent's node. */
  nodeName: string;
  /** Events kept per record. */
  maxEventsPerPod: number;
  /** Kinds whose Events the elected agent records. */
  ownerKinds: readonly string[];
  /** True while this agent holds the Lease (records pending pods and owners). */
  isLeader(): boolean;
  /** GET a pod by namespace/name (for pods leaving the pending watch: scheduled or deleted?). */
  lookupPod(namespace: string, name: string): Promise<PodWhereabouts>;
  clock: Clock;
  logger: Logger;
  /** Events about pods not (yet) known, held for a late pod: at most this many. */
  orphanLimit?: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Plain pod JSON as kubectl prints it: `kind`/`apiVersion` set, managedFields dropped. */
export function normalizePod(pod: KubeObject): KubeObject {
  const slim = slimObject(pod);
  return { kind: 'Pod', apiVersion: 'v1', ...slim };
}

/**
 * Turns watch and list results into records. Pods of this node become `node` records; pods with no
 * node (the elected agent's `spec.nodeName=` watch) become `cluster` records; Events are merged into the
 * record of their involved object (by uid), or held briefly when their pod is not known yet (the pod and
 * Event watches are separate streams, so an Event may arrive first).
 */
export class Recorder {
  private readonly orphans = new Map<string, KubeEvent[]>();
  private orphanCount = 0;

  private readonly o: RecorderOptions;

  constructor(o: RecorderOptions) {
    this.o = o;
  }

  /** Full state of this node's pods after a (re)list: upsert each; live records missing from it are marked deleted. */
  syncNodePods(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const p of items) {
      const uid = p.metadata?.uid;
      if (uid) seen.add(uid);
      this.applyPod(p, 'node', false);
    }
    for (const r of this.o.pods.list()) {
      if (r.scope === 'node' && !r.deletedAt && !seen.has(r.uid)) this.markDeleted(r, undefined);
    }
  }

  /** One watch event of this node's pods. */
  nodePodEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: KubeObject): void {
    this.applyPod(pod, 'node', type === 'DELETED');
  }

  /** Full state of pending pods (elected agent): upsert each; live cluster records missing from it are looked up. */
  syncPendingPods(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const p of items) {
      const uid = p.metadata?.uid;
      if (uid) seen.add(uid);
      this.applyPod(p, 'cluster', false);
    }
    for (const r of this.o.pods.list()) {
      if (r.scope === 'cluster' && !r.deletedAt && !r.scheduledTo && !seen.has(r.uid)) void this.resolveLeftPending(r);
    }
  }

  /**
   * One watch event of pending pods. A DELETED here means the pod left the `spec.nodeName=` selector —
   * deleted or scheduled (the watch cache sends the old object in both cases) — so it is looked up.
   */
  pendingPodEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: KubeObject): void {
    const rec = this.applyPod(pod, 'cluster', false);
    if (type === 'DELETED' && rec) void this.resolveLeftPending(rec);
  }

  /** Full list of Events: each is merged as if ADDED. */
  syncEvents(items: KubeObject[]): void {
    for (const e of items) this.event('ADDED', e);
  }

  /**
   * One Event watch event. ADDED/MODIFIED are merged into the involved object's record; DELETED (the API
   * server's TTL expiry) is ignored, which is the point of keeping them.
   */
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: KubeObject): void {
    if (type === 'DELETED' || !isKubeEvent(raw)) return;
    const ev = raw;
    const io = ev.involvedObject;
    if (!io.uid) return;
    if (io.kind === 'Pod' || io.kind === undefined) {
      const rec = this.o.pods.byId(io.uid);
      if (rec) {
        if (rec.scope === 'cluster' && (rec.scheduledTo || !this.o.isLeader())) return;
        this.mergeInto(rec, [ev]);
      } else {
        this.holdOrphan(io.uid, ev);
      }
      return;
    }
    if (this.o.isLeader() && this.o.ownerKinds.includes(io.kind) && io.namespace && io.name) {
      const now = iso(this.o.clock.now());
      const old = this.o.owners.byId(io.uid);
      const base: OwnerRecord = old ?? {
        version: 1, kind: io.kind, apiVersion: io.apiVersion, namespace: io.namespace, name: io.name, uid: io.uid,
        scope: 'cluster', firstSeen: now, lastSeen: now, events: [],
      };
      const { events, changed } = mergeEvents(base.events, [ev], this.o.maxEventsPerPod);
      if (changed || !old) this.o.owners.put({ ...base, events, lastSeen: now });
    }
  }

  private applyPod(raw: KubeObject, scope: 'node' | 'cluster', deleted: boolean): PodRecord | undefined {
    const md = raw.metadata;
    if (!md?.uid || !md.name || !md.namespace) return undefined;
    const pod = normalizePod(raw);
    const old = this.o.pods.byId(md.uid);
    const nowMs = this.o.clock.now();
    const now = iso(nowMs);
    const spec = pod.spec as { nodeName?: string } | undefined;
    // A node agent's record wins over the elected agent's record of the same pod.
    const newScope = old?.scope === 'node' ? 'node' : scope;
    if (old && old.pod?.metadata?.resourceVersion === md.resourceVersion && !!old.deletedAt === deleted && old.scope === newScope) return old;
    const rec: PodRecord = {
      version: 1, kind: 'Pod', namespace: md.namespace, name: md.name, uid: md.uid, scope: newScope,
      node: spec?.nodeName || old?.node, firstSeen: old?.firstSeen ?? now, lastSeen: now,
      events: old?.events ?? [], pod,
    };
    if (old?.scheduledTo && newScope === 'cluster') rec.scheduledTo = old.scheduledTo;
    if (deleted) rec.deletedAt = old?.deletedAt ?? now;
    this.o.pods.put(rec);
    if (!old) this.adoptOrphans(rec);
    return this.o.pods.byId(md.uid);
  }

  private markDeleted(r: PodRecord, scheduledTo: string | undefined): void {
    const now = iso(this.o.clock.now());
    if (scheduledTo) this.o.pods.put({ ...r, scheduledTo, node: scheduledTo, lastSeen: now });
    else this.o.pods.put({ ...r, deletedAt: now, lastSeen: now });
  }

  private async resolveLeftPending(r: PodRecord): Promise<void> {
    try {
      const w = await this.o.lookupPod(r.namespace, r.name);
      const cur = this.o.pods.byId(r.uid);
      if (!cur || cur.scope !== 'cluster') return;
      if (w.gone || w.pod.metadata?.uid !== r.uid) {
        this.markDeleted(cur, undefined);
      } else {
        const node = (w.pod.spec as { nodeName?: string } | undefined)?.nodeName;
        if (node) this.markDeleted({ ...cur, pod: normalizePod(w.pod) }, node);
      }
    } catch (err) {
      this.o.logger.warn({ namespace: r.namespace, pod: r.name, err: String(err) }, 'could not look up a pod that left the pending watch');
    }
  }

  private mergeInto(rec: PodRecord, evs: KubeEvent[]): void {
    const { events, changed } = mergeEvents(rec.events, evs, this.o.maxEventsPerPod);
    if (changed) this.o.pods.put({ ...rec, events, lastSeen: iso(this.o.clock.now()) });
  }

  private holdOrphan(uid: string, ev: KubeEvent): void {
    const limit = this.o.orphanLimit ?? 2000;
    let list = this.orphans.get(uid);
    if (!list) this.orphans.set(uid, (list = []));
    list.push(ev);
    this.orphanCount += 1;
    while (this.orphanCount > limit) {
      const first = this.orphans.keys().next();
      if (first.done) break;
      this.orphanCount -= this.orphans.get(first.value)?.length ?? 0;
      this.orphans.delete(first.value);
    }
  }

  private adoptOrphans(rec: PodRecord): void {
    const held = this.orphans.get(rec.uid);
    if (!held) return;
    this.orphans.delete(rec.uid);
    this.orphanCount -= held.length;
    this.mergeInto(rec, held);
  }
}
