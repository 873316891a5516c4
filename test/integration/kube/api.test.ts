/**
 * `kube/api.ts` against the protocol-faithful fake API server: JSON as sent, the config's credentials,
 * query parameters encoded, Status errors carrying the HTTP status, deadlines, aborts and the size bound.
 */
import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { apiPath } from '../../../src/kube/api-path.ts';
import { KubeApiError, kubeApi, type KubeApi, type KubeStatus } from '../../../src/kube/api.ts';
import { FakeKube, kubeConfigFor } from '../../servers/fake-kube.ts';
import { pod, waitFor } from './helpers.ts';

let fake: FakeKube;
let api: KubeApi;
before(async () => {
  fake = new FakeKube();
  await fake.listen();
  api = kubeApi(kubeConfigFor(fake, 'api-token'));
});
after(async () => {
  await fake.close();
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => assert.fail('expected a rejection'), (e: unknown) => e);
}

test('apiPath encodes each interpolated value as one segment', () => {
  assert.equal(apiPath`/api/v1/namespaces/${'a b'}/pods/${'x/../y?z'}`, '/api/v1/namespaces/a%20b/pods/x%2F..%2Fy%3Fz');
});

test('GET answers the object as the server sent it, timestamps as strings, with the bearer token of the config', async () => {
  const p = pod('api-1', 'node-a', {}, 'ns1');
  p.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  fake.create('pods', p);
  const got = await api<{ metadata: { name: string; creationTimestamp: string }; status: { containerStatuses: Array<{ state: { running: { startedAt: string } } }> } }>(
    { path: apiPath`/api/v1/namespaces/${'ns1'}/pods/${'api-1'}` });
  assert.equal(got.metadata.name, 'api-1');
  assert.equal(got.metadata.creationTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(got.status.containerStatuses[0]!.state.running.startedAt, '2026-01-01T00:00:00Z');
  assert.equal(fake.seen((r) => r.path === '/api/v1/namespaces/ns1/pods/api-1').at(-1)!.auth, 'Bearer api-token');
});

test('query parameters reach the server URL-encoded; undefined ones are left out', async () => {
  fake.create('pods', pod('api-2', 'node-b', {}, 'ns2'));
  fake.create('pods', pod('api-3', 'node-c', {}, 'ns2'));
  const r = await api<{ items: Array<{ metadata: { name: string } }>; metadata: { continue?: string } }>({
    path: '/api/v1/pods', query: { fieldSelector: 'spec.nodeName=node-b,metadata.namespace!=other', limit: 10, continue: undefined },
  });
  assert.deepEqual(r.items.map((i) => i.metadata.name), ['api-2']);
  const q = fake.seen((s) => s.path === '/api/v1/pods' && !s.watch).at(-1)!.query;
  assert.equal(q.get('fieldSelector'), 'spec.nodeName=node-b,metadata.namespace!=other');
  assert.equal(q.get('limit'), '10');
  assert.equal(q.has('continue'), false);
});

test('a non-2xx answer throws with the HTTP status as code and statusCode, and the Status body', async () => {
  const e = await rejection(api({ path: apiPath`/api/v1/namespaces/${'ns1'}/pods/${'missing'}` }));
  assert.ok(e instanceof KubeApiError);
  assert.equal(e.code, 404);
  assert.equal(e.statusCode, 404);
  assert.equal((e.body as KubeStatus).kind, 'Status');
  assert.equal(e.body?.reason, 'NotFound');
  assert.match(e.message, /^Kubernetes API GET \/api\/v1\/namespaces\/ns1\/pods\/missing: HTTP 404 NotFound: /);

  const bad = await rejection(api({ path: '/api/v1/pods', query: { fieldSelector: 'spec.bogus=x' } }));
  assert.equal((bad as KubeApiError).code, 400);
  assert.match((bad as KubeApiError).body?.message ?? '', /field label not supported/);
});

test('POST and PUT send JSON bodies; a stale resourceVersion is 409 Conflict', async () => {
  const path = apiPath`/apis/coordination.k8s.io/v1/namespaces/${'ns1'}/leases`;
  const created = await api<{ metadata: { resourceVersion: string }; spec: { holderIdentity: string } }>({
    method: 'POST', path, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l1', namespace: 'ns1' }, spec: { holderIdentity: 'a' } },
  });
  assert.equal(created.spec.holderIdentity, 'a');
  const one = `${path}/l1`;
  const replaced = await api<{ spec: { holderIdentity: string } }>({
    method: 'PUT', path: one, body: { metadata: { name: 'l1', namespace: 'ns1', resourceVersion: created.metadata.resourceVersion }, spec: { holderIdentity: 'b' } },
  });
  assert.equal(replaced.spec.holderIdentity, 'b');
  const stale = await rejection(api({ method: 'PUT', path: one, body: { metadata: { name: 'l1', namespace: 'ns1', resourceVersion: created.metadata.resourceVersion }, spec: { holderIdentity: 'c' } } }));
  assert.equal((stale as KubeApiError).code, 409);
  assert.equal((stale as KubeApiError).body?.reason, 'Conflict');
});

test('a request that gets no answer is cut at its deadline; an aborted one rejects with the abort reason', async () => {
  fake.inject({ match: (q) => q.path === '/api/v1/namespaces/ns1/pods/stalled', action: 'stall', times: 2 });
  const e = await rejection(api({ path: '/api/v1/namespaces/ns1/pods/stalled', timeoutMs: 200 }));
  assert.equal((e as Error).name, 'TimeoutError');
  const ac = new AbortController();
  const pending = rejection(api({ path: '/api/v1/namespaces/ns1/pods/stalled', signal: ac.signal }));
  await waitFor('the request reached the server', () => fake.seen((q) => q.path === '/api/v1/namespaces/ns1/pods/stalled').length === 2);
  ac.abort(new Error('caller gave up'));
  assert.equal(((await pending) as Error).message, 'caller gave up');
});

test('an answer longer than maxBytes fails instead of being held', async () => {
  const small = kubeApi(kubeConfigFor(fake), { maxBytes: 100 });
  const e = await rejection(small({ path: '/api/v1/pods' }));
  assert.match((e as Error).message, /^Kubernetes API GET \/api\/v1\/pods: answer longer than 100 bytes$/);
});

test("an error's message keeps at most 1,000 characters of the server's message; the whole Status stays in body", () => {
  const long = 'x'.repeat(5000);
  const e = new KubeApiError('GET', '/api/v1/pods', 500, { kind: 'Status', reason: 'InternalError', message: long }, 'Internal Server Error');
  assert.equal(e.message, `Kubernetes API GET /api/v1/pods: HTTP 500 ${`InternalError: ${long}`.slice(0, 1000)}`);
  assert.equal(e.body?.message, long);
  assert.equal(new KubeApiError('GET', '/x', 502, undefined, 'Bad Gateway').message, 'Kubernetes API GET /x: HTTP 502 Bad Gateway');
});
