import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Clock } from '../../../src/retry/backoff.ts';
import { Reflector, type KubeObject, type ListPage, type WatchLike } from '../../../src/kube/reflector.ts';

/** A clock whose sleeps finish at once but are recorded; watchdog timers never fire unless told. */
function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => 0,
    random: () => 0,
    setTimeout: (fn, ms) => {
      if (ms < 1_000_000) {
        sleeps.push(ms);
        queueMicrotask(fn);
      }
      return undefined;
    },
    clearTimeout: () => undefined,
  };
}

type Step = (cb: (phase: string, obj: any) => void, done: (err: any) => void) => void;

function scriptedWatch(steps: Step[], onEmpty: () => void): WatchLike & { queries: Array<Record<string, unknown>> } {
  const queries: Array<Record<string, unknown>> = [];
  return {
    queries,
    async watch(_path, query, cb, done) {
      queries.push(query);
      const step = steps.shift();
      if (!step) onEmpty();
      else queueMicrotask(() => step(cb, done));
      return new AbortController();
    },
  };
}

const pod = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: 'ns', uid: name, resourceVersion: rv } });

test('reflector: errors back off exponentially (capped), a productive close resets, 410 relists, bookmarks advance the RV', async () => {
  const ac = new AbortController();
  const clock = recordingClock();
  const lists: ListPage[] = [
    { items: [pod('a', '10')], resourceVersion: '10', continue: 'tok' },
    { items: [pod('b', '11')], resourceVersion: '11' },
    { items: [pod('a', '20')], resourceVersion: '20' },
  ];
  let listCalls = 0;
  const err500 = Object.assign(new Error('Internal Server Error'), { statusCode: 500 });
  const watch = scriptedWatch([
    (_cb, done) => done(err500),
    (_cb, done) => done(err500),
    (_cb, done) => done(err500),
    (_cb, done) => done(err500),
    (cb, done) => {
      cb('ADDED', pod('c', '12'));
      cb('BOOKMARK', { metadata: { resourceVersion: '15' } });
      done(null);
    },
    (cb, done) => {
      cb('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
      done(null);
    },
    (cb, done) => {
      cb('DELETED', pod('a', '21'));
      done(null);
    },
  ], () => ac.abort());
  const seen: string[] = [];
  const r = new Reflector({
    name: 'pods', path: '/api/v1/pods', fieldSelector: 'spec.nodeName=n1', watch, pageSize: 1, timeoutSeconds: 300, stallMs: 10_000_000,
    backoff: { initialMs: 100, maxMs: 250 }, clock, logger: pino({ level: 'silent' }),
    list: async (o) => {
      listCalls += 1;
      if (listCalls === 2) assert.equal(o.continue, 'tok');
      return lists.shift()!;
    },
    onSync: (items) => seen.push(`sync:${items.map((i) => i.metadata!.name).join(',')}`),
    onEvent: (t, o) => seen.push(`${t}:${o.metadata!.name}`),
  });
  await r.run(ac.signal);
  assert.deepEqual(seen, ['sync:a,b', 'ADDED:c', 'sync:a', 'DELETED:a']);
  // Four failures: 100, 200, 250 (cap), 250 — each the lower bound of its jitter window since random() = 0, i.e. cap/2.
  assert.deepEqual(clock.sleeps.filter((ms) => ms !== 10_000_000), [50, 100, 125, 125]);
  assert.deepEqual(watch.queries.map((q) => q.resourceVersion), ['11', '11', '11', '11', '11', '15', '20', '21']);
  for (const q of watch.queries) {
    assert.equal(q.allowWatchBookmarks, true);
    assert.equal(q.fieldSelector, 'spec.nodeName=n1');
    assert.equal(q.timeoutSeconds, 300);
  }
});

test('reflector: a failing list retries with backoff and start-up never throws', async () => {
  const ac = new AbortController();
  const clock = recordingClock();
  let n = 0;
  const r = new Reflector({
    name: 'pods', path: '/api/v1/pods', watch: scriptedWatch([], () => ac.abort()), pageSize: 10, timeoutSeconds: 1, stallMs: 10_000_000,
    backoff: { initialMs: 8, maxMs: 1000 }, clock, logger: pino({ level: 'silent' }),
    list: async () => {
      n += 1;
      if (n < 4) throw Object.assign(new Error('Forbidden'), { code: 403 });
      return { items: [], resourceVersion: '1' };
    },
    onSync: () => undefined, onEvent: () => undefined,
  });
  await r.run(ac.signal);
  assert.equal(n, 4);
  assert.deepEqual(clock.sleeps.filter((ms) => ms < 10_000_000), [4, 8, 16]);
  assert.equal(r.synced(), true);
});
