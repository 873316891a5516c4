import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from 'express';
import { askAgent } from '../../../src/cluster/forward.ts';
import { isPodlogError } from '../../../src/errors.ts';

test('askAgent: the caller\'s bearer token and this node go with the request; a peer that does not answer is PODLOG_E_UPSTREAM', async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url?.startsWith('/slow')) return; // never answers
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const req = { id: 'req-1', auth: { forward: { bearer: 'caller-token' } } } as unknown as Request;
  const opts = { selfNode: 'node-a', saToken: async () => 'sa-token', deadlineMs: 2000 };
  try {
    const res = await askAgent(req, `${base}/api/v1/x?local=1`, opts, 'agent node-b');
    assert.deepEqual(await res.json(), { ok: true });
    assert.equal(seen[0]!.authorization, 'Bearer caller-token');
    assert.equal(seen[0]!['x-podlog-forwarded-by'], 'node-a');
    assert.equal(seen[0]!['x-request-id'], 'req-1');
    await assert.rejects(askAgent(req, `${base}/slow`, { ...opts, deadlineMs: 200 }, 'agent node-b'),
      (e) => isPodlogError(e) && e.code === 'PODLOG_E_UPSTREAM' && /agent node-b did not answer within 200 ms/.test(e.message));
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
