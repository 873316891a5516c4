import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthSchema } from '../../../src/auth/config.ts';
import { ClusterSchema } from '../../../src/cluster/config.ts';
import { clientAddressOf, redactUrl } from '../../../src/auth/front-door.ts';
import { assertListenAllowed, isLoopbackHost } from '../../../src/auth/listen.ts';
import { bearerToken } from '../../../src/auth/middleware.ts';
import { compileTrust, proxyUser } from '../../../src/auth/proxy-headers.ts';
import { parseTokenFile, tokenDigest } from '../../../src/auth/token-file.ts';
import { parseStaticPeers, peersFromSlices } from '../../../src/cluster/peers.ts';
import { assertNormalPath } from '../../../src/cluster/proxy.ts';
import { isPodlogError } from '../../../src/errors.ts';

const configError = (e: unknown) => isPodlogError(e) && e.code === 'PODLOG_E_CONFIG';

describe('assertListenAllowed (auth none only on loopback)', () => {
  const cases: Array<[string, 'none' | 'token' | 'kubernetes', boolean, boolean]> = [
    // host, mode, allowNonLoopback, allowed
    ['127.0.0.1', 'none', false, true],
    ['127.1.2.3', 'none', false, true],
    ['localhost', 'none', false, true],
    ['::1', 'none', false, true],
    ['[::1]', 'none', false, true],
    ['::ffff:127.0.0.1', 'none', false, true],
    ['0.0.0.0', 'none', false, false],
    ['::', 'none', false, false],
    ['10.1.2.3', 'none', false, false],
    ['podlog.example', 'none', false, false],
    ['0.0.0.0', 'none', true, true],
    ['0.0.0.0', 'token', false, true],
    ['0.0.0.0', 'kubernetes', false, true],
  ];
  for (const [host, mode, allowNonLoopback, allowed] of cases) {
    test(`${host} mode ${mode}${allowNonLoopback ? ' (allowed explicitly)' : ''} → ${allowed ? 'listens' : 'refused'}`, () => {
      const run = () => assertListenAllowed({ host, auth: { mode, allowNonLoopback } });
      if (allowed) run();
      else assert.throws(run, (e) => configError(e) && /refusing to listen/.test((e as Error).message));
    });
  }
  test('isLoopbackHost', () => {
    assert.equal(isLoopbackHost('127.0.0.1'), true);
    assert.equal(isLoopbackHost('192.168.0.1'), false);
  });
});

describe('trusted proxy addresses', () => {
  const trust = compileTrust(['10.0.0.0/8', 'fd00::/8', '192.168.1.7']);
  const cases: Array<[string | undefined, boolean]> = [
    ['10.1.2.3', true], ['::ffff:10.1.2.3', true], ['11.0.0.1', false], ['fd00::1', true], ['fe80::1', false],
    ['192.168.1.7', true], ['192.168.1.8', false], ['127.0.0.1', false], [undefined, false], ['garbage', false],
  ];
  for (const [addr, want] of cases) test(`${addr} trusted: ${want}`, () => assert.equal(trust(addr), want));
  test('no CIDRs trusts nobody', () => assert.equal(compileTrust([])('127.0.0.1'), false));
  test('an invalid CIDR is a config error', () => assert.throws(() => compileTrust(['10.0.0.0/99x']), configError));
  test('headers from an untrusted source are ignored, from a trusted one read (groups repeated or comma-separated)', () => {
    const names = { userHeader: 'X-Remote-User', groupHeader: 'X-Remote-Group' };
    const headers = { 'x-remote-user': 'mallory', 'x-remote-group': ['system:masters', 'a, b'] };
    assert.equal(proxyUser(trust, '127.0.0.1', headers, names), undefined);
    assert.deepEqual(proxyUser(trust, '10.0.0.9', headers, names), { user: 'mallory', groups: ['system:masters', 'a', 'b'] });
    assert.equal(proxyUser(trust, '10.0.0.9', {}, names), undefined);
  });
});

describe('token file', () => {
  test('tokens and digests, namespaces', () => {
    const sha = tokenDigest('another-long-token-value');
    const m = parseTokenFile(`tokens:\n  - {token: "a-very-long-token-1234", user: alice, namespaces: [team-a]}\n  - {tokenSha256: "${sha}", user: ops, namespaces: ["*"]}\n`);
    assert.equal(m.get(tokenDigest('a-very-long-token-1234'))?.user, 'alice');
    assert.equal(m.get(sha)?.user, 'ops');
    assert.ok(m.get(sha)?.namespaces.has('*'));
  });
  const bad = [
    'tokens: [{token: short, user: a, namespaces: [x]}]',
    'tokens: [{user: a, namespaces: [x]}]',
    'tokens: [{token: "a-very-long-token-1234", user: a, namespaces: []}]',
    'tokens: [{token: "a-very-long-token-1234", user: a, namespaces: [x], admin: true}]',
    'tokens: [',
    'nothing: here',
  ];
  for (const text of bad) test(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => parseTokenFile(text), configError));
});

