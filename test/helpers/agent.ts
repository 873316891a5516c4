import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createAuthGate } from '../../src/auth/middleware.ts';
import { createApp, type AppDeps } from '../../src/http/app.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { Catalog } from '../../src/store/catalog.ts';
import type { TestRoot } from './root.ts';

export { makeRoot, uid, type TestRoot } from './root.ts';

/** A started catalog and app over a test root. Call `close()` in `after`. */
export async function buildTestApp(root: TestRoot, overrides: Omit<Partial<AppDeps>, 'config'> & { config?: Record<string, unknown> } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'podlog-state-'));
  const config: Config = loadConfig({ flags: { roots: [root.dir], stateDir, ...overrides.config } });
  const logger = pino({ level: process.env.PODLOG_TEST_LOG ?? 'silent' });
  const catalog = new Catalog({ roots: config.roots, logger });
  const controller = new AbortController();
  await catalog.start(controller.signal);
  const metrics = createMetrics();
  const { config: _flags, ...rest } = overrides;
  const auth = createAuthGate(config.auth, { logger });
  const app = createApp({ config, catalog, metrics, logger, ready: () => true, shutdown: controller.signal, auth, ...rest });
  return {
    app,
    catalog,
    metrics,
    config,
    async close() {
      controller.abort();
      await catalog.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
