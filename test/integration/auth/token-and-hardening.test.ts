import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { tokenDigest } from '../../../src/auth/token-file.ts';
import { uid } from '../../helpers/agent.ts';
import { startAgents } from '../cluster/agents.ts';

const ALICE = 'alice-static-token-0123456789';
const OPS = 'ops-static-token-0123456789abc';

describe('auth token: static bearer tokens from a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-tokens-'));
  const tokenFile = join(dir, 'tokens.yaml');
  let env: Awaited<ReturnType<typeof startAgents>>;
  let base = '';
  const get = (path: string, token?: string) => fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  before(async () => {
    writeFileSync(tokenFile, [
      'tokens:',
      `  - {token: "${ALICE}", user: alice, namespaces: [team-a]}`,
      `  - {tokenSha256: "${tokenDigest(OPS)}", user: ops, namespaces: ["*"]}`,
    ].join('\n'));
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'token', tokenFile },
      files: (root) => {
        root.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'a\n');
        root.file('team-b', 'db-0', uid(2), 'main', 'app.log', 'b\n');
      },
    }], undefined, { clustered: false });
    base = env.agents[0]!.url;
  });
  after(async () => {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('no token 401, unknown token 401, other namespace 403, own namespace 200', async () => {
    const f = (ns: string, pod: string) => `/api/v1/namespaces/${ns}/pods/${pod}/containers/main/files/app.log`;
    assert.equal((await get(f('team-a', 'web-1'))).status, 401);
    assert.equal((await get(f('team-a', 'web-1'), 'unknown-token-0123456789')).status, 401);
    assert.equal((await get(f('team-b', 'db-0'), ALICE)).status, 403);
    assert.equal((await get(f('team-a', 'web-1'), ALICE)).status, 200);
    assert.equal((await get(f('team-b', 'db-0'), OPS)).status, 200);
  });

  test('listing filtered', async () => {
    const items = (await (await get('/api/v1/pods', ALICE)).json()).items;
    assert.deepEqual(items.map((p: { namespace: string }) => p.namespace), ['team-a']);
    const all = (await (await get('/api/v1/pods', OPS)).json()).items;
    assert.equal(all.length, 2);
  });
});

