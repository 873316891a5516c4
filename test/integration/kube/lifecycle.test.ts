import { strict as assert } from 'node:assert';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { kubeDefaults } from '../../../src/kube/config.ts';
import { buildJobs } from '../../../src/http/routes/events-jobs.ts';
import { recordSummaryOf } from '../../../src/kube/summary.ts';
import { Catalog } from '../../../src/store/catalog.ts';
import { FakeKube } from '../../servers/fake-kube.ts';
import { counter, event, pod, startAgent, tempDir, waitFor } from './helpers.ts';

let fake: FakeKube;
before(async () => {
  fake = new FakeKube();
  await fake.listen();
});
after(async () => {
  await fake.close();
});

const flinkLabels = { app: 'wordcount', component: 'taskmanager', type: 'flink-native-kubernetes' };

test('a pod appears, is OOMKilled, is deleted while the agent is down: its record keeps labels, exit 137 and Events', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const p = fake.create('pods', pod('wordcount-taskmanager-1-1', 'node-a', flinkLabels));
    fake.create('pods', pod('elsewhere', 'node-b'));
    const ref = { kind: 'Pod', namespace: 'flink', name: p.metadata.name, uid: p.metadata.uid! };
    const scheduled = fake.create('events', event(ref, 'Scheduled', 'Successfully assigned flink/wordcount-taskmanager-1-1 to node-a'));

    // The pod writes its log through the subPathExpr mount: <root>/<ns>_<pod>_<uid>/<container>/<file>.
    const logDir = join(dir, 'root', `flink_${p.metadata.name}_${p.metadata.uid}`, 'flink-main-container');
    await mkdir(logDir, { recursive: true });
    await writeFile(join(logDir, 'taskmanager.log'), '2026-01-01 00:00:00,000 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor - started\n');

    let a = await startAgent(fake, dir);
    await waitFor('record with Scheduled', () => (a.link.records.get('flink', p.metadata.name)?.events.length ?? 0) >= 1);
    assert.equal(a.link.records.get('flink', 'elsewhere'), undefined, 'pods of other nodes are not recorded');

    // The container is OOMKilled and restarted; the kubelet's BackOff Event repeats (same Event, count goes up).
    fake.update('pods', 'flink', p.metadata.name, (o) => {
      o.status.containerStatuses[0].restartCount = 1;
      o.status.containerStatuses[0].lastState = { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:05:00Z', containerID: 'containerd://x' } };
    });
    const backoff = fake.create('events', event(ref, 'BackOff', 'Back-off restarting failed container', 'Warning'));
    fake.update('events', 'flink', backoff.metadata.name, (e) => {
      e.count = 5;
      e.lastTimestamp = '2026-01-01T00:09:00Z';
    });
    await waitFor('BackOff count 5', () => a.link.records.get('flink', p.metadata.name)?.events.find((e) => e.reason === 'BackOff')?.count === 5);
    assert.equal(a.link.records.get('flink', p.metadata.name)!.events.filter((e) => e.reason === 'BackOff').length, 1, 'an updated Event is not duplicated');

    // The watch requests carried the node's field selector and asked for bookmarks (client-node's informer would not).
    const podWatches = fake.seen((r) => r.watch && r.path === '/api/v1/pods');
    assert.ok(podWatches.length >= 1);
    for (const w of podWatches) {
      assert.equal(w.query.get('fieldSelector'), 'spec.nodeName=node-a');
      assert.equal(w.query.get('allowWatchBookmarks'), 'true');
      assert.ok(Number(w.query.get('timeoutSeconds')) >= 300);
      assert.equal(w.auth, 'Bearer test-token');
    }

    // The agent stops (rolling update); meanwhile the pod is killed and deleted.
    await a.link.stop();
    fake.update('pods', 'flink', p.metadata.name, (o) => {
      o.status.phase = 'Failed';
      o.status.containerStatuses[0].state = { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: '2026-01-01T00:06:00Z', finishedAt: '2026-01-01T00:10:00Z' } };
    });
    fake.create('events', event(ref, 'Killing', 'Stopping container flink-main-container'));
    fake.remove('pods', 'flink', p.metadata.name);

    a = await startAgent(fake, dir);
    await waitFor('record marked deleted with Killing', () => {
      const r = a.link.records.get('flink', p.metadata.name);
      return !!r?.deletedAt && !!r.events.find((e) => e.reason === 'Killing');
    });
    // The API server drops its Events (TTL): the record keeps them.
    fake.remove('events', 'flink', scheduled.metadata.name);
    fake.remove('events', 'flink', backoff.metadata.name);
    await a.link.stop();

    const files = await readdir(join(dir, 'pods'));
    assert.deepEqual(files, [`flink_${p.metadata.name}_${p.metadata.uid}.json`]);
    const rec = JSON.parse(await readFile(join(dir, 'pods', files[0]!), 'utf8'));
    assert.equal(rec.pod.kind, 'Pod');
    assert.deepEqual(rec.pod.metadata.labels, flinkLabels);
    assert.equal(rec.pod.metadata.ownerReferences[0].kind, 'ReplicaSet');
    assert.equal(rec.pod.spec.containers[0].resources.limits.memory, '1Gi');
    assert.equal(rec.pod.status.containerStatuses[0].lastState.terminated.exitCode, 137);
    assert.equal(rec.pod.status.containerStatuses[0].lastState.terminated.reason, 'OOMKilled');
    assert.equal(typeof rec.pod.metadata.creationTimestamp, 'string', 'timestamps are plain strings');
    assert.ok(rec.deletedAt);
    assert.deepEqual(rec.events.map((e: { reason: string }) => e.reason).sort(), ['BackOff', 'Killing', 'Scheduled']);

    // The catalog and the API join the record to the log folder: job, state, exit code, labels of a gone pod.
    const catalog = new Catalog({ roots: [join(dir, 'root')], logger: pino({ level: 'silent' }) });
    const ac = new AbortController();
    await catalog.start(ac.signal);
    try {
      const entry = catalog.pods()[0]!;
      const summary = recordSummaryOf(a.link.records, kubeDefaults())(entry)!;
      assert.equal(summary.job, 'wordcount');
      assert.equal(summary.component, 'taskmanager');
      assert.equal(summary.state, 'deleted');
      assert.equal(summary.priority, 'P1');
      assert.deepEqual(summary.exitCodes, [137]);
      assert.deepEqual(summary.labels, flinkLabels);
      const jobs = buildJobs({ records: a.link.records, catalog, config: kubeDefaults() });
      const job = jobs.find((j) => j.id === 'wordcount')!;
      assert.deepEqual(job.pods.map((x) => [x.name, x.state, x.hasLogs]), [[p.metadata.name, 'deleted', true]]);
    } finally {
      ac.abort();
      await catalog.stop();
    }
  } finally {
    await cleanup();
  }
});

