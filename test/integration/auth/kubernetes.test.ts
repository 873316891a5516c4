import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { uid } from '../../helpers/agent.ts';
import { FakeKube } from '../../servers/fake-kube.ts';
import { readUntil, startAgents } from '../cluster/agents.ts';

/** Mode kubernetes against the fake API server's TokenReview and SubjectAccessReview (PROTOCOLS.md B5). */
describe('auth kubernetes: TokenReview + SubjectAccessReview', () => {
  const fake = new FakeKube();
  let env: Awaited<ReturnType<typeof startAgents>>;
  let base = '';
  const file = (ns: string, pod: string) => `${base}/api/v1/namespaces/${ns}/pods/${pod}/containers/main/files/app.log`;
  const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const specs: any[] = [];
  const reviews = (kind: 'tokenreviews' | 'subjectaccessreviews') => fake.seen((r) => r.path.endsWith(kind)).length;

  before(async () => {
    await fake.listen();
    fake.allow.push((s) => {
      specs.push(s); // records every review the agent asks; never allows by itself
      return false;
    });
    fake.tokens.set('alice-token', { username: 'alice', groups: ['dev'] });
    fake.tokens.set('bob-token', { username: 'bob', groups: ['ops'] });
    // alice: read and list in team-a only; bob (group ops): everything, cluster-wide
    fake.allow.push((s) => s.user === 'alice' && s.resourceAttributes?.namespace === 'team-a' && s.resourceAttributes?.resource === 'pods');
    fake.allow.push((s) => s.groups?.includes('ops'));
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'kubernetes', trustedProxy: { cidrs: ['10.0.0.0/8'] } },
      files: (root) => {
        root.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'hello from team-a\nsecond line\n');
        root.file('team-b', 'db-0', uid(2), 'main', 'app.log', 'secret of team-b\n');
      },
    }], fake, { clustered: false });
    base = env.agents[0]!.url;
  });
  after(async () => {
    await env.close();
    await fake.close();
  });

  test('no token → 401 with WWW-Authenticate, JSON error, no stack', async () => {
    const res = await get(file('team-a', 'web-1'));
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="podlog"');
    const body = await res.json();
    assert.equal(body.error.code, 'PODLOG_E_UNAUTHENTICATED');
    assert.doesNotMatch(JSON.stringify(body), /at .*\.ts:\d+/);
  });

  test('an invalid token → 401', async () => {
    const res = await get(file('team-a', 'web-1'), 'forged');
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error.code, 'PODLOG_E_UNAUTHENTICATED');
  });

  test('a token with access reads its namespace', async () => {
    const res = await get(file('team-a', 'web-1'), 'alice-token');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello from team-a\nsecond line\n');
  });

  test('a token without access to the namespace → 403 for the file, its lines, the pod, follow and a search there', async () => {
    for (const url of [file('team-b', 'db-0'), `${file('team-b', 'db-0')}/lines`, `${file('team-b', 'db-0')}/follow`,
      `${base}/api/v1/namespaces/team-b/pods/db-0`, `${base}/api/v1/search?q=secret&namespace=team-b`]) {
      const res = await get(url, 'alice-token');
      assert.equal(res.status, 403, url);
      assert.equal((await res.json()).error.code, 'PODLOG_E_FORBIDDEN');
    }
    // a namespace that does not exist is refused the same way (no probing for names)
    assert.equal((await get(file('nope', 'x'), 'alice-token')).status, 403);
  });

  test('listings are filtered to the namespaces allowed (list pods)', async () => {
    const alice = await (await get(`${base}/api/v1/pods`, 'alice-token')).json();
    assert.deepEqual(alice.items.map((p: { namespace: string }) => p.namespace), ['team-a']);
    const bob = await (await get(`${base}/api/v1/pods`, 'bob-token')).json();
    assert.deepEqual(bob.items.map((p: { namespace: string }) => p.namespace).sort(), ['team-a', 'team-b']);
  });

  test('a search without a namespace covers only the namespaces the caller may read', async () => {
    const text = await readUntil(await get(`${base}/api/v1/search?q=e`, 'alice-token'), (t) => t.includes('"done":true'));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    const hits = lines.filter((l) => !l.done);
    assert.ok(hits.length >= 1);
    assert.ok(hits.every((h) => h.namespace === 'team-a'), JSON.stringify(hits));
    assert.doesNotMatch(text, /secret of team-b/);
  });

  test('the SubjectAccessReviews ask get pods/log (reads) and list pods (listings), as the caller', () => {
    const alice = specs.filter((s) => s.user === 'alice').map((s) => s.resourceAttributes);
    assert.ok(alice.some((a) => a.namespace === 'team-a' && a.verb === 'get' && a.resource === 'pods' && a.subresource === 'log' && a.group === ''));
    assert.ok(alice.some((a) => a.namespace === 'team-b' && a.verb === 'get' && a.subresource === 'log'));
    assert.ok(alice.some((a) => a.verb === 'list' && a.resource === 'pods' && a.subresource === undefined));
    assert.deepEqual(specs.find((s) => s.user === 'alice')?.groups, ['dev']);
  });

  test('answers are cached: a repeated request asks neither review again', async () => {
    await get(file('team-a', 'web-1'), 'alice-token');
    const tr = reviews('tokenreviews');
    const sar = reviews('subjectaccessreviews');
    for (let i = 0; i < 3; i++) assert.equal((await get(file('team-a', 'web-1'), 'alice-token')).status, 200);
    assert.equal(reviews('tokenreviews'), tr);
    assert.equal(reviews('subjectaccessreviews'), sar);
  });

  test('a forged proxy header from an untrusted address is ignored', async () => {
    // 127.0.0.1 is not in auth.trustedProxy.cidrs (10.0.0.0/8): the header is not believed
    const res = await get(file('team-b', 'db-0'), undefined, { 'X-Remote-User': 'bob', 'X-Remote-Group': 'ops' });
    assert.equal(res.status, 401);
    // nor does it change who a token's owner is
    const withToken = await get(file('team-b', 'db-0'), 'alice-token', { 'X-Remote-User': 'bob', 'X-Remote-Group': 'ops' });
    assert.equal(withToken.status, 403);
    // and the peer headers are believed only from an agent's service account
    const peer = await get(file('team-b', 'db-0'), 'alice-token', { 'X-Podlog-Remote-User': 'bob', 'X-Podlog-Remote-Group': 'ops' });
    assert.equal(peer.status, 403);
  });

  test('whoami tells the page who it is', async () => {
    const me = await (await get(`${base}/api/v1/auth/whoami`, 'alice-token')).json();
    assert.deepEqual(me, { mode: 'kubernetes', user: 'alice', groups: ['dev'] });
  });

  test('the API server failing → 502, not cached', async () => {
    fake.inject({ match: (r) => r.path.endsWith('tokenreviews'), action: 'status500', times: 1 });
    const res = await get(file('team-a', 'web-1'), 'fresh-token-never-seen');
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error.code, 'PODLOG_E_UPSTREAM');
    fake.tokens.set('fresh-token-never-seen', { username: 'alice' });
    assert.equal((await get(file('team-a', 'web-1'), 'fresh-token-never-seen')).status, 200);
  });
});