describe('hardening', () => {
  let env: Awaited<ReturnType<typeof startAgents>>;
  let base = '';
  before(async () => {
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'none', limits: { requestsPerMinute: 5, concurrentPerClient: 1, maxBodyBytes: 10 } },
      files: (root) => root.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'x\n'.repeat(10)),
    }], undefined, { clustered: false });
    base = env.agents[0]!.url;
  });
  after(() => env.close());

  test('security headers on every answer; no CORS; request id echoed', async () => {
    const res = await fetch(`${base}/healthz`, { headers: { origin: 'https://evil.example', 'x-request-id': 'req-123' } });
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(res.headers.get('x-request-id'), 'req-123');
    assert.equal(res.headers.get('x-powered-by'), null);
    const pre = await fetch(`${base}/api/v1/pods`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
  });

  test('a request body over the limit → 400', async () => {
    const res = await fetch(`${base}/api/v1/pods`, { method: 'POST', body: 'x'.repeat(100) });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.code, 'PODLOG_E_BAD_PARAM');
  });

  test('concurrency per client: a second request while a follow stream is open → 429', async () => {
    const ac = new AbortController();
    const follow = await fetch(`${base}/api/v1/namespaces/team-a/pods/web-1/containers/main/files/app.log/follow`, { signal: ac.signal });
    assert.equal(follow.status, 200);
    const res = await fetch(`${base}/api/v1/pods`);
    assert.equal(res.status, 429);
    assert.equal((await res.json()).error.code, 'PODLOG_E_RATE_LIMITED');
    ac.abort();
    await follow.body?.cancel().catch(() => {});
  });

  test('rate per client: past requestsPerMinute → 429 with RateLimit headers; probes are never limited', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 8; i++) {
      // the previous request's slot is released when its response closes
      last = await waitOkOr429(`${base}/api/v1/auth/whoami`);
      if (last.status === 429) break;
    }
    assert.equal(last!.status, 429);
    assert.ok(last!.headers.get('ratelimit-policy'));
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  test('an over-long request target → 400', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/healthz?x=${'a'.repeat(9000)}`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 400);
  });
});

describe('failed authentications per address', () => {
  const tokenDir = mkdtempSync(join(tmpdir(), 'podlog-tokens-'));
  let env: Awaited<ReturnType<typeof startAgents>>;
  before(async () => {
    writeFileSync(join(tokenDir, 'tokens.yaml'), `tokens:\n  - {token: "${ALICE}", user: alice, namespaces: [team-a]}\n`);
    env = await startAgents([{ node: 'node-a', auth: { mode: 'token', tokenFile: join(tokenDir, 'tokens.yaml'), limits: { authFailuresPerMinute: 3 } } }], undefined, { clustered: false });
  });
  after(async () => {
    await env.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  test('successes do not count; past the limit of 401s the address gets 429, even with a good token', async () => {
    const url = `${env.agents[0]!.url}/api/v1/pods`;
    const good = { authorization: `Bearer ${ALICE}` };
    for (let i = 0; i < 5; i++) assert.equal((await fetch(url, { headers: good })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await fetch(url, { headers: { authorization: 'Bearer guess-0123456789abcdef' } })).status, 401);
    const blocked = await fetch(url, { headers: good });
    assert.equal(blocked.status, 429);
    assert.equal((await blocked.json()).error.code, 'PODLOG_E_RATE_LIMITED');
  });
});

describe('failed authentications: only failures count, at the moment they fail', () => {
  const tokenDir = mkdtempSync(join(tmpdir(), 'podlog-tokens-'));
  let env: Awaited<ReturnType<typeof startAgents>>;
  before(async () => {
    writeFileSync(join(tokenDir, 'tokens.yaml'), `tokens:\n  - {token: "${ALICE}", user: alice, namespaces: [team-a]}\n`);
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'token', tokenFile: join(tokenDir, 'tokens.yaml'), limits: { concurrentPerClient: 64 } },
      files: (root) => root.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'x\n'),
    }], undefined, { clustered: false });
  });
  after(async () => {
    await env.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  test('40 open follows with a good token leave whoami at 200; the 31st bad token gets 429 with Retry-After', async () => {
    const base = env.agents[0]!.url;
    const good = { authorization: `Bearer ${ALICE}` };
    const ac = new AbortController();
    const follows = await Promise.all(Array.from({ length: 40 }, () =>
      fetch(`${base}/api/v1/namespaces/team-a/pods/web-1/containers/main/files/app.log/follow`, { headers: good, signal: ac.signal })));
    try {
      assert.deepEqual([...new Set(follows.map((f) => f.status))], [200]);
      assert.equal((await fetch(`${base}/api/v1/auth/whoami`, { headers: good })).status, 200);
    } finally {
      ac.abort();
      await Promise.all(follows.map((f) => f.body?.cancel().catch(() => {})));
    }
    assert.equal((await waitOkOr429(`${base}/api/v1/auth/whoami`, good)).status, 200);
    const bad = { authorization: 'Bearer guess-0123456789abcdef' };
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${base}/api/v1/auth/whoami`, { headers: bad });
      assert.equal(res.status, 401, `bad token #${i + 1}`);
      await res.body?.cancel();
    }
    const limited = await fetch(`${base}/api/v1/auth/whoami`, { headers: bad });
    assert.equal(limited.status, 429);
    assert.match(limited.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
    assert.ok(Number(limited.headers.get('retry-after')) <= 60);
    assert.equal((await limited.json()).error.code, 'PODLOG_E_RATE_LIMITED');
  });
});

