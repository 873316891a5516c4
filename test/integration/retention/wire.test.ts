import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { ALLOW_ALL, type Authenticated } from '../../../src/auth/types.ts';
import { kubeDefaults } from '../../../src/kube/config.ts';
import type { PodRecord, PodRecords } from '../../../src/kube/records.ts';
import { retentionDefaults } from '../../../src/retention/config.ts';
import { startRetention } from '../../../src/retention/wire.ts';
import { nodeRouter } from '../../../src/http/routes/node.ts';
import { namespaceFilter } from '../../../src/auth/middleware.ts';
import { createHealth } from '../../../src/observability/health.ts';
import { Catalog } from '../../../src/store/catalog.ts';
import { uid } from '../../helpers/root.ts';
import { waitFor } from '../../helpers/wait.ts';

test('startRetention: records give lifecycles and expire with their logs; CRI copies land in the root; GET /node', async () => {
  const base = mkdtempSync(join(tmpdir(), 'podlog-wire-'));
  const root = join(base, 'root');
  const kubelet = join(base, 'pods');
  const ctl = new AbortController();
  const logger = pino({ level: 'silent' });
  // A pod deleted 10 days ago (its record says so), whose files were written 1 day ago.
  const done = join(root, `jobs_done_${uid(1)}`, 'main');
  mkdirSync(done, { recursive: true });
  writeFileSync(join(done, 'app.log'), 'bye\n');
  const t = (Date.now() - 86_400_000) / 1000;
  utimesSync(join(done, 'app.log'), t, t);
  const rec: PodRecord = { version: 1, kind: 'Pod', namespace: 'jobs', name: 'done', uid: uid(1), scope: 'node', firstSeen: '2026-01-01T00:00:00Z',
    lastSeen: new Date(Date.now() - 10 * 86_400_000).toISOString(), deletedAt: new Date(Date.now() - 10 * 86_400_000).toISOString(), events: [] };
  const store = new Map([[uid(1), rec]]);
  const records: PodRecords & { remove(uid: string): void } = {
    get: (_ns, _n, u) => (u ? store.get(u) : undefined), list: () => [...store.values()], onChange: () => () => undefined, remove: (u) => void store.delete(u),
  };
  // A crashed init container's stdout at the kubelet.
  const k = join(kubelet, `batch_init-crash_${uid(2)}`, 'init');
  mkdirSync(k, { recursive: true });
  writeFileSync(join(k, '0.log'), '2026-11-20T10:00:00.000000001Z stderr F panic: boom\n');

  const catalog = new Catalog({ roots: [root], logger, usePolling: true });
  await catalog.start(ctl.signal);
  const unit = startRetention({
    catalog, roots: catalog.roots, logger, registry: new Registry(), records, signal: ctl.signal,
    config: { retention: retentionDefaults({ kubeletPodsDir: kubelet, criPollMs: 3_600_000 }), runningWindowMs: 300_000, stateDir: join(base, 'state'), kube: kubeDefaults({ nodeName: 'n1' }) },
  });
  try {
    await waitFor(() => unit.retention.lastRun(), { what: 'first pass' });
    assert.ok(!existsSync(join(root, `jobs_done_${uid(1)}`)), 'deleted 10 days ago by its record: gone by age');
    assert.equal(store.size, 0, 'its record expired with it');
    const copy = join(root, `batch_init-crash_${uid(2)}`, 'init', 'stdio-0.cri.log');
    await waitFor(() => existsSync(copy) && readFileSync(copy, 'utf8').includes('boom'), { what: 'CRI copy' });
    await catalog.rescan();
    const anonymous: Authenticated = { identity: { user: 'system:anonymous', groups: [], source: 'none' }, authorizer: ALLOW_ALL, forward: {} };
    const app = express().use((req, _res, next) => { req.auth = anonymous; next(); }).use('/api/v1', nodeRouter({
      retention: unit.retention, catalog, config: retentionDefaults({ kubeletPodsDir: kubelet }), nodeName: 'n1', runningWindowMs: 300_000,
      ...(unit.lifecycleOf ? { lifecycleOf: unit.lifecycleOf } : {}),
      listFilter: (req, namespaces) => namespaceFilter(req, namespaces, 'list'),
    }));
    const node = await request(app).get('/api/v1/node').expect(200);
    assert.equal(node.body.node, 'n1');
    assert.equal(node.body.budget.criCopy, true);
    assert.deepEqual(node.body.pods, { total: 1, running: 1, exited: 0 });
    assert.equal(node.body.lastRun.reasons.age, 4);
  } finally {
    ctl.abort();
    await unit.stop();
    await catalog.stop();
    rmSync(base, { recursive: true, force: true });
  }
});

test('startRetention: a copier that cannot save its offsets is reported on the health board and in metrics until it recovers', async () => {
  const base = mkdtempSync(join(tmpdir(), 'podlog-wire-'));
  const root = join(base, 'root');
  const kubelet = join(base, 'pods');
  const stateDir = join(base, 'state');
  mkdirSync(join(kubelet, `batch_p_${uid(3)}`, 'main'), { recursive: true });
  writeFileSync(join(kubelet, `batch_p_${uid(3)}`, 'main', '0.log'), '2026-11-20T10:00:00.000000001Z stdout F hi\n');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'retention'), 'in the way'); // <stateDir>/retention must be a folder
  const ctl = new AbortController();
  const logger = pino({ level: 'silent' });
  const registry = new Registry();
  const health = createHealth(registry);
  const catalog = new Catalog({ roots: [root], logger, usePolling: true });
  mkdirSync(root);
  await catalog.start(ctl.signal);
  const unit = startRetention({
    catalog, roots: catalog.roots, logger, registry, signal: ctl.signal, health,
    config: { retention: retentionDefaults({ kubeletPodsDir: kubelet, criPollMs: 20 }), runningWindowMs: 300_000, stateDir },
  });
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
  try {
    await waitFor(() => health.snapshot()['cri-copy'], { what: 'degraded on the board' });
    assert.equal(health.snapshot()['cri-copy']!.state, 'retrying');
    assert.match(health.snapshot()['cri-copy']!.reason, /cri-offsets\.json/);
    assert.equal(await metric('podlog_retention_cri_failing'), 1);
    assert.ok((await metric('podlog_retention_cri_failed_passes_total'))! >= 1);
    assert.match(await registry.getSingleMetricAsString('podlog_degraded'), /podlog_degraded\{part="cri-copy"\} 1/);
    rmSync(join(stateDir, 'retention'));
    await waitFor(() => !health.snapshot()['cri-copy'], { what: 'recovered' });
    assert.equal(await metric('podlog_retention_cri_failing'), 0);
    assert.ok(existsSync(join(stateDir, 'retention', 'cri-offsets.json')));
  } finally {
    ctl.abort();
    await unit.stop();
    await catalog.stop();
    rmSync(base, { recursive: true, force: true });
  }
});
