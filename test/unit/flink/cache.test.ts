/**
 * The JobManager log cache reads a growing live file on from where it stopped and gives the same summary as a
 * scan of the whole file; a rotation (different files) rescans. Pod entries are built as the catalog builds them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { scanJobManagerFiles } from '../../../src/flink/read-log.ts';
import { JobLogCache } from '../../../src/flink/source.ts';
import type { CatalogView, FileEntry, PodEntry } from '../../../src/store/types.ts';

const LOG = readFileSync(join(import.meta.dirname, '../../../fixtures/flink/jobs/map-exception/jobmanager.log'));

function entry(dir: string, name: string): FileEntry {
  const st = statSync(join(dir, name));
  const live = name === 'jobmanager.log';
  return { name, path: join(dir, name), size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, kind: live ? 'live' : 'rotated', live };
}

test('a grown live file is read on; the result equals a full scan; a rotation rescans', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'podlog-flinkcache-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'flink-jobs_orders-retry-5c8d7f9b6-q4v2n_u1', 'flink-main-container');
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, FileEntry>();
  const pod: PodEntry = { namespace: 'flink-jobs', name: 'orders-retry-5c8d7f9b6-q4v2n', uid: 'u1', root, path: join(root, 'flink-jobs_orders-retry-5c8d7f9b6-q4v2n_u1'), containers: new Map([['flink-main-container', { name: 'flink-main-container', path: dir, files }]]), lastActivityMs: 0 };
  const catalog: CatalogView = { pods: () => [pod], generations: () => [pod], onChange: () => () => {} };
  const cache = new JobLogCache({ catalog, logger: pino({ level: 'silent' }) });
  const refresh = (...names: string[]) => {
    files.clear();
    for (const n of names) files.set(n, entry(dir, n));
  };

  // the first half, cut in the middle of a line (the writer is mid-line)
  const cut = Math.floor(LOG.length / 2) + 17;
  writeFileSync(join(dir, 'jobmanager.log'), LOG.subarray(0, cut));
  refresh('jobmanager.log');
  const first = await cache.scan(pod);
  assert.notEqual(first?.summary.jobs[0]?.state, 'FAILED');
  assert.ok((first?.summary.jobs[0]?.restarts ?? 0) < 3);

  appendFileSync(join(dir, 'jobmanager.log'), LOG.subarray(cut));
  refresh('jobmanager.log');
  const grown = await cache.scan(pod);
  const full = await scanJobManagerFiles([{ root, path: join(dir, 'jobmanager.log'), name: 'jobmanager.log' }]);
  assert.deepEqual(grown?.summary.jobs, full.jobs);
  assert.equal(grown?.summary.lines, full.lines);
  assert.equal(grown?.summary.jobs[0]?.state, 'FAILED');

  // unchanged: the cached answer
  assert.deepEqual((await cache.scan(pod))?.summary, grown?.summary);

  // rotation: the old file becomes .1, a new live file starts empty-ish
  renameSync(join(dir, 'jobmanager.log'), join(dir, 'jobmanager.log.1'));
  writeFileSync(join(dir, 'jobmanager.log'), '2026-12-07 18:50:00,000 INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint        [] - RECEIVED SIGNAL 15: SIGTERM. Shutting down as requested.\n');
  refresh('jobmanager.log.1', 'jobmanager.log');
  const rotated = await cache.scan(pod);
  assert.deepEqual(rotated?.files, ['jobmanager.log.1', 'jobmanager.log']);
  assert.equal(rotated?.summary.jobs[0]?.first.file, 'jobmanager.log.1');
  assert.equal(rotated?.summary.tail.at(-1)?.includes('RECEIVED SIGNAL 15'), true);
});
