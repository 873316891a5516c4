import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { backoffDelay, sleep, systemClock } from '../../../src/retry/backoff.ts';

test('backoffDelay doubles per failure, caps, and jitters within [cap/2, cap)', () => {
  const p = { initialMs: 1000, maxMs: 30_000 };
  const cases: Array<[number, number, number]> = [
    // failures, random, expected
    [1, 0, 500], [1, 0.999, 999], [2, 0, 1000], [3, 0.5, 3000], [5, 0, 8000], [6, 0, 15_000], [7, 0, 15_000], [50, 0.999, 29_985],
  ];
  for (const [n, r, want] of cases) assert.equal(backoffDelay(n, p, r), want, `failures=${n} random=${r}`);
});

test('sleep resolves false at once when aborted', async () => {
  const ac = new AbortController();
  const p = sleep(systemClock, 60_000, ac.signal);
  ac.abort();
  assert.equal(await p, false);
  assert.equal(await sleep(systemClock, 1, new AbortController().signal), true);
});
