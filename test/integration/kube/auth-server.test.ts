import { strict as assert } from 'node:assert';
import { after, before, test } from 'node:test';
import { AuthenticationV1Api, AuthorizationV1Api } from '@kubernetes/client-node';
import { FakeKube } from '../../servers/fake-kube.ts';
import { kubeConfigFor } from './helpers.ts';

let fake: FakeKube;
before(async () => {
  fake = new FakeKube();
  await fake.listen();
});
after(async () => {
  await fake.close();
});

test('fake API server: TokenReview and SubjectAccessReview through the real client (for the auth work)', async () => {
  fake.tokens.set('alice-token', { username: 'alice', uid: 'u-alice', groups: ['dev'] });
  fake.allow.push((spec) => spec.user === 'alice' && spec.resourceAttributes?.namespace === 'flink' && spec.resourceAttributes?.resource === 'pods');
  const kc = kubeConfigFor(fake);
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const ok = await authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'alice-token', audiences: ['podlog'] } } });
  assert.equal(ok.status?.authenticated, true);
  assert.equal(ok.status?.user?.username, 'alice');
  assert.deepEqual(ok.status?.user?.groups, ['dev']);
  const bad = await authn.createTokenReview({ body: { spec: { token: 'nope' } } });
  assert.equal(bad.status?.authenticated, false);
  const attrs = { namespace: 'flink', verb: 'get', group: '', resource: 'pods', subresource: 'log', name: 'wc-taskmanager-1-1' };
  const yes = await authz.createSubjectAccessReview({ body: { spec: { user: 'alice', groups: ['dev'], resourceAttributes: attrs } } });
  assert.equal(yes.status?.allowed, true);
  const no = await authz.createSubjectAccessReview({ body: { spec: { user: 'alice', resourceAttributes: { ...attrs, namespace: 'kube-system' } } } });
  assert.equal(no.status?.allowed, false);
  assert.equal(fake.seen((r) => r.path.endsWith('/tokenreviews'))[0]!.auth, 'Bearer test-token');
});

test('fake API server: Status errors as the real one gives them (unsupported field selector, missing pod)', async () => {
  const res = await fetch(`${fake.url()}/api/v1/pods?fieldSelector=spec.bogus%3Dx`);
  assert.equal(res.status, 400);
  const body = (await res.json()) as { kind: string; reason: string; message: string };
  assert.equal(body.kind, 'Status');
  assert.equal(body.reason, 'BadRequest');
  assert.equal(body.message, 'field label not supported: spec.bogus');
  assert.equal((await fetch(`${fake.url()}/api/v1/namespaces/x/pods/none`)).status, 404);
});