describe('metrics.auth', () => {
  const tokenDir = mkdtempSync(join(tmpdir(), 'podlog-tokens-'));
  let env: Awaited<ReturnType<typeof startAgents>>;
  before(async () => {
    writeFileSync(join(tokenDir, 'tokens.yaml'), `tokens:\n  - {token: "${ALICE}", user: alice, namespaces: [team-a]}\n`);
    const auth = { mode: 'token', tokenFile: join(tokenDir, 'tokens.yaml') };
    env = await startAgents([
      { node: 'closed', auth, config: { metrics: { auth: true } } },
      { node: 'open', auth },
    ], undefined, { clustered: false });
  });
  after(async () => {
    await env.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  test('on: /metrics needs a valid token (401 without, bad tokens count as failures); off: it answers anyone', async () => {
    const closed = `${env.byNode('closed').url}/metrics`;
    const none = await fetch(closed);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="podlog"');
    const bad = await fetch(closed, { headers: { authorization: 'Bearer guess-0123456789abcdef' } });
    assert.equal(bad.status, 401);
    assert.ok(bad.headers.get('ratelimit'), 'a failed scrape counts against the address');
    const ok = await fetch(closed, { headers: { authorization: `Bearer ${ALICE}` } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^# HELP podlog_/m);
    assert.equal((await fetch(`${env.byNode('closed').url}/healthz`)).status, 200, 'probes stay open');
    assert.equal((await fetch(`${env.byNode('open').url}/metrics`)).status, 200);
  });
});

describe('the agent\'s own log', () => {
  const lines: Array<Record<string, unknown>> = [];
  const tokenDir = mkdtempSync(join(tmpdir(), 'podlog-tokens-'));
  let env: Awaited<ReturnType<typeof startAgents>>;
  before(async () => {
    writeFileSync(join(tokenDir, 'tokens.yaml'), `tokens:\n  - {token: "${ALICE}", user: alice, namespaces: [team-a]}\n`);
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'token', tokenFile: join(tokenDir, 'tokens.yaml') },
      files: (root) => root.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'TOP-SECRET-LOG-CONTENT\n'),
    }], undefined, { clustered: false, logger: pino({ level: 'info' }, sink) });
  });
  after(async () => {
    await env.close();
    rmSync(tokenDir, { recursive: true, force: true });
  });

  test('one structured line per request with its id, user and status; never log content, search text or tokens', async () => {
    const base = env.agents[0]!.url;
    const h = { authorization: `Bearer ${ALICE}`, 'x-request-id': 'trace-42' };
    assert.equal(await (await fetch(`${base}/api/v1/namespaces/team-a/pods/web-1/containers/main/files/app.log`, { headers: h })).text(), 'TOP-SECRET-LOG-CONTENT\n');
    await (await fetch(`${base}/api/v1/search?q=TOP-SECRET&namespace=team-a`, { headers: h })).text();
    await (await fetch(`${base}/api/v1/pods`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).text();
    const access = lines.filter((l) => l.req);
    assert.equal(access.length, 3);
    const first = access[0] as { req: { id: string; method: string; url: string }; res: { statusCode: number }; user: string; responseTime: number };
    assert.equal(first.req.id, 'trace-42');
    assert.equal(first.res.statusCode, 200);
    assert.equal(first.user, 'alice');
    assert.equal(typeof first.responseTime, 'number');
    const all = JSON.stringify(lines);
    assert.doesNotMatch(all, /TOP-SECRET/);
    assert.doesNotMatch(all, new RegExp(ALICE));
    assert.doesNotMatch(all, /wrong-token/);
    assert.doesNotMatch(all, /authorization/i);
  });
});

/** GET, retrying while the concurrency slot of the previous response is still held (its 'close' not yet seen). */
async function waitOkOr429(url: string, headers: Record<string, string> = {}): Promise<Response> {
  for (let i = 0; i < 50; i++) {
    const res = await fetch(url, { headers });
    const body = await res.text();
    if (res.status !== 429 || !/in progress/.test(body)) return new Response(body, { status: res.status, headers: res.headers });
  }
  throw new Error('the concurrency slot was never released');
}
