import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { uid } from '../../helpers/agent.ts';
import { readUntil, startAgents } from './agents.ts';

/**
 * A peer that accepts connections and never answers (a hung node): asked in parallel, it is given up
 * after `cluster.peerDeadlineMs`, and the others' answers come back marked partial. Mode none (loopback).
 */
describe('a peer that never answers', () => {
  const sockets = new Set<Socket>();
  let blackHole: Server;
  let env: Awaited<ReturnType<typeof startAgents>>;
  let A = '';
  before(async () => {
    // answers a search with its head and then nothing (a stalled stream); anything else never at all
    blackHole = createServer((req, res) => {
      if (req.url?.startsWith('/api/v1/search')) res.writeHead(200, { 'content-type': 'application/x-ndjson' }).flushHeaders();
    });
    blackHole.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
    const hung = `node-h=http://127.0.0.1:${(blackHole.address() as { port: number }).port}`;
    env = await startAgents([
      { node: 'node-a', cluster: { peerDeadlineMs: 2000 }, config: { search: { deadlineMs: 2000 } }, files: (r) => r.file('team-a', 'a-0', uid(1), 'main', 'app.log', 'needle A\n') },
      { node: 'node-b', cluster: { peerDeadlineMs: 2000 }, files: (r) => r.file('team-a', 'b-0', uid(2), 'main', 'app.log', 'needle B\n') },
    ], undefined, { extraPeers: [hung] });
    A = env.byNode('node-a').url;
  });
  after(async () => {
    await env.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => blackHole.close(() => r()));
  });

  test('search: the answering nodes\' hits, then partial with the stalled node named', async () => {
    const lines = (await readUntil(await fetch(`${A}/api/v1/search?q=needle`), (t) => t.includes('"done":true'))).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.slice(0, -1).map((h) => h.node).sort(), ['node-a', 'node-b']);
    assert.equal(lines.at(-1).partial, true);
    assert.deepEqual(lines.at(-1).failed_nodes, ['node-h']);
  });

  test('locating a gone pod asks every agent in parallel; the hung one does not block the answer', async () => {
    const res = await fetch(`${A}/api/v1/namespaces/team-a/pods/b-0/containers/main/files/app.log`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-podlog-node'), 'node-b');
    assert.equal(await res.text(), 'needle B\n');
  });

  test('listing: partial', async () => {
    const body = await (await fetch(`${A}/api/v1/pods`)).json();
    assert.deepEqual(body.items.map((p: { node: string }) => p.node).sort(), ['node-a', 'node-b']);
    assert.deepEqual(body.failed_nodes, ['node-h']);
  });
});
