import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';
import { openSse, sseLines } from '../../helpers/sse.ts';
import { waitFor } from '../../helpers/wait.ts';

describe('follow over SSE', () => {
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  let server: Server;
  let base: string;
  const dir = () => join(root.dir, `flink-jobs_tm-1-1_${uid(1)}`, 'flink-main-container');
  const url = (file: string, q = '') => `${base}/api/v1/namespaces/flink-jobs/pods/tm-1-1/containers/flink-main-container/files/${file}/follow${q}`;

  before(async () => {
    root.file('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container', 'taskmanager.log', 'line 0\n');
    root.file('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container', 'copy.log', 'c0\n');
    root.file('flink-jobs', 'tm-1-1', uid(1), 'flink-main-container', 'app.log', 'a0\n');
    t = await buildTestApp(root, { config: { follow: { pollMs: 20, heartbeatMs: 50, maxClients: 3 } } });
    server = createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await t.close();
    root.cleanup();
  });

  test('appended lines arrive with resume ids; rename+create rotation continues in the new file', async () => {
    const s = await openSse(url('taskmanager.log', '?offset=0'));
    assert.equal(s.status, 200);
    await waitFor(() => sseLines(s.frames).includes('line 0'), { what: 'existing line' });
    appendFileSync(join(dir(), 'taskmanager.log'), 'line 1\nline 2\n');
    await waitFor(() => sseLines(s.frames).includes('line 2'), { what: 'appended lines' });
    const lastId = s.frames.filter((f) => f.event === 'lines').at(-1)!.id;
    assert.equal(lastId, String(Buffer.byteLength('line 0\nline 1\nline 2\n')));
    renameSync(join(dir(), 'taskmanager.log'), join(dir(), 'taskmanager.log.1'));
    writeFileSync(join(dir(), 'taskmanager.log'), 'after roll\n');
    await waitFor(() => sseLines(s.frames).includes('after roll'), { what: 'line of the new file' });
    assert.ok(s.frames.some((f) => f.event === 'rotated'));
    await waitFor(() => s.frames.some((f) => f.event === 'comment'), { what: 'heartbeat' });
    s.close();
  });

  test('copytruncate restarts at 0', async () => {
    const s = await openSse(url('copy.log'));
    appendFileSync(join(dir(), 'copy.log'), 'c1\n');
    await waitFor(() => sseLines(s.frames).includes('c1'));
    copyFileSync(join(dir(), 'copy.log'), join(dir(), 'copy.log.1'));
    truncateSync(join(dir(), 'copy.log'), 0);
    await waitFor(() => s.frames.some((f) => f.event === 'truncated'), { what: 'truncated event' });
    appendFileSync(join(dir(), 'copy.log'), 'c2\n');
    await waitFor(() => sseLines(s.frames).includes('c2'));
    assert.ok(!sseLines(s.frames).includes('c0'), 'started at the end, not at 0');
    s.close();
  });

  test('Last-Event-ID resumes where the client left off', async () => {
    const s = await openSse(url('app.log'), { 'Last-Event-ID': '0' });
    await waitFor(() => sseLines(s.frames).includes('a0'));
    s.close();
  });

  test('a bounded number of followers; bad offsets rejected', async () => {
    const res = await fetch(url('app.log', '?offset=abc'));
    assert.equal(res.status, 400);
    const open = await Promise.all([1, 2, 3].map(() => openSse(url('app.log'))));
    await waitFor(() => t.metrics.followClients.get().then((m) => m.values[0]?.value === 3));
    const fourth = await fetch(url('app.log'));
    assert.equal(fourth.status, 429);
    assert.equal(((await fourth.json()) as { error: { code: string } }).error.code, 'PODLOG_E_RATE_LIMITED');
    for (const s of open) s.close();
    await waitFor(() => t.metrics.followClients.get().then((m) => m.values[0]?.value === 0), { what: 'followers released' });
  });
});
