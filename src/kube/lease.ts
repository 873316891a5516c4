import type { Logger } from 'pino';
import { sleep, type Clock } from '../retry/backoff.ts';
import type { KubeApi } from './api.ts';
import { apiPath } from './api-path.ts';

/** Lease annotation holding the holder's base URL, so any agent can ask the elected one about gone pods. */
export const ADDRESS_ANNOTATION = 'podlog.io/address';

/** The holder of the Lease as last observed. */
export interface LeaseHolder {
  identity: string;
  /** Base URL published by the holder (`kube.peerAddress`), if any. */
  address?: string;
}

/** A coordination.k8s.io/v1 Lease as plain JSON; MicroTime fields are strings (PROTOCOLS.md B6). */
export interface LeaseJson {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number; [k: string]: unknown };
}

/** The three Lease calls of {@link LeaseElector}; errors carry the HTTP status as `code` (404, 409...). */
export interface LeaseApi {
  readNamespacedLease(o: { name: string; namespace: string }): Promise<LeaseJson>;
  createNamespacedLease(o: { namespace: string; body: LeaseJson }): Promise<LeaseJson>;
  replaceNamespacedLease(o: { name: string; namespace: string; body: LeaseJson }): Promise<LeaseJson>;
}

/** {@link LeaseApi} over the API server: GET, POST and PUT on `/apis/coordination.k8s.io/v1/namespaces/<ns>/leases`. */
export function leaseApi(api: KubeApi): LeaseApi {
  const one = (namespace: string, name: string) => apiPath`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
  return {
    readNamespacedLease: ({ name, namespace }) => api({ path: one(namespace, name) }),
    createNamespacedLease: ({ namespace, body }) => api({ method: 'POST', path: apiPath`/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, body }),
    replaceNamespacedLease: ({ name, namespace, body }) => api({ method: 'PUT', path: one(namespace, name), body }),
  };
}

/** Options of {@link LeaseElector}. */
export interface LeaseElectorOptions {
  api: LeaseApi;
  namespace: string;
  name: string;
  /** This agent's holder identity (pod name). */
  identity: string;
  address?: string;
  /** `spec.leaseDurationSeconds`. */
  durationSeconds: number;
  /** Period of acquire/renew attempts, ms. */
  renewMs: number;
  clock: Clock;
  logger: Logger;
  /** Called when this agent gains (true) or loses (false) the Lease. */
  onLeadership(leader: boolean): void;
}

function statusOf(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'number' ? c : undefined;
}

/**
 * A MicroTime for Lease fields: RFC 3339 in UTC with exactly 6 fractional digits, as Go's parser requires
 * (PROTOCOLS.md B6), e.g. `2026-01-01T00:00:00.123000Z`.
 * @param ms milliseconds since the epoch
 */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's `leaderelection` package
 * (client-node has none, PROTOCOLS.md B6):
 * - missing Lease → create it (409: someone else did first);
 * - held by another → wait until its record has not changed for `leaseDurationSeconds` of *our* clock
 *   (client-go's observedTime rule, immune to clock skew), then take it over with a PUT carrying the
 *   observed `metadata.resourceVersion` (409 Conflict = lost the race);
 * - held by us → renew `renewTime` every `renewMs`; if renewals fail for a whole lease duration, step down;
 * - on stop → release (empty holder, duration 1 s) so another agent takes over at once.
 */
export class LeaseElector {
  private leader = false;
  private observedRv = '';
  private observedAtMs = 0;
  private lastRenewMs = 0;
  private holderSeen: LeaseHolder | undefined;

  private readonly o: LeaseElectorOptions;

  constructor(o: LeaseElectorOptions) {
    this.o = o;
  }

  /** True while this agent holds the Lease. */
  isLeader(): boolean {
    return this.leader;
  }

  /** The holder last observed (this agent included), or undefined when none or unknown. */
  holder(): LeaseHolder | undefined {
    return this.holderSeen;
  }

  /** Try to acquire or renew every `renewMs` until `signal` aborts, then release if held. Never throws. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tryOnce();
      await sleep(this.o.clock, this.o.renewMs, signal);
    }
    await this.release();
  }

  /** One acquire-or-renew attempt; returns whether this agent holds the Lease afterwards. */
  async tryOnce(): Promise<boolean> {
    const { api, namespace, name, identity, clock } = this.o;
    const now = clock.now();
    try {
      let lease: LeaseJson;
      try {
        lease = await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
        await api.createNamespacedLease({ namespace, body: this.body(undefined, now) });
        this.observe(identity, this.o.address);
        this.lastRenewMs = now;
        this.setLeader(true);
        return true;
      }
      const rv = lease.metadata?.resourceVersion ?? '';
      if (rv !== this.observedRv) {
        this.observedRv = rv;
        this.observedAtMs = now;
      }
      const holder = lease.spec?.holderIdentity ?? '';
      const duration = (lease.spec?.leaseDurationSeconds ?? this.o.durationSeconds) * 1000;
      this.observe(holder, lease.metadata?.annotations?.[ADDRESS_ANNOTATION]);
      if (holder !== identity && holder !== '' && this.observedAtMs + duration > now) {
        this.setLeader(false);
        return false;
      }
      const replaced = await api.replaceNamespacedLease({ name, namespace, body: this.body(lease, now) });
      this.observedRv = replaced.metadata?.resourceVersion ?? '';
      this.observedAtMs = now;
      this.lastRenewMs = now;
      this.observe(identity, this.o.address);
      this.setLeader(true);
      return true;
    } catch (err) {
      const conflict = statusOf(err) === 409;
      if (!conflict) this.o.logger.warn({ lease: `${namespace}/${name}`, err: String(err) }, 'lease attempt failed');
      if (conflict || now - this.lastRenewMs > this.o.durationSeconds * 1000) this.setLeader(false);
      return this.leader;
    }
  }

  /** Give the Lease up if held (PUT with an empty holder and a 1 s duration, as client-go's ReleaseOnCancel). */
  async release(): Promise<void> {
    if (!this.leader) return;
    const { api, namespace, name } = this.o;
    this.setLeader(false);
    try {
      const lease = await api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      const body: LeaseJson = { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.o.clock.now()) } };
      await api.replaceNamespacedLease({ name, namespace, body });
    } catch (err) {
      this.o.logger.warn({ err: String(err) }, 'lease release failed');
    }
  }

  private body(old: LeaseJson | undefined, now: number): LeaseJson {
    const { identity, name, namespace, durationSeconds, address } = this.o;
    const held = old?.spec?.holderIdentity === identity;
    const annotations = { ...(old?.metadata?.annotations ?? {}) };
    if (address) annotations[ADDRESS_ANNOTATION] = address;
    else delete annotations[ADDRESS_ANNOTATION];
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion: old?.metadata?.resourceVersion, annotations },
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: held && old?.spec?.acquireTime ? old.spec.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (old?.spec?.leaseTransitions ?? 0) + (old && !held ? 1 : 0),
      },
    };
  }

  private observe(identity: string, address: string | undefined): void {
    this.holderSeen = identity ? { identity, ...(address ? { address } : {}) } : undefined;
  }

  private setLeader(v: boolean): void {
    if (v === this.leader) return;
    this.leader = v;
    this.o.logger.info({ lease: `${this.o.namespace}/${this.o.name}`, identity: this.o.identity, leader: v }, v ? 'acquired the lease: recording pending pods and owners' : 'not holding the lease');
    this.o.onLeadership(v);
  }
}
