import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import request from 'supertest';
import { Catalog } from '../../../src/store/catalog.ts';
import { runRetentionDryRun } from '../../../src/retention/cli.ts';
import { retentionDefaults, type RetentionConfig } from '../../../src/retention/config.ts';
import { executePlan } from '../../../src/retention/executor.ts';
import { createRetention, type RetentionDeps } from '../../../src/retention/index.ts';
import type { LifecycleOf } from '../../../src/retention/pod-state.ts';
import { nodeRouter } from '../../../src/http/routes/node.ts';
import { namespaceFilter } from '../../../src/auth/middleware.ts';
import type { Authenticated } from '../../../src/auth/types.ts';
import { makeRoot, uid, type TestRoot } from '../../helpers/root.ts';
import { waitFor } from '../../helpers/wait.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const logger = pino({ level: 'silent' });

describe('retention over a real root', () => {
  let root: TestRoot;
  let catalog: Catalog;
  let ctl: AbortController;

  /** Write a file of `size` bytes last modified `ageDays` before NOW; returns its path. */
  const put = (pod: string, n: number, name: string, size: number, ageDays: number, container = 'main') => {
    const p = root.file('jobs', pod, uid(n), container, name, Buffer.alloc(size, 0x61));
    const t = (NOW - ageDays * DAY) / 1000;
    utimesSync(p, t, t);
    return p;
  };
  const podDir = (pod: string, n: number) => join(root.dir, `jobs_${pod}_${uid(n)}`);
  const build = async (config: Partial<RetentionConfig>, extra: Partial<RetentionDeps> = {}) => {
    catalog = new Catalog({ roots: [root.dir], logger, usePolling: true, rescanMs: 3_600_000 });
    await catalog.start(ctl.signal);
    return createRetention({
      catalog, roots: catalog.roots, config: retentionDefaults(config), runningWindowMs: 300_000, logger, registry: new Registry(),
      now: () => NOW, space: async () => ({ total: 1_000_000_000, free: 500_000_000 }), ...extra,
    });
  };

  beforeEach(() => {
    root = makeRoot();
    ctl = new AbortController();
  });
  afterEach(async () => {
    ctl.abort();
    await catalog?.stop();
    root.cleanup();
  });

  test('age: an exited pod older than maxAge goes (and its record expires), a young one and a running one stay', async () => {
    put('old', 1, 'app.log', 10, 8);
    put('young', 2, 'app.log', 10, 6);
    put('busy', 3, 'app.log', 10, 0);
    const expired: string[] = [];
    const r = await build({ maxAge: '7d' }, { expireRecord: (p) => void expired.push(p.uid) });
    const report = await r.runOnce();
    assert.deepEqual(report.evicted.map((e) => [e.pod, e.reason, e.status]), [[`jobs/old/${uid(1)}`, 'age', 'done']]);
    assert.ok(!existsSync(podDir('old', 1)));
    assert.ok(existsSync(podDir('young', 2)) && existsSync(podDir('busy', 3)));
    assert.deepEqual(expired, [uid(1)]);
    assert.equal(report.oldestPodAgeSeconds, 6 * 86_400);
    const metrics = await r.metrics.evictedBytes.get();
    assert.equal(metrics.values.find((v) => v.labels.reason === 'age')?.value, 10);
  });

  test('budget: exited pods oldest first, then rotated files of running pods; live files stay', async () => {
    const live = put('run', 1, 'taskmanager.log', 1000, 0);
    const rot1 = put('run', 1, 'taskmanager.log.1', 1000, 1);
    const rot2 = put('run', 1, 'taskmanager.log.2', 1000, 2);
    put('done-a', 2, 'jobmanager.log', 1000, 3);
    put('done-b', 3, 'jobmanager.log', 1000, 1);
    // 5000 bytes against a 2500 budget: done-a (oldest), done-b, then taskmanager.log.2 (oldest rotated) → 2000.
    // done-a and done-b have pod records saying they ended (record-less, they would be idle and go after rotated files).
    const r = await build({ maxBytes: '2500' }, { lifecycleOf: (p) => (p.name.startsWith('done') ? { state: 'exited' } : undefined) });
    const report = await r.runOnce();
    assert.deepEqual(report.evicted.map((e) => `${e.kind} ${e.path.slice(root.dir.length + 1)}`), [
      `pod jobs_done-a_${uid(2)}`, `pod jobs_done-b_${uid(3)}`, `file jobs_run_${uid(1)}/main/taskmanager.log.2`,
    ]);
    assert.ok(report.evicted.every((e) => e.reason === 'budget' && e.status === 'done'));
    assert.ok(existsSync(live) && existsSync(rot1) && !existsSync(rot2));
    assert.equal(report.roots[0]!.after.rootBytes, 2000);
    assert.equal(report.bytesFreed, 3000);
    assert.deepEqual([report.evictedPods, report.evictedFiles], [2, 1]);
    // The catalog has not caught up yet (no rescan): what was deleted does not count again.
    const again = await r.runOnce();
    assert.equal(again.evictedCount, 0);
    assert.equal(again.roots[0]!.before.rootBytes, 2000);
  });

  test('unshipped priority data survives until the free-space floor is breached, then goes and is counted', async () => {
    const prio = put('prio', 1, 'app.log', 1000, 1);
    const life: LifecycleOf = () => ({ state: 'exited' });
    const unshipped = (p: string) => (p === prio ? 600 : 0);
    let free = 400_000_000; // above the 5% floor (50 MB of 1 GB)
    const r = await build({ maxBytes: '100' }, { lifecycleOf: life, unshippedBytes: unshipped, space: async () => ({ total: 1_000_000_000, free }) });
    const kept = await r.runOnce();
    assert.equal(kept.evictedCount, 0);
    assert.equal(kept.roots[0]!.stillOver, true);
    assert.equal(kept.roots[0]!.heldUnshippedBytes, 600);
    assert.ok(existsSync(prio));
    free = 10_000_000; // below the floor
    await catalog.rescan();
    const gone = await r.runOnce();
    assert.deepEqual(gone.evicted.map((e) => [e.kind, e.reason, e.unshippedBytes, e.status]), [['pod', 'floor', 600, 'done']]);
    assert.equal(gone.unshippedEvictedBytes, 600);
    assert.ok(!existsSync(prio));
    assert.equal((await r.metrics.unshippedEvictedBytes.get()).values[0]?.value, 600);
  });

  test('dry run deletes nothing and says what would go and why', async () => {
    const a = put('old', 1, 'app.log', 10, 30);
    const b = put('run', 2, 'app.log.1', 5000, 1);
    put('run', 2, 'app.log', 10, 0);
    const r = await build({ maxAge: '7d', maxBytes: '100', dryRun: true });
    const report = await r.runOnce();
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.evicted.map((e) => [e.reason, e.status]), [['age', 'planned'], ['budget', 'planned']]);
    assert.match(report.evicted[0]!.why, /no pod record and no file written for 30d/);
    assert.ok(existsSync(a) && existsSync(b));
    assert.equal(report.bytesFreed, 5010);
    assert.equal((await r.metrics.evictedBytes.get()).values.reduce((s, v) => s + v.value, 0), 0);
    await catalog.stop();

    let text = '';
    const out = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
    const cli = await runRetentionDryRun({ roots: [root.dir], retention: { maxAge: '7d', maxBytes: '100' }, out, now: () => NOW,
      space: async () => ({ total: 1_000_000_000, free: 500_000_000 }) });
    assert.equal(cli.evictedCount, 2);
    assert.match(text, /^would delete pod folder .*jobs_old_.* \(10B, age\): no pod record and no file written for 30d \(max age 7d\)$/m);
    assert.match(text, /^would delete file .*app\.log\.1 \(4\.88Ki, budget\): root over its budget/m);
    assert.match(text, /dry run: would free .* in 2 deletions .*nothing was deleted/);
    assert.ok(existsSync(a) && existsSync(b));
  });

  test('executor never follows links and skips what changed since planning', async () => {
    mkdirSync(join(root.dir, 'elsewhere'));
    writeFileSync(join(root.dir, 'elsewhere', 'precious'), 'x');
    symlinkSync(join(root.dir, 'elsewhere'), join(root.dir, `jobs_link_${uid(9)}`));
    const f = put('p', 1, 'app.log.1', 10, 1);
    const base = { bytes: 1, reason: 'budget' as const, pod: 'x', unshippedBytes: 0, why: 'test' };
    const out = await executePlan([
      { ...base, kind: 'pod', path: join(root.dir, `jobs_link_${uid(9)}`) },
      { ...base, kind: 'pod', path: join(root.dir, 'elsewhere') },
      { ...base, kind: 'file', path: f, ino: 1 },
      { ...base, kind: 'file', path: join(root.dir, '..', 'etc', 'passwd') },
    ], { root: root.dir, logger });
    assert.deepEqual(out.map((o) => o.status), ['skipped', 'skipped', 'skipped', 'skipped']);
    assert.match(out[0]!.note!, /not a real directory/);
    assert.match(out[2]!.note!, /another file/);
    assert.ok(existsSync(join(root.dir, 'elsewhere', 'precious')) && existsSync(f));
    catalog = new Catalog({ roots: [root.dir], logger, usePolling: true });
  });

  test('start: a pass at once, then another when free space drops by the jump amount', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    put('old', 1, 'app.log', 10, 8);
    let free = 500_000_000;
    const r = await build({ checkMs: 1000, intervalMs: 3_600_000, jumpBytes: '1%' }, { space: async () => ({ total: 1_000_000_000, free }) });
    const ctl2 = new AbortController();
    r.start(ctl2.signal);
    await waitFor(() => r.lastRun()?.trigger === 'interval', { what: 'first pass' });
    const first = r.lastRun();
    t.mock.timers.tick(1000);
    await new Promise((res) => setImmediate(res));
    assert.equal(r.lastRun(), first, 'no jump, no pass');
    free -= 20_000_000; // 2% of the file system
    t.mock.timers.tick(1000);
    await waitFor(() => r.lastRun()?.trigger === 'jump', { what: 'pass on a jump' });
    ctl2.abort();
  });

  test('GET /node: disk, budget, counts and the last run', async () => {
    put('old', 1, 'app.log', 10, 8);
    put('busy', 2, 'app.log', 20, 0);
    const r = await build({ maxBytes: '20%' });
    const app = express().use('/api/v1', nodeRouter({ retention: r, catalog, config: retentionDefaults({ maxBytes: '20%' }), nodeName: 'node-1', runningWindowMs: 300_000, now: () => NOW, listFilter: async () => () => true }));
    const before = await request(app).get('/api/v1/node').expect(200);
    assert.deepEqual(before.body.pods, { total: 2, running: 1, exited: 1 });
    assert.equal(before.body.files, 2);
    assert.equal(before.body.node, 'node-1');
    assert.deepEqual(before.body.roots, [{ path: catalog.roots[0], bytes: 30, fsTotal: 1_000_000_000, fsFree: 500_000_000 }]);
    assert.equal(before.body.budget.maxBytes, '20%');
    assert.equal(before.body.lastRun, undefined);
    await r.runOnce();
    const afterRun = await request(app).get('/api/v1/node').expect(200);
    assert.equal(afterRun.body.lastRun.bytesFreed, 10);
    assert.equal(afterRun.body.lastRun.roots[0].budgetBytes, 200_000_000);
    assert.equal(afterRun.body.lastRun.evicted[0].reason, 'age');
  });

  test('GET /node for a caller limited to team-a: counts and deletions of team-a only', async () => {
    const put2 = (ns: string, pod: string, n: number, ageDays: number) => {
      const p = root.file(ns, pod, uid(n), 'main', 'app.log', Buffer.alloc(10, 0x61));
      const t = (NOW - ageDays * DAY) / 1000;
      utimesSync(p, t, t);
    };
    put2('team-a', 'web-1', 1, 8);
    put2('team-a', 'web-2', 2, 0);
    put2('team-b', 'db-1', 3, 8);
    const r = await build({ maxAge: '7d' });
    await r.runOnce();
    assert.equal(r.lastRun()?.evicted.length, 2);
    const teamA: Authenticated = {
      identity: { user: 'alice', groups: [], source: 'token' }, forward: {},
      authorizer: { unrestricted: false, can: async (_v, ns) => ns === 'team-a', allowedNamespaces: async (nss) => new Set([...nss].filter((ns) => ns === 'team-a')) },
    };
    const app = express()
      .use((req, _res, next) => { req.auth = teamA; next(); })
      .use('/api/v1', nodeRouter({
        retention: r, catalog, config: retentionDefaults({ maxAge: '7d' }), nodeName: 'node-1', runningWindowMs: 300_000, now: () => NOW,
        listFilter: (req, nss) => namespaceFilter(req, nss, 'list'),
      }));
    const body = (await request(app).get('/api/v1/node').expect(200)).body;
    assert.deepEqual(body.lastRun.evicted.map((e: { pod: string }) => e.pod), [`team-a/web-1/${uid(1)}`]);
    assert.doesNotMatch(JSON.stringify(body), /team-b|db-1/);
    assert.deepEqual(body.pods, { total: 2, running: 1, exited: 1 }, "team-a's two pods (the catalog has not seen the deletion yet), not team-b's");
    assert.equal(body.files, 2);
  });
});