test('the API server goes away and comes back on the same port: retries back off, nothing is lost', async () => {
  const { dir, cleanup } = await tempDir();
  const a = await startAgent(fake, dir, { backoffInitialMs: 20, backoffMaxMs: 200 });
  try {
    const p = fake.create('pods', pod('jm-away', 'node-a', { app: 'away', component: 'jobmanager', type: 'flink-native-kubernetes' }));
    const ref = { kind: 'Pod', namespace: 'flink', name: p.metadata.name, uid: p.metadata.uid! };
    await waitFor('record', () => !!a.link.records.get('flink', 'jm-away'));
    await waitFor('events watch open', () => fake.openWatches('events') > 0);
    const before = await counter(a.registry, 'podlog_kube_watch_restarts_total', { watch: 'pods' });
    const port = fake.port;
    await fake.close();
    await waitFor('several failed reconnects', async () => (await counter(a.registry, 'podlog_kube_watch_restarts_total', { watch: 'pods' })) >= before + 3);
    assert.equal(a.link.connected(), false);
    // While it is away, the control plane goes on.
    fake.update('pods', 'flink', 'jm-away', (o) => {
      o.status.phase = 'Failed';
    });
    fake.create('events', event(ref, 'Unhealthy', 'Liveness probe failed', 'Warning'));
    await fake.listen(port);
    await waitFor('phase and Event caught up', () => {
      const r = a.link.records.get('flink', 'jm-away');
      return (r?.pod?.status as { phase?: string } | undefined)?.phase === 'Failed' && !!r?.events.find((e) => e.reason === 'Unhealthy');
    });
    assert.equal(a.link.connected(), true);
  } finally {
    await a.link.stop();
    await cleanup();
  }
});

test('410 on a watch relists; a 500 list backs off; a stalled watch is restarted by the watchdog; list pages', async () => {
  const { dir, cleanup } = await tempDir();
  for (let i = 0; i < 7; i++) fake.create('pods', pod(`page-${i}`, 'node-p'));
  const a = await startAgent(fake, dir, { nodeName: 'node-p', watchPageSize: 3 });
  try {
    await waitFor('7 records', () => a.link.records.list().filter((r) => r.node === 'node-p').length === 7);
    const pages = fake.seen((r) => !r.watch && r.path === '/api/v1/pods' && r.query.get('fieldSelector') === 'spec.nodeName=node-p');
    assert.equal(pages.length, 3, 'three pages of 3');
    assert.ok(pages[1]!.query.get('continue'));

    // Compaction + dropped connection: the re-watch gets ERROR 410, the agent relists (and the next list fails once with 500).
    await waitFor('pods watch open', () => fake.openWatches('pods', 'spec.nodeName=node-p') > 0);
    const relists = await counter(a.registry, 'podlog_kube_relists_total', { watch: 'pods' });
    fake.compact();
    fake.inject({ match: (r) => r.path === '/api/v1/pods' && !r.query.has('watch') && r.query.get('fieldSelector') === 'spec.nodeName=node-p', action: 'status500', times: 1 });
    fake.remove('pods', 'flink', 'page-0');
    fake.compact();
    fake.dropWatches();
    await waitFor('relisted', async () => (await counter(a.registry, 'podlog_kube_relists_total', { watch: 'pods' })) > relists);
    await waitFor('page-0 deleted', () => !!a.link.records.get('flink', 'page-0')?.deletedAt);
    assert.ok((await counter(a.registry, 'podlog_kube_watch_restarts_total', { watch: 'pods', reason: 'list-error' })) >= 1);

    // A silent stall: the watchdog drops the watch and the change made meanwhile arrives on the new one.
    await waitFor('pods watch open again', () => fake.openWatches('pods', 'spec.nodeName=node-p') > 0);
    fake.stallWatches();
    fake.update('pods', 'flink', 'page-1', (o) => {
      o.metadata.labels = { stalled: 'no-more' };
    });
    await waitFor('change after stall', () => (a.link.records.get('flink', 'page-1')?.pod?.metadata as { labels?: Record<string, string> })?.labels?.stalled === 'no-more');
    assert.ok((await counter(a.registry, 'podlog_kube_watch_restarts_total', { watch: 'pods', reason: 'stalled' })) >= 1);
  } finally {
    await a.link.stop();
    await cleanup();
  }
});
