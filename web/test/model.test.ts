/** Unit tests of the page's pure modules: Flink job naming, pod state, grouping, routes, decoration. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flinkFromName, groupPods, podState, viewPods, currentFile, NO_JOB } from '../src/model.ts';
import { formatRoute, parseRoute, type Route } from '../src/route.ts';
import { isContinuation, levelOf, lineTime, normaliseTime } from '../src/viewer/decorate.ts';
import type { ApiPod } from '../src/api.ts';

test('flinkFromName derives the cluster-id from Flink native Kubernetes pod names', () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ['clickstream-taskmanager-1-1', 'clickstream', 'taskmanager'],
    ['my-job-v2-taskmanager-12-3', 'my-job-v2', 'taskmanager'],
    ['poly-example-68c8444749-z89jc', 'poly-example', 'jobmanager'],
    ['nginx', undefined, undefined],
    ['etcd-0', undefined, undefined],
  ];
  for (const [name, job, comp] of cases) {
    const r = flinkFromName(name);
    assert.equal(r.job, job, name);
    assert.equal(r.component, comp, name);
  }
  assert.deepEqual(flinkFromName('clickstream-5d8f7', new Set(['clickstream'])), { job: 'clickstream', component: 'jobmanager' });
  assert.deepEqual(flinkFromName('clickstream-5d8f7'), {});
});

const file = (name: string, mtime: number, live = true) => ({ name, size: 10, mtime, live, kind: live ? ('live' as const) : ('rotated' as const) });
const pod = (ns: string, name: string, uid: string, mtime: number, extra: Partial<ApiPod> = {}): ApiPod => ({
  namespace: ns,
  name,
  uid,
  lastActivity: mtime,
  containers: [{ name: 'flink-main-container', files: [file('taskmanager.log', mtime)] }],
  ...extra,
});

test('podState: record first, else live-file activity', () => {
  const now = 10_000_000;
  assert.equal(podState(pod('a', 'p', 'u', now - 1000), now), 'running');
  assert.equal(podState(pod('a', 'p', 'u', now - 3_600_000), now), 'exited');
  assert.equal(podState(pod('a', 'p', 'u', now, { state: 'Failed' }), now), 'failed');
  assert.equal(podState(pod('a', 'p', 'u', now, { deletedAt: '2025-01-01T00:00:00Z' }), now), 'deleted');
  assert.equal(podState(pod('a', 'p', 'u', now, { phase: 'Succeeded' }), now), 'exited');
});

test('groupPods: namespaces → jobs → pods by last activity, labels win over naming, filter and state', () => {
  const now = 10_000_000;
  const views = viewPods(
    [
      pod('flink', 'click-taskmanager-1-1', 'u1', now - 100),
      pod('flink', 'click-6d9f8b7c5d-x2x9z', 'u2', now - 50),
      pod('flink', 'orders-taskmanager-1-1', 'u3', now - 10_000_000),
      pod('flink', 'renamed', 'u4', now - 5, { labels: { type: 'flink-native-kubernetes', app: 'orders', component: 'jobmanager' } }),
      pod('other', 'nginx', 'u5', now - 1),
    ],
    now,
  );
  const g = groupPods(views);
  assert.deepEqual(g.map((n) => n.name), ['other', 'flink']);
  const flink = g[1]!;
  assert.deepEqual(flink.jobs.map((j) => j.name), ['orders', 'click']);
  assert.deepEqual(flink.jobs[1]!.pods.map((p) => p.pod.name), ['click-6d9f8b7c5d-x2x9z', 'click-taskmanager-1-1']);
  assert.equal(g[0]!.jobs[0]!.name, NO_JOB);
  assert.deepEqual(groupPods(views, 'orders-taskmanager').flatMap((n) => n.jobs.flatMap((j) => j.pods.map((p) => p.pod.uid))), ['u3']);
  assert.deepEqual(groupPods(views, '', 'finished').flatMap((n) => n.jobs.flatMap((j) => j.pods.map((p) => p.pod.uid))), ['u3']);
});

test('currentFile prefers the newest live file', () => {
  assert.equal(currentFile([file('a.log.1', 5, false), file('a.log', 3), file('gc.log', 4)])?.name, 'a.log');
  assert.equal(currentFile([file('gc.log', 4), file('taskmanager.out', 5)])?.name, 'taskmanager.out');
  assert.equal(currentFile([file('a.log.1', 5, false), file('a.log.2', 3, false)])?.name, 'a.log.1');
});

test('routes round-trip, including odd characters', () => {
  const routes: Route[] = [
    { kind: 'home' },
    { kind: 'pod', namespace: 'flink', pod: 'p-1', uid: 'u' },
    { kind: 'file', ref: { namespace: 'ns', pod: 'p', uid: 'u-1', container: 'c', file: 'a b?#.log' }, offset: 1234 },
    { kind: 'file', ref: { namespace: 'ns', pod: 'p', uid: 'u', container: 'c', file: 'x.log' }, top: 5, find: 'Caused by' },
    { kind: 'file', ref: { namespace: 'ns', pod: 'p', uid: 'u', container: 'c', file: 'x.log' }, follow: true },
    { kind: 'search', q: 'a&b', regex: true, namespace: 'n', job: 'j', pod: '' },
    { kind: 'search', q: 'x', regex: false, namespace: '', job: '', pod: 'p', cs: true },
  ];
  for (const r of routes) assert.deepEqual(parseRoute(formatRoute(r)), r);
  assert.deepEqual(parseRoute('#/nonsense'), { kind: 'home' });
  const bad = parseRoute('#/ns/a/pod/b/u/c/f?offset=-3');
  assert.equal(bad.kind === 'file' && bad.offset, undefined);
});

test('levels, stack-trace continuations and timestamps', () => {
  assert.equal(levelOf('2025-11-28 23:01:48,779 ERROR org.apache.flink.X [] - boom'), 'error');
  assert.equal(levelOf('2025-11-28 23:01:48,779 WARN  org.apache.flink.X [] - hm'), 'warn');
  assert.equal(levelOf('INFO  [] - Loading configuration property'), 'info');
  assert.equal(levelOf('2025-11-28 23:01:48,779 DEBUG o.a.f.X - d'), 'debug');
  assert.equal(levelOf('just text about an ERRORS count'), '');
  assert.equal(levelOf('[2026-11-22T01:02:34.885+0000][26.324s][info][gc,task     ] GC(7) Using 1 workers'), 'info');
  assert.equal(levelOf('[2026-11-22T01:02:34.885+0000][26.324s][warning][gc] To-space exhausted'), 'warn');
  assert.ok(isContinuation('\tat org.apache.flink.X.open(X.java:142) ~[?:?]'));
  assert.ok(isContinuation('Caused by: java.net.UnknownHostException: postgres-service'));
  assert.ok(isContinuation('\t... 12 more'));
  assert.ok(!isContinuation('java.io.IOException: unable to open JDBC writer'));
  assert.equal(lineTime('2025-11-28 23:01:48,779 INFO x'), '2025-11-28T23:01:48.779');
  assert.equal(lineTime('no time'), undefined);
  assert.equal(normaliseTime('2025-11-28 23:01'), '2025-11-28T23:01:00.000');
  assert.equal(normaliseTime('2025-11-28T23:01:48.5Z'), '2025-11-28T23:01:48.500');
  assert.equal(normaliseTime('yesterday'), undefined);
});
