import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SearchGate } from '../../../src/search/gate.ts';
import { isPodlogError } from '../../../src/errors.ts';

const never = new AbortController().signal;

test('runs maxConcurrent at once, queues maxQueued in order, refuses the rest with PODLOG_E_RATE_LIMITED', async () => {
  const gate = new SearchGate({ maxConcurrent: 1, maxQueued: 2, queueWaitMs: 60_000 });
  const r1 = await gate.acquire(never);
  const order: number[] = [];
  const w2 = gate.acquire(never).then((rel) => { order.push(2); return rel; });
  const w3 = gate.acquire(never).then((rel) => { order.push(3); return rel; });
  await assert.rejects(gate.acquire(never), (e) => isPodlogError(e) && e.code === 'PODLOG_E_RATE_LIMITED' && e.status === 429);
  assert.equal(gate.active, 1);
  assert.equal(gate.waiting, 2);
  r1();
  const r2 = await w2;
  assert.deepEqual(order, [2]);
  r2();
  r2(); // a second release is ignored
  const r3 = await w3;
  assert.deepEqual(order, [2, 3]);
  assert.equal(gate.active, 1);
  r3();
  assert.equal(gate.active, 0);
  assert.equal(gate.waiting, 0);
});

test('a wait longer than queueWaitMs is refused; Retry-After is the wait in seconds', async () => {
  const gate = new SearchGate({ maxConcurrent: 1, maxQueued: 4, queueWaitMs: 20 });
  const r1 = await gate.acquire(never);
  await assert.rejects(gate.acquire(never), (e) => isPodlogError(e) && e.code === 'PODLOG_E_RATE_LIMITED');
  assert.equal(gate.waiting, 0);
  assert.equal(gate.retryAfterSeconds, 1);
  r1();
  const r2 = await gate.acquire(never);
  r2();
});

test('a waiter whose client leaves is removed from the queue', async () => {
  const gate = new SearchGate({ maxConcurrent: 1, maxQueued: 4, queueWaitMs: 60_000 });
  const r1 = await gate.acquire(never);
  const ac = new AbortController();
  const w = gate.acquire(ac.signal);
  assert.equal(gate.waiting, 1);
  ac.abort(new Error('client gone'));
  await assert.rejects(w, /client gone/);
  assert.equal(gate.waiting, 0);
  r1();
  assert.equal(gate.active, 0);
});
