import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { createAuthGate } from '../../../src/auth/middleware.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createApp } from '../../../src/http/app.ts';
import { kubeRouter } from '../../../src/http/routes/events-jobs.ts';
import { kubeDefaults } from '../../../src/kube/config.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { Catalog } from '../../../src/store/catalog.ts';
import { makeRoot, uid } from '../../helpers/root.ts';

/** Search summary: the last NDJSON line. */
function summaryOf(text: string): Record<string, unknown> {
  return JSON.parse(text.trim().split('\n').pop()!) as Record<string, unknown>;
}

describe('the agent answers while its first scan runs', () => {
  const root = makeRoot();
  const stateDir = mkdtempSync(join(tmpdir(), 'podlog-state-'));
  const controller = new AbortController();
  let release!: () => void;
  const hold = new Promise<void>((resolve) => (release = resolve));
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ flags: { roots: [root.dir], stateDir } });
  // the seam holds the first scan after the roots are resolved: the catalog is scanning and has found nothing yet
  const catalog = new Catalog({ roots: config.roots, logger, beforeFirstScan: hold });
  const app = createApp({
    config, catalog, metrics: createMetrics(), logger, ready: () => true, shutdown: controller.signal, auth: createAuthGate(config.auth, { logger }),
    apiRouters: [kubeRouter({ records: undefined, catalog, config: kubeDefaults() })],
  });

  before(async () => {
    root.file('flink-jobs', 'flink-taskmanager-1-1', uid(1), 'flink-main-container', 'taskmanager.log', 'ERROR boom\n');
    await catalog.begin(controller.signal);
  });
  after(async () => {
    release();
    controller.abort();
    await catalog.stop();
    root.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('during the scan: /healthz answers, /readyz says scanning (503), listings and search say partial', async () => {
    assert.equal(catalog.scanning, true);
    assert.deepEqual((await request(app).get('/healthz').expect(200)).body, { status: 'ok' });
    const readyz = (await request(app).get('/readyz').expect(503)).body;
    assert.equal(readyz.status, 'scanning');
    assert.equal(readyz.scanning, true);
    const pods = (await request(app).get('/api/v1/pods').expect(200)).body;
    assert.equal(pods.partial, true);
    assert.deepEqual(pods.items, []);
    assert.equal((await request(app).get('/api/v1/jobs').expect(200)).body.partial, true);
    const search = await request(app).get('/api/v1/search?q=ERROR').expect(200);
    assert.equal(summaryOf(search.text).partial, true);
  });

  test('after the scan: /readyz is ready (200), listings are complete and carry no partial flag', async () => {
    release();
    await catalog.scanned();
    assert.equal(catalog.scanning, false);
    const readyz = (await request(app).get('/readyz').expect(200)).body;
    assert.equal(readyz.status, 'ready');
    assert.equal(readyz.scanning, false);
    assert.equal(readyz.files, 1);
    const pods = (await request(app).get('/api/v1/pods').expect(200)).body;
    assert.equal(pods.partial, undefined);
    assert.deepEqual(pods.items.map((p: { name: string }) => p.name), ['flink-taskmanager-1-1']);
    const jobs = (await request(app).get('/api/v1/jobs').expect(200)).body;
    assert.equal(jobs.partial, undefined);
    const search = await request(app).get('/api/v1/search?q=ERROR').expect(200);
    const summary = summaryOf(search.text);
    assert.equal(summary.partial, undefined);
    assert.equal(summary.matches, 1);
  });
});
