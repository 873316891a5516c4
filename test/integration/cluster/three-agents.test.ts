import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { uid } from '../../helpers/agent.ts';
import { FakeKube } from '../../servers/fake-kube.ts';
import { AGENT_SA_TOKEN, AGENT_SA_USER, readUntil, startAgents } from './agents.ts';

/**
 * Three agents on loopback ports acting as three nodes, mode kubernetes against the fake
 * API server: web-1 is live on node B (the API server says so), batch-7 is gone and only node C has its
 * files (found by asking the agents), local-0 is on node A.
 */
describe('one URL for the whole cluster: three agents', () => {
  const fake = new FakeKube();
  let env: Awaited<ReturnType<typeof startAgents>>;
  let A = '';
  const ALICE = { authorization: 'Bearer alice-token' };
  const fileUrl = (base: string, ns: string, pod: string) => `${base}/api/v1/namespaces/${ns}/pods/${pod}/containers/main/files/app.log`;
  const ndjson = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l));

  before(async () => {
    await fake.listen();
    fake.tokens.set('alice-token', { username: 'alice', groups: ['dev'] });
    fake.tokens.set(AGENT_SA_TOKEN, { username: AGENT_SA_USER, groups: ['system:serviceaccounts'] });
    fake.allow.push((s) => s.user === 'alice' && s.resourceAttributes?.namespace === 'team-a' && s.resourceAttributes?.resource === 'pods');
    fake.create('pods', { metadata: { name: 'web-1', namespace: 'team-a', uid: uid(1) }, spec: { nodeName: 'node-b' }, status: { phase: 'Running' } });
    fake.create('pods', { metadata: { name: 'db-0', namespace: 'team-b', uid: uid(2) }, spec: { nodeName: 'node-b' }, status: { phase: 'Running' } });
    const auth = { mode: 'kubernetes' };
    env = await startAgents([
      { node: 'node-a', auth: { ...auth, trustedProxy: { cidrs: ['127.0.0.1/32'] } }, files: (r) => r.file('team-a', 'local-0', uid(4), 'main', 'app.log', 'needle on A\n') },
      {
        node: 'node-b', auth, files: (r) => {
          r.file('team-a', 'web-1', uid(1), 'main', 'app.log', 'web-1 line 1\nweb-1 needle 2\nweb-1 line 3\n');
          r.file('team-b', 'db-0', uid(2), 'main', 'app.log', 'needle secret of team-b\n');
        },
      },
      { node: 'node-c', auth, files: (r) => r.file('team-a', 'batch-7', uid(3), 'main', 'app.log', 'batch needle done\n') },
    ], fake);
    A = env.byNode('node-a').url;
  });
  after(async () => {
    await env.close();
    await fake.close();
  });

  test('a live pod on node B is read through node A: bytes, range, tail, lines, pod view', async () => {
    const res = await fetch(fileUrl(A, 'team-a', 'web-1'), { headers: ALICE });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-podlog-node'), 'node-b');
    assert.equal(await res.text(), 'web-1 line 1\nweb-1 needle 2\nweb-1 line 3\n');
    const range = await fetch(fileUrl(A, 'team-a', 'web-1'), { headers: { ...ALICE, range: 'bytes=0-4' } });
    assert.equal(range.status, 206);
    assert.equal(range.headers.get('content-range'), 'bytes 0-4/41');
    assert.equal(await range.text(), 'web-1');
    const tail = await fetch(`${fileUrl(A, 'team-a', 'web-1')}?tail=1`, { headers: ALICE });
    assert.equal(await tail.text(), 'web-1 line 3\n');
    const lines = await (await fetch(`${fileUrl(A, 'team-a', 'web-1')}/lines?from=0&count=2`, { headers: ALICE })).json();
    assert.deepEqual(lines.lines.map((l: { text: string }) => l.text), ['web-1 line 1', 'web-1 needle 2']);
    const pod = await fetch(`${A}/api/v1/namespaces/team-a/pods/web-1`, { headers: ALICE });
    assert.equal(pod.status, 200);
    assert.equal((await pod.json()).uid, uid(1));
  });

  test('a live pod on node B is followed through node A (SSE passes through as it streams)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${fileUrl(A, 'team-a', 'web-1')}/follow`, { headers: ALICE, signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = '';
    while (!text.includes('retry:')) text += dec.decode((await reader.read()).value ?? new Uint8Array(), { stream: true });
    const b = env.byNode('node-b').root;
    appendFileSync(join(b.dir, `team-a_web-1_${uid(1)}`, 'main', 'app.log'), 'appended while following\n');
    const deadline = Date.now() + 10_000;
    while (!text.includes('appended while following') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    ac.abort();
    assert.match(text, /event: lines\nid: \d+\ndata: .*appended while following/);
  });

  test('a gone pod whose files are on node C is found by asking the agents, and read through A', async () => {
    const res = await fetch(fileUrl(A, 'team-a', 'batch-7'), { headers: ALICE });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-podlog-node'), 'node-c');
    assert.equal(await res.text(), 'batch needle done\n');
  });

  test('a pod nobody has → 404', async () => {
    const res = await fetch(fileUrl(A, 'team-a', 'nobody'), { headers: ALICE });
    assert.equal(res.status, 404);
  });

  test('a cluster-wide search through A streams hits from every node, each with its node, then one summary', async () => {
    const text = await readUntil(await fetch(`${A}/api/v1/search?q=needle`, { headers: ALICE }), (t) => t.includes('"done":true'));
    const lines = ndjson(text);
    const summary = lines.at(-1);
    const hits = lines.slice(0, -1);
    assert.deepEqual(hits.map((h) => `${h.node} ${h.pod} ${h.line}`).sort(), [
      'node-a local-0 needle on A', 'node-b web-1 web-1 needle 2', 'node-c batch-7 batch needle done',
    ]);
    assert.equal(summary.done, true);
    assert.equal(summary.partial, false);
    assert.deepEqual(summary.failed_nodes, []);
    assert.deepEqual(summary.nodes, ['node-a', 'node-b', 'node-c']);
    assert.equal(summary.matches, 3);
    assert.doesNotMatch(text, /secret of team-b/); // alice may not read team-b, on any node
  });

  test('a search scoped to one pod on node B, through A', async () => {
    const text = await readUntil(await fetch(`${A}/api/v1/search?q=line&namespace=team-a&pod=web-1`, { headers: ALICE }), (t) => t.includes('"done":true'));
    const hits = ndjson(text).filter((l) => !l.done);
    assert.deepEqual(hits.map((h) => h.line), ['web-1 line 1', 'web-1 line 3']);
    assert.ok(hits.every((h) => h.node === 'node-b'));
  });

  test('a bad search is one 400, not a failure per node', async () => {
    for (const q of ['', '?q=(unclosed&regex=true', '?q=x&limit=abc']) {
      const res = await fetch(`${A}/api/v1/search${q}`, { headers: ALICE });
      assert.equal(res.status, 400, q);
      assert.match((await res.json()).error.code, /PODLOG_E_BAD_(PARAM|REGEX)/);
    }
  });

  test('the search limit holds across nodes', async () => {
    const text = await readUntil(await fetch(`${A}/api/v1/search?q=e&limit=2`, { headers: ALICE }), (t) => t.includes('"done":true'));
    const lines = ndjson(text);
    assert.equal(lines.length, 3);
    assert.equal(lines.at(-1).stopped_by, 'limit');
    assert.equal(lines.at(-1).matches, 2);
  });

  test('the listing through A shows every node\'s pods in the namespaces allowed', async () => {
    const body = await (await fetch(`${A}/api/v1/pods`, { headers: ALICE })).json();
    assert.deepEqual(body.items.map((p: { node: string; name: string }) => `${p.node}/${p.name}`).sort(), ['node-a/local-0', 'node-b/web-1', 'node-c/batch-7']);
    assert.equal(body.partial, false);
  });

  test('A refuses a namespace the caller may not read, wherever the pod is; no token → 401', async () => {
    assert.equal((await fetch(fileUrl(A, 'team-b', 'db-0'), { headers: ALICE })).status, 403);
    assert.equal((await fetch(fileUrl(A, 'team-a', 'web-1'))).status, 401);
  });

  test('the owner checks the caller again: a peer header does not open node B', async () => {
    const B = env.byNode('node-b').url;
    const forged = { 'x-podlog-forwarded-by': 'node-a' };
    assert.equal((await fetch(fileUrl(B, 'team-a', 'web-1'), { headers: forged })).status, 401);
    assert.equal((await fetch(fileUrl(B, 'team-b', 'db-0'), { headers: { ...forged, ...ALICE } })).status, 403);
    // acting for another user needs an agent's service account token, not a user's
    assert.equal((await fetch(fileUrl(B, 'team-a', 'web-1'), { headers: { ...forged, 'x-podlog-remote-user': 'alice' } })).status, 401);
    assert.equal((await fetch(fileUrl(B, 'team-a', 'web-1'), { headers: { authorization: `Bearer ${AGENT_SA_TOKEN}`, 'x-podlog-remote-user': 'alice' } })).status, 200);
  });

  test('a forged proxy header sent to B (an untrusted address for B) is ignored', async () => {
    const B = env.byNode('node-b').url;
    assert.equal((await fetch(fileUrl(B, 'team-a', 'web-1'), { headers: { 'x-remote-user': 'alice' } })).status, 401);
  });

  test('a user from A\'s trusted proxy reads a pod on B: A acts for them with its service account, B re-authorizes', async () => {
    const viaProxy = { 'x-remote-user': 'alice', 'x-remote-group': 'dev' };
    const res = await fetch(fileUrl(A, 'team-a', 'web-1'), { headers: viaProxy });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /web-1 line 1/);
    assert.equal((await fetch(fileUrl(A, 'team-b', 'db-0'), { headers: viaProxy })).status, 403);
  });

  test('node C down: results from the others plus the partial marker', async () => {
    await env.byNode('node-c').stop();
    const text = await readUntil(await fetch(`${A}/api/v1/search?q=needle`, { headers: ALICE }), (t) => t.includes('"done":true'));
    const lines = ndjson(text);
    const summary = lines.at(-1);
    assert.deepEqual(lines.slice(0, -1).map((h) => h.node).sort(), ['node-a', 'node-b']);
    assert.equal(summary.partial, true);
    assert.deepEqual(summary.failed_nodes, ['node-c']);
    assert.deepEqual(summary.nodes, ['node-a', 'node-b']);
    const list = await (await fetch(`${A}/api/v1/pods`, { headers: ALICE })).json();
    assert.equal(list.partial, true);
    assert.deepEqual(list.failed_nodes, ['node-c']);
    assert.deepEqual(list.items.map((p: { node: string }) => p.node).sort(), ['node-a', 'node-b']);
    // a pod whose agent is down: 502 naming the node, no hang
    const gone = await fetch(fileUrl(A, 'team-a', 'batch-7'), { headers: ALICE });
    assert.equal(gone.status, 502);
    const err = (await gone.json()).error;
    assert.equal(err.code, 'PODLOG_E_UPSTREAM');
    assert.match(err.message, /node-c/);
  });
});
