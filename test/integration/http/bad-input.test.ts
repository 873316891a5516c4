import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, truncateSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import request from 'supertest';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';

const MiB = 1024 * 1024;

describe('bad input loses nothing and keeps the agent serving', () => {
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  const base = '/api/v1/namespaces/flink-jobs/pods/tm-1-1/containers/flink-main-container/files';
  before(async () => {
    const dir = root.container('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container');
    // a 100 MB line between two normal lines, written in 1 MiB pieces
    const out = createWriteStream(join(dir, 'huge.log'));
    out.write('first line\n');
    const chunk = Buffer.alloc(MiB, 'x');
    for (let i = 0; i < 100; i++) if (!out.write(chunk)) await once(out, 'drain');
    out.end('\nlast line\n');
    await once(out, 'finish');
    root.file('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container', 'latin1.log', Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' ok\n\xff\xfe bad bytes\n', 'latin1')]));
    root.file('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container', 'core.dump', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0]));
    root.file('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container', 'shrinking.log', 'a\n'.repeat(100_000));
    t = await buildTestApp(root);
  });
  after(async () => {
    await t.close();
    root.cleanup();
  });

  test('a 100 MB line is cut at 1 MiB with a marker, in tails, windows and search', async () => {
    const tail = await request(t.app).get(`${base}/huge.log?tail=2&format=json`).expect(200);
    const [big, last] = tail.body.lines as { text: string; truncated: boolean; offset: number }[];
    assert.equal(last!.text, 'last line');
    assert.equal(big!.truncated, true);
    assert.ok(big!.text.length < MiB + 200, `cut line is ${big!.text.length} chars`);
    assert.match(big!.text, /\[podlog: line cut at 1048576 bytes/);
    assert.equal(big!.offset, 'first line\n'.length);
    const win = await request(t.app).get(`${base}/huge.log/lines?from=0&count=3`).expect(200);
    assert.deepEqual(win.body.lines.map((l: { truncated: boolean }) => l.truncated), [false, true, false]);
    const hit = await request(t.app).get('/api/v1/search?q=last+line&file=huge.log').expect(200);
    assert.match(hit.text, /"line_number":3,"line":"last line"/);
  });

  test('invalid UTF-8 is shown with replacement characters', async () => {
    const res = await request(t.app).get(`${base}/latin1.log?tail=10&format=json`).expect(200);
    assert.deepEqual(res.body.lines.map((l: { text: string }) => l.text), ['caf\uFFFD ok', '\uFFFD\uFFFD bad bytes']);
  });

  test('binary files are refused for line views, still downloadable', async () => {
    const res = await request(t.app).get(`${base}/core.dump?tail=5`).expect(415);
    assert.equal(res.body.error.code, 'PODLOG_E_BINARY');
    await request(t.app).get(`${base}/core.dump/lines?from=0`).expect(415);
    const raw = await request(t.app).get(`${base}/core.dump?download=1`).buffer(true).expect(200);
    assert.equal(Number(raw.headers['content-length']), 12);
  });

  test('a file truncated while it is read ends the response, not the agent', async () => {
    const path = join(root.dir, `flink-jobs_tm-1-1_${uid(1)}`, 'flink-main-container', 'shrinking.log');
    const pending = request(t.app).get(`${base}/shrinking.log`).buffer(true);
    truncateSync(path, 10);
    const res = await pending.catch((e: Error) => e);
    // either the bytes before the cut or an aborted body: never a hang, never an agent crash
    assert.ok(res instanceof Error || res.status === 200);
    await request(t.app).get(`${base}/shrinking.log?tail=1`).expect(200);
    await request(t.app).get('/healthz').expect(200);
  });
});