describe('auth kubernetes behind a trusted authenticating proxy', () => {
  const fake = new FakeKube();
  let env: Awaited<ReturnType<typeof startAgents>>;
  let base = '';
  before(async () => {
    await fake.listen();
    fake.allow.push((s) => s.user === 'carol' && s.resourceAttributes?.namespace === 'team-a');
    env = await startAgents([{
      node: 'node-a',
      auth: { mode: 'kubernetes', trustedProxy: { cidrs: ['127.0.0.1/32'] } },
      files: (root) => {
        root.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'hello\n');
        root.file('team-b', 'db-0', uid(2), 'main', 'app.log', 'secret\n');
      },
    }], fake, { clustered: false });
    base = `${env.agents[0]!.url}/api/v1/namespaces`;
  });
  after(async () => {
    await env.close();
    await fake.close();
  });

  test('the user header from a trusted address is believed, and authorized by SubjectAccessReview', async () => {
    const h = { 'X-Remote-User': 'carol', 'X-Remote-Group': 'dev' };
    assert.equal((await fetch(`${base}/team-a/pods/web-1/containers/main/files/app.log`, { headers: h })).status, 200);
    assert.equal((await fetch(`${base}/team-b/pods/db-0/containers/main/files/app.log`, { headers: h })).status, 403);
    assert.equal((await fetch(`${base}/team-a/pods/web-1/containers/main/files/app.log`)).status, 401);
  });
});
