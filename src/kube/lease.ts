import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { sleep, type Clock } from '../retry/backoff.ts';

/** Lease annotation holding the holder's base URL, so any agent can ask the elected one about gone pods. */
export const ADDRESS_ANNOTATION = 'podlog.io/address';

/** The holder of the Lease as last observed. */
export interface LeaseHolder {
  identity: string;
  /** Base URL published by the holder (`kube.peerAddress`), if any. */
  address?: string;
}

/** Options of {@link LeaseElector}. */
export interface LeaseElectorOptions {
  api: Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'>;
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

/** A MicroTime for Lease fields: 6 fractional digits, as Go's parser requires (PROTOCOLS.md B6). */
export function microTime(ms: number): V1MicroTime {
  return new V1MicroTime(ms);
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
      let lease: V1Lease;
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
      const body: V1Lease = { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.o.clock.now()) } };
      await api.replaceNamespacedLease({ name, namespace, body });
    } catch (err) {
      this.o.logger.warn({ err: String(err) }, 'lease release failed');
    }
  }

  private body(old: V1Lease | undefined, now: number): V1Lease {
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
        acquireTime: held && old?.spec?.acquireTime ? microTime(new Date(old.spec.acquireTime).getTime()) : microTime(now),
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
