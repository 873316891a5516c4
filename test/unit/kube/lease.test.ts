import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Clock } from '../../../src/retry/backoff.ts';
import { LeaseElector, microTime, type LeaseJson } from '../../../src/kube/lease.ts';

/** An in-memory Lease API with resourceVersion checks, like the API server's optimistic concurrency. */
function leaseApi() {
  let stored: LeaseJson | undefined;
  let rv = 1;
  const err = (code: number) => Object.assign(new Error(`HTTP ${code}`), { code });
  const wire = (l: LeaseJson): LeaseJson => JSON.parse(JSON.stringify(l));
  return {
    get: () => stored,
    readNamespacedLease: async () => {
      if (!stored) throw err(404);
      return wire(stored);
    },
    createNamespacedLease: async ({ body }: { body: LeaseJson }) => {
      if (stored) throw err(409);
      stored = wire({ ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } });
      return stored;
    },
    replaceNamespacedLease: async ({ body }: { body: LeaseJson }) => {
      if (!stored) throw err(404);
      if (body.metadata?.resourceVersion !== stored.metadata?.resourceVersion) throw err(409);
      stored = wire({ ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } });
      return stored;
    },
  };
}

function clockAt(t: { now: number }): Clock {
  return { now: () => t.now, random: () => 0, setTimeout: () => undefined, clearTimeout: () => undefined };
}

test('MicroTime has 6 fractional digits', () => {
  assert.equal(JSON.stringify({ t: microTime(Date.parse('2026-01-01T00:00:00.123Z')) }), '{"t":"2026-01-01T00:00:00.123000Z"}');
});

test('lease: one holder; the other waits a full duration of unchanged record, then takes over; a stale PUT loses', async () => {
  const api = leaseApi();
  const t = { now: 1_000_000 };
  const changes: string[] = [];
  const mk = (identity: string) => new LeaseElector({ api, namespace: 'podlog', name: 'l', identity, address: `http://${identity}:8080`,
    durationSeconds: 15, renewMs: 5000, clock: clockAt(t), logger: pino({ level: 'silent' }), onLeadership: (v) => changes.push(`${identity}:${v}`) });
  const a = mk('a');
  const b = mk('b');
  assert.equal(await a.tryOnce(), true);
  assert.equal(await b.tryOnce(), false);
  assert.deepEqual(b.holder(), { identity: 'a', address: 'http://a:8080' });
  assert.match(String(api.get()!.spec!.renewTime), /\.\d{6}Z$/);
  t.now += 10_000;
  assert.equal(await a.tryOnce(), true, 'renewed');
  t.now += 10_000;
  assert.equal(await b.tryOnce(), false, 'the record changed 10 s ago (b observed a new resourceVersion): still valid');
  t.now += 16_000; // a is gone: no renewal for more than 15 s of b's clock
  assert.equal(await b.tryOnce(), true);
  assert.equal(api.get()!.spec!.leaseTransitions, 1);
  assert.equal(api.get()!.spec!.holderIdentity, 'b');
  // a comes back with an old view: its renew PUT carries a stale resourceVersion? It reads first, sees b holding.
  assert.equal(await a.tryOnce(), false);
  assert.deepEqual(changes, ['a:true', 'b:true', 'a:false']);
  // Release hands over at once.
  await b.release();
  assert.equal(api.get()!.spec!.holderIdentity, '');
  assert.equal(await a.tryOnce(), true);
});

test('lease: a 409 on takeover means the race was lost', async () => {
  const api = leaseApi();
  const t = { now: 0 };
  const a = new LeaseElector({ api, namespace: 'p', name: 'l', identity: 'a', durationSeconds: 15, renewMs: 5000, clock: clockAt(t), logger: pino({ level: 'silent' }), onLeadership: () => undefined });
  await api.createNamespacedLease({ body: { metadata: { name: 'l' }, spec: { holderIdentity: '', leaseDurationSeconds: 1 } } });
  const realReplace = api.replaceNamespacedLease;
  api.replaceNamespacedLease = async (x) => {
    await realReplace({ body: { ...api.get()!, spec: { holderIdentity: 'c' } } }); // someone else wins in between
    return realReplace(x);
  };
  assert.equal(await a.tryOnce(), false);
  assert.equal(a.isLeader(), false);
});

test('lease: a renewal keeps acquireTime as written and moves renewTime, both MicroTime', async () => {
  const api = leaseApi();
  const t = { now: Date.parse('2026-03-01T10:00:00.250Z') };
  const a = new LeaseElector({ api, namespace: 'p', name: 'l', identity: 'a', durationSeconds: 15, renewMs: 5000, clock: clockAt(t), logger: pino({ level: 'silent' }), onLeadership: () => undefined });
  assert.equal(await a.tryOnce(), true);
  assert.equal(api.get()!.spec!.acquireTime, '2026-03-01T10:00:00.250000Z');
  t.now += 5_001;
  assert.equal(await a.tryOnce(), true);
  assert.equal(api.get()!.spec!.acquireTime, '2026-03-01T10:00:00.250000Z');
  assert.equal(api.get()!.spec!.renewTime, '2026-03-01T10:00:05.251000Z');
});
