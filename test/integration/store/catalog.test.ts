import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Catalog } from '../../../src/store/catalog.ts';
import type { CatalogChange } from '../../../src/store/types.ts';
import { makeRoot, uid } from '../../helpers/root.ts';
import { waitFor } from '../../helpers/wait.ts';

describe('catalog over a live root', () => {
  const root = makeRoot();
  const catalog = new Catalog({ roots: [root.dir], logger: pino({ level: 'silent' }), rescanMs: 3_600_000 });
  const controller = new AbortController();
  const changes: CatalogChange[] = [];
  const files = (name: string) => [...(catalog.generations('flink-jobs', name)[0]?.containers.get('flink-main-container')?.files.values() ?? [])];
  const names = (name: string) => files(name).map((f) => f.name).sort();
  const sizeOf = (pod: string, file: string) => files(pod).find((f) => f.name === file)?.size;

  before(async () => {
    root.file('flink-jobs', 'tm-1', uid(1), 'flink-main-container', 'taskmanager.log', 'a\n');
    await catalog.start(controller.signal);
    catalog.onChange((c) => changes.push(c));
  });
  after(() => {
    controller.abort();
    root.cleanup();
  });

  test('initial scan finds pods, containers and files', () => {
    assert.deepEqual(names('tm-1'), ['taskmanager.log']);
    assert.equal(catalog.stats().pods, 1);
  });

  test('a new pod folder and its files appear', async () => {
    const dir = root.container('flink-jobs', 'tm-2', uid(2), 'flink-main-container');
    writeFileSync(join(dir, 'taskmanager.log'), 'hello\n');
    await waitFor(() => names('tm-2').includes('taskmanager.log'), { what: 'new pod file' });
    assert.ok(changes.some((c) => c.type === 'pod-added' && c.pod.name === 'tm-2'));
  });

  test('growth updates the size', async () => {
    const p = join(root.dir, `flink-jobs_tm-1_${uid(1)}`, 'flink-main-container', 'taskmanager.log');
    appendFileSync(p, 'more\n');
    await waitFor(() => sizeOf('tm-1', 'taskmanager.log') === 7, { what: 'growth' });
  });

  test('log4j rotation: .log → .log.1 → .log.2 and a new .log', async () => {
    const dir = join(root.dir, `flink-jobs_tm-1_${uid(1)}`, 'flink-main-container');
    renameSync(join(dir, 'taskmanager.log'), join(dir, 'taskmanager.log.1'));
    writeFileSync(join(dir, 'taskmanager.log'), 'new\n');
    await waitFor(() => names('tm-1').join() === 'taskmanager.log,taskmanager.log.1', { what: 'first roll' });
    renameSync(join(dir, 'taskmanager.log.1'), join(dir, 'taskmanager.log.2'));
    renameSync(join(dir, 'taskmanager.log'), join(dir, 'taskmanager.log.1'));
    writeFileSync(join(dir, 'taskmanager.log'), 'newer\n');
    await waitFor(() => names('tm-1').join() === 'taskmanager.log,taskmanager.log.1,taskmanager.log.2', { what: 'second roll' });
    const kinds = Object.fromEntries(files('tm-1').map((f) => [f.name, f.kind]));
    assert.deepEqual(kinds, { 'taskmanager.log': 'live', 'taskmanager.log.1': 'rotated', 'taskmanager.log.2': 'rotated' });
  });

  test('copytruncate: the size drops, the entry stays', async () => {
    const dir = join(root.dir, `flink-jobs_tm-1_${uid(1)}`, 'flink-main-container');
    writeFileSync(join(dir, 'taskmanager.log.copy'), 'newer\n');
    truncateSync(join(dir, 'taskmanager.log'), 0);
    await waitFor(() => sizeOf('tm-1', 'taskmanager.log') === 0, { what: 'truncate' });
  });

  test('compression of a rotated file: .2 vanishes, .2.gz appears', async () => {
    const dir = join(root.dir, `flink-jobs_tm-1_${uid(1)}`, 'flink-main-container');
    writeFileSync(join(dir, 'taskmanager.log.2.gz'), gzipSync('old\n'));
    rmSync(join(dir, 'taskmanager.log.2'));
    await waitFor(() => names('tm-1').includes('taskmanager.log.2.gz') && !names('tm-1').includes('taskmanager.log.2'), { what: 'gz' });
    assert.equal(files('tm-1').find((f) => f.name === 'taskmanager.log.2.gz')?.kind, 'compressed');
  });

  test('a pod folder that remains after the pod is gone stays; a deleted one leaves', async () => {
    assert.equal(catalog.generations('flink-jobs', 'tm-2').length, 1);
    rmSync(join(root.dir, `flink-jobs_tm-2_${uid(2)}`), { recursive: true });
    await waitFor(() => catalog.generations('flink-jobs', 'tm-2').length === 0, { what: 'pod removal' });
    assert.ok(changes.some((c) => c.type === 'pod-removed' && c.pod.name === 'tm-2'));
  });

  test('folders that do not follow the layout, and deeper folders, are ignored', async () => {
    mkdirSync(join(root.dir, 'not-a-pod'));
    writeFileSync(join(root.dir, 'stray.log'), 'x\n');
    const dir = join(root.dir, `flink-jobs_tm-1_${uid(1)}`, 'flink-main-container', 'sub');
    mkdirSync(dir);
    writeFileSync(join(dir, 'deep.log'), 'x\n');
    await catalog.rescan();
    assert.equal(catalog.stats().pods, 1);
    assert.ok(!names('tm-1').includes('deep.log'));
  });

  test('the periodic rescan catches what inotify did not report', async () => {
    const quiet = new Catalog({ roots: [root.dir], logger: pino({ level: 'silent' }), usePolling: true, rescanMs: 3_600_000 });
    await quiet.start(new AbortController().signal);
    root.file('flink-jobs', 'tm-3', uid(3), 'flink-main-container', 'taskmanager.log', 'x\n');
    assert.equal(quiet.generations('flink-jobs', 'tm-3').length, 0);
    await quiet.rescan();
    assert.equal(quiet.generations('flink-jobs', 'tm-3').length, 1);
    await quiet.stop();
  });
});

test('a missing root is a clear configuration error', async () => {
  const c = new Catalog({ roots: ['/nonexistent/podlog-root'], logger: pino({ level: 'silent' }) });
  await assert.rejects(c.start(new AbortController().signal), /root \/nonexistent\/podlog-root is not a readable directory/);
});

test('a refresh of a file in a container folder the catalog has not seen yet admits it (no wait on itself)', async () => {
  const root = makeRoot();
  const catalog = new Catalog({ roots: [root.dir], logger: pino({ level: 'silent' }), usePolling: true, rescanMs: 3_600_000 });
  const controller = new AbortController();
  try {
    root.file('flink-jobs', 'jm-0', uid(7), 'flink-main-container', 'jobmanager.log', 'up\n');
    await catalog.start(controller.signal);
    const late = root.file('flink-jobs', 'jm-0', uid(7), 'sidecar', 'sidecar.log', 'late\n');
    const entry = await catalog.refresh(late);
    assert.equal(entry?.size, 5);
    const latePod = root.file('flink-jobs', 'jm-1', uid(8), 'main', 'main.log', 'new pod\n');
    assert.equal((await catalog.refresh(latePod))?.name, 'main.log');
  } finally {
    controller.abort();
    root.cleanup();
  }
});