describe('bearer tokens (RFC 6750 §2.1)', () => {
  const req = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization } }) as never;
  test('parses', () => {
    assert.equal(bearerToken(req('Bearer abc.def-1')), 'abc.def-1');
    assert.equal(bearerToken(req('bearer abc')), 'abc');
    assert.equal(bearerToken(req('Basic dXNlcjpwYXNz')), undefined);
    assert.equal(bearerToken(req('Bearer ')), undefined);
    assert.equal(bearerToken(req()), undefined);
  });
});

describe('peers', () => {
  test('static peers: node=URL or URL', () => {
    assert.deepEqual(parseStaticPeers(['node-a=http://127.0.0.1:1234/', 'http://10.0.0.2:8080']), [
      { node: 'node-a', url: 'http://127.0.0.1:1234' },
      { node: '', url: 'http://10.0.0.2:8080' },
    ]);
    assert.throws(() => parseStaticPeers(['node-a=ftp://x']), configError);
    assert.throws(() => parseStaticPeers(['not a url']), configError);
  });
  test('EndpointSlices: ready or serving endpoints, named port, IPv6 brackets', () => {
    const peers = peersFromSlices([
      { addressType: 'IPv4', ports: [{ name: 'metrics', port: 9090 }, { name: 'http', port: 8080 }], metadata: {},
        endpoints: [
          { addresses: ['10.0.0.1'], nodeName: 'n1', conditions: { ready: true } },
          { addresses: ['10.0.0.2'], nodeName: 'n2', conditions: { ready: false, serving: false } },
          { addresses: ['10.0.0.3'], nodeName: 'n3' },
        ] },
      { addressType: 'IPv6', metadata: {}, endpoints: [{ addresses: ['fd00::4'], nodeName: 'n4' }] },
      { addressType: 'FQDN', metadata: {}, endpoints: [{ addresses: ['x.example'] }] },
    ], 'http', 8081);
    assert.deepEqual(peers, [
      { node: 'n1', url: 'http://10.0.0.1:8080' },
      { node: 'n3', url: 'http://10.0.0.3:8080' },
      { node: 'n4', url: 'http://[fd00::4]:8081' },
    ]);
  });
});

describe('config sections', () => {
  test('defaults: auth none, nothing trusted, no peers', () => {
    const a = AuthSchema.parse({});
    assert.equal(a.mode, 'none');
    assert.deepEqual(a.trustedProxy.cidrs, []);
    assert.equal(a.allowNonLoopback, false);
    assert.deepEqual(ClusterSchema.parse({}).peers, []);
  });
  test('env strings: lists and booleans', () => {
    const a = AuthSchema.parse({ allowNonLoopback: 'false', trustedProxy: { cidrs: '10.0.0.0/8, 192.168.0.0/16' } });
    assert.equal(a.allowNonLoopback, false);
    assert.deepEqual(a.trustedProxy.cidrs, ['10.0.0.0/8', '192.168.0.0/16']);
    assert.throws(() => AuthSchema.parse({ mode: 'open' }));
  });
});

test('access log URLs never carry the search text or tokens', () => {
  assert.equal(redactUrl('/api/v1/search?q=password%3Dhunter2&limit=5'), '/api/v1/search?q=%5Bredacted%5D&limit=5');
  assert.equal(redactUrl('/x?access_token=abc'), '/x?access_token=%5Bredacted%5D');
  assert.equal(redactUrl('/api/v1/pods'), '/api/v1/pods');
});

test('proxied paths: what is checked is what is forwarded (no dot segments, raw or encoded)', () => {
  assertNormalPath('/api/v1/namespaces/a/pods/p/containers/c/files/x.log?tail=5');
  for (const bad of ['/api/v1/namespaces/a/pods/p/../../b/pods/q', '/api/v1/namespaces/a/pods/p/%2e%2e/%2E%2e/b', '/api/v1/namespaces/a/pods/p/./x']) {
    assert.throws(() => assertNormalPath(bad), (e) => isPodlogError(e) && e.code === 'PODLOG_E_BAD_PATH', bad);
  }
});

test('client address for limits: X-Forwarded-For only through configured load balancers, rightmost untrusted hop', () => {
  const lb = compileTrust(['10.0.0.0/8']);
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as never;
  assert.equal(clientAddressOf(req('192.0.2.1', '198.51.100.7'), lb), '192.0.2.1'); // not a load balancer: header ignored
  assert.equal(clientAddressOf(req('10.0.0.5', '198.51.100.7'), lb), '198.51.100.7');
  assert.equal(clientAddressOf(req('10.0.0.5', '203.0.113.9, 198.51.100.7, 10.0.0.6'), lb), '198.51.100.7'); // spoofed leftmost entry ignored
  assert.equal(clientAddressOf(req('10.0.0.5', 'garbage'), lb), 'unknown');
  assert.equal(clientAddressOf(req('10.0.0.5'), lb), '10.0.0.5');
});
