import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';
import { waitFor } from '../../helpers/wait.ts';
import { findRipgrep, type Ripgrep } from '../../../src/search/ripgrep.ts';

/** The engines every test runs with: built-in, and ripgrep when installed. */
const rg = findRipgrep({ engine: 'auto', ripgrepPath: '' }, process.env.PATH);
const ENGINES: { name: string; ripgrep?: Ripgrep; skip?: string }[] = [
  { name: 'built-in engine' },
  rg ? { name: `ripgrep engine (${rg.version})`, ripgrep: rg } : { name: 'ripgrep engine', skip: 'ripgrep (rg) is not installed: apt-get install ripgrep' },
];

const TM = [
  '2026-11-20 10:00:00,001 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor          [] - Receive slot request.',
  '2026-11-20 10:00:01,002 WARN  org.apache.flink.runtime.taskmanager.Task                   [] - Map (1/2) switched from RUNNING to FAILED.',
  'java.lang.RuntimeException: injected failure after 500 records',
  '\tat com.example.FailingMap.map(FailingMap.java:21)',
  '2026-11-20 10:00:02,003 INFO  org.apache.flink.runtime.taskmanager.Task                   [] - Map (1/2) switched from DEPLOYING to RUNNING.',
];

function ndjson(text: string): Record<string, unknown>[] {
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

for (const engine of ENGINES) describe(`GET /api/v1/search, ${engine.name}`, { skip: engine.skip ?? false }, () => {
  const withEngine = engine.ripgrep ? { ripgrep: engine.ripgrep } : {};
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  before(async () => {
    root.file('flink-jobs', 'orders-taskmanager-1-1', uid(1), 'flink-main-container', 'taskmanager.log', TM.join('\n') + '\n');
    root.file('flink-jobs', 'orders-taskmanager-1-1', uid(1), 'flink-main-container', 'taskmanager.log.1.gz', gzipSync('old\njava.lang.RuntimeException: injected failure after 10 records\n'));
    root.file('flink-jobs', 'orders-taskmanager-1-2', uid(2), 'flink-main-container', 'taskmanager.log', 'nothing here\n');
    root.file('other', 'web-0', uid(3), 'nginx', 'access.log', 'RuntimeException in another namespace\n');
    root.file('other', 'web-0', uid(3), 'nginx', 'core.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0, 1, 2, 3]));
    t = await buildTestApp(root, withEngine);
  });
  after(async () => {
    await t.close();
    root.cleanup();
  });

  test('literal search streams hits with file, byte offset, line number and line, then a summary', async () => {
    const res = await request(t.app).get('/api/v1/search?q=injected+failure&namespace=flink-jobs').expect(200);
    assert.match(res.headers['content-type'] ?? '', /application\/x-ndjson/);
    const rows = ndjson(res.text);
    const hits = rows.filter((r) => !r.done);
    assert.equal(hits.length, 2);
    assert.deepEqual(hits[0], {
      namespace: 'flink-jobs', pod: 'orders-taskmanager-1-1', uid: uid(1), container: 'flink-main-container', file: 'taskmanager.log',
      offset: Buffer.byteLength(TM.slice(0, 2).join('\n') + '\n'), line_number: 3, line: TM[2],
    });
    assert.equal(hits[1]!.file, 'taskmanager.log.1.gz');
    assert.equal(hits[1]!.offset, 4);
    assert.equal(hits[1]!.line_number, 2);
    const summary = rows.at(-1)!;
    assert.equal(summary.done, true);
    assert.equal(summary.stopped_by, 'done');
    assert.ok((summary.bytes_scanned as number) > 0);
  });

  test('regex (RE2), case-insensitive, scoped to a pod and file', async () => {
    const re = ndjson((await request(t.app).get('/api/v1/search?q=switched+from+%5BA-Z%5D%2B+to+FAILED&regex=true').expect(200)).text);
    assert.deepEqual(re.filter((r) => !r.done).map((r) => r.line_number), [2]);
    const ci = ndjson((await request(t.app).get('/api/v1/search?q=RUNTIMEEXCEPTION&case=false&pod=orders-taskmanager-1-1&file=taskmanager.log').expect(200)).text);
    assert.equal(ci.filter((r) => !r.done).length, 1);
  });

  test('job scope: a Flink cluster-id from the pod names', async () => {
    const rows = ndjson((await request(t.app).get('/api/v1/search?q=RuntimeException&job=orders').expect(200)).text);
    const pods = new Set(rows.filter((r) => !r.done).map((r) => r.pod));
    assert.deepEqual([...pods], ['orders-taskmanager-1-1']);
    const none = ndjson((await request(t.app).get('/api/v1/search?q=RuntimeException&job=other-job').expect(200)).text);
    assert.equal(none.filter((r) => !r.done).length, 0);
  });

  test('limit stops the search and says so', async () => {
    const rows = ndjson((await request(t.app).get('/api/v1/search?q=RuntimeException&limit=1').expect(200)).text);
    assert.equal(rows.filter((r) => !r.done).length, 1);
    assert.equal(rows.at(-1)!.stopped_by, 'limit');
  });

  test('a corrupt .gz is skipped, not fatal', async () => {
    root.file('broken', 'web-1', uid(4), 'nginx', 'access.log', 'RuntimeException in the live file\n');
    root.file('broken', 'web-1', uid(4), 'nginx', 'broken.log.1.gz', Buffer.concat([gzipSync('RuntimeException\n').subarray(0, 12), Buffer.from('garbage')]));
    await waitFor(() => t.catalog.generations('broken', 'web-1')[0]?.containers.get('nginx')?.files.size === 2, { what: 'catalog sees the new pod' });
    const rows = ndjson((await request(t.app).get('/api/v1/search?q=RuntimeException&namespace=broken').expect(200)).text);
    assert.equal(rows.filter((r) => !r.done).length, 1);
    assert.ok((rows.at(-1)!.files_skipped as number) >= 1);
  });

  test('binary files are skipped, not fatal', async () => {
    const rows = ndjson((await request(t.app).get('/api/v1/search?q=ELF&namespace=other').expect(200)).text);
    assert.equal(rows.filter((r) => !r.done).length, 0);
    assert.equal(rows.at(-1)!.files_skipped, 1);
  });

  test('bad input: missing q, bad regex, bad limit', async () => {
    const a = await request(t.app).get('/api/v1/search').expect(400);
    assert.equal(a.body.error.code, 'PODLOG_E_BAD_PARAM');
    const b = await request(t.app).get('/api/v1/search?q=(unclosed&regex=true').expect(400);
    assert.equal(b.body.error.code, 'PODLOG_E_BAD_REGEX');
    const c = await request(t.app).get('/api/v1/search?q=(a%2B)%2B%5C1&regex=true').expect(400); // backreference: not RE2
    assert.equal(c.body.error.code, 'PODLOG_E_BAD_REGEX');
    await request(t.app).get('/api/v1/search?q=x&limit=-5').expect(400);
  });

  test('a pathological regex finishes in linear time', async () => {
    root.file('flink-jobs', 'orders-taskmanager-1-2', uid(2), 'flink-main-container', 'evil.log', 'a'.repeat(50_000) + '!\n');
    await waitFor(() => t.catalog.generations('flink-jobs', 'orders-taskmanager-1-2')[0]?.containers.get('flink-main-container')?.files.has('evil.log'));
    const rows = ndjson((await request(t.app).get('/api/v1/search?q=%5E(a%2B)%2B%24&regex=true&file=evil.log').expect(200)).text);
    assert.equal(rows.at(-1)!.stopped_by, 'done');
    assert.equal(rows.at(-1)!.files_searched, 1);
    assert.equal(rows.at(-1)!.matches, 0);
  });

  test('the byte budget bounds a search', async () => {
    const small = await buildTestApp(root, { ...withEngine, config: { search: { byteBudget: 10 } } });
    try {
      const rows = ndjson((await request(small.app).get('/api/v1/search?q=zzz').expect(200)).text);
      assert.equal(rows.at(-1)!.stopped_by, 'budget');
    } finally {
      await small.close();
    }
  });
});
