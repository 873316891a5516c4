import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { generateLog } from '../../e2e/harness.ts';
import { uid } from '../../helpers/agent.ts';
import { waitFor } from '../../helpers/wait.ts';
import { startAgents } from './agents.ts';

/** Send a raw GET and reset the connection (RST) once `afterBytes` bytes arrived (0: right after sending). */
function resetAt(url: string, path: string, afterBytes: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let got = 0;
    const s = connect(Number(port), hostname, () => {
      s.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`, () => {
        if (afterBytes === 0) s.resetAndDestroy();
      });
    });
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= afterBytes && !s.destroyed) s.resetAndDestroy();
    });
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

/** Descriptors this process (both test agents run in it) holds on files under `dir`. */
function openFilesUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/**
 * A caller that hangs up on an agent relaying another node's answer (proxied bytes, a proxied follow, a
 * cluster-wide search) at any byte: both agents keep serving and the owner closes its file.
 */
describe('clients that hang up on a proxied or fanned-out stream', () => {
  let env: Awaited<ReturnType<typeof startAgents>>;
  let A = '';
  let bRoot = '';
  const limits = { limits: { requestsPerMinute: 100_000, authFailuresPerMinute: 100_000, concurrentPerClient: 1000 } };
  before(async () => {
    env = await startAgents([
      { node: 'node-a', auth: limits, files: (r) => r.file('team-a', 'a-0', uid(1), 'main', 'app.log', 'on A\n') },
      { node: 'node-b', auth: limits, files: (r) => r.container('team-a', 'b-0', uid(2), 'main') },
    ]);
    bRoot = env.byNode('node-b').root.dir;
    await generateLog(join(bRoot, `team-a_b-0_${uid(2)}`, 'main', 'app.log'), 4 * 1024 * 1024, 'last line');
    A = env.byNode('node-a').url;
    // the owner's catalog sees the new file, and A knows where b-0 lives
    await waitFor(async () => (await fetch(`${A}/api/v1/namespaces/team-a/pods/b-0/containers/main/files/app.log?tail=1`)).status === 200, { what: 'the file on node-b' });
  });
  after(async () => {
    await env.close();
  });

  const file = '/api/v1/namespaces/team-a/pods/b-0/containers/main/files/app.log';
  for (const [what, path] of [
    ['proxied bytes', file],
    ['a proxied follow', `${file}/follow?offset=0`],
    ['a cluster-wide search', '/api/v1/search?q=Generated&limit=100000'],
  ] as const) {
    test(`${what}: resets before the body, at its first byte and mid-way`, async () => {
      for (const at of [0, 1, 100_000]) await Promise.all(Array.from({ length: 10 }, () => resetAt(A, path, at)));
      for (const a of env.agents) assert.equal((await fetch(`${a.url}/healthz`)).status, 200);
      await waitFor(() => openFilesUnder(bRoot) === 0, { what: 'the owner to close its file' });
      const again = await fetch(`${A}${file}?tail=1`);
      assert.equal(await again.text(), 'last line\n');
    });
  }
});
