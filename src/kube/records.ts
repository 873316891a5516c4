import type { KubeEvent } from './events.ts';
import type { KubeObject } from './reflector.ts';

/**
 * What podlog keeps about one object generation (namespace, name, uid), on disk under the state
 * directory, surviving the object's deletion and the agent's restart.
 */
export interface BaseRecord {
  /** Record format version (this is version 1). */
  version: 1;
  /** Kubernetes kind: `Pod` for pod records, else the owner's kind (`ReplicaSet`, `Job`, ...). */
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  /**
   * `node`: a pod on this agent's node, recorded by this agent. `cluster`: recorded by the elected agent
   * (a pod that has no node yet, or an owner such as a ReplicaSet).
   */
  scope: 'node' | 'cluster';
  /** ISO-8601 time this agent first saw the object. */
  firstSeen: string;
  /** ISO-8601 time of the last change seen (object or Event). */
  lastSeen: string;
  /** ISO-8601 time the object was seen deleted (DELETED watch event, or missing from a relist). */
  deletedAt?: string;
  /** Deduplicated core/v1 Events about the object, oldest first by last seen (see `mergeEvents`). */
  events: KubeEvent[];
}

/**
 * A pod generation's record. `pod` is the last-seen pod exactly as `kubectl get pod -o json` prints it
 * (plain JSON, `kind`/`apiVersion` set, timestamps as strings, `metadata.managedFields` dropped): labels,
 * annotations, owner references, node, images, requests/limits, phase, conditions and container statuses
 * with last termination state all live there, so the diagnose unit gets the raw shape it expects.
 */
export interface PodRecord extends BaseRecord {
  kind: 'Pod';
  /** Node the pod was bound to (`spec.nodeName`), when known. */
  node?: string;
  /** For a `cluster`-scope record: the node the pod was scheduled to after being pending. */
  scheduledTo?: string;
  /** The last-seen pod JSON; absent only for a record made from Events before the pod was seen. */
  pod?: KubeObject;
}

/** An owner's record (ReplicaSet, Job, StatefulSet, ...): its Events only (`FailedCreate` for quota lives there). */
export interface OwnerRecord extends BaseRecord {
  /** The Event's `involvedObject.apiVersion`. */
  apiVersion?: string;
}

/** A change to a record, after it was applied in memory. */
export interface RecordChange<T extends BaseRecord> {
  type: 'upserted' | 'removed';
  record: T;
}

/**
 * Read access to pod records — the interface the HTTP routes, the catalog join, diagnose and the shipper
 * depend on. Implemented by `RecordStore` (`record-store.ts`); tests may pass a hand-built object.
 */
export interface PodRecords {
  /**
   * One pod generation. With `uid`, exactly that generation; without, the newest one of that name
   * (a live one first, else the most recently seen).
   */
  get(namespace: string, name: string, uid?: string): PodRecord | undefined;
  /** Every record, in no particular order. Records are live objects: do not mutate. */
  list(): PodRecord[];
  /** Subscribe to record changes; returns the unsubscribe function. */
  onChange(listener: (change: RecordChange<PodRecord>) => void): () => void;
}
