import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { createApp, type AppDeps } from '../../src/http/app.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { Catalog } from '../../src/store/catalog.ts';

/** A uid for test pods; `n` makes distinct ones. */
export function uid(n = 0): string {
  return `0b0f3f0e-6f2c-4e3a-9c1d-${String(n).padStart(12, '0')}`;
}

/** A temporary log root with helpers to lay out pod folders. */
export interface TestRoot {
  dir: string;
  /** Create `<ns>_<pod>_<uid>/<container>/` and return its path. */
  container(ns: string, pod: string, podUid: string, container: string): string;
  /** Write a file into a container folder (created as needed); returns its path. */
  file(ns: string, pod: string, podUid: string, container: string, name: string, content: string | Buffer): string;
  cleanup(): void;
}

/** Make a temporary root under the OS temp dir. */
export function makeRoot(): TestRoot {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-root-'));
  const container = (ns: string, pod: string, podUid: string, c: string) => {
    const p = join(dir, `${ns}_${pod}_${podUid}`, c);
    mkdirSync(p, { recursive: true });
    return p;
  };
  return {
    dir,
    container,
    file(ns, pod, podUid, c, name, content) {
      const p = join(container(ns, pod, podUid, c), name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A started catalog and app over a test root. Call `close()` in `after`. */
export async function buildTestApp(root: TestRoot, overrides: Partial<AppDeps> & { config?: Record<string, unknown> } = {}) {
  const stateDir = mkdtempSync(join(tmpdir(), 'podlog-state-'));
  const config: Config = loadConfig({ flags: { roots: [root.dir], stateDir, ...overrides.config } });
  const logger = pino({ level: 'silent' });
  const catalog = new Catalog({ roots: config.roots, logger });
  const controller = new AbortController();
  await catalog.start(controller.signal);
  const metrics = createMetrics();
  const app = createApp({ config, catalog, metrics, logger, ready: () => true, shutdown: controller.signal, ...overrides });
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
