import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configKeys, fromEnv, loadConfig } from '../../../src/config/load.ts';
import { PodlogError } from '../../../src/errors.ts';

test('defaults need no configuration', () => {
  const c = loadConfig({});
  assert.deepEqual(c.roots, ['/var/log/podlog']);
  assert.equal(c.port, 8080);
  assert.equal(c.search.byteBudget, 8 * 1024 ** 3);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.search));
});

test('sources merge: file < env < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-cfg-'));
  const file = join(dir, 'podlog.yaml');
  writeFileSync(file, 'port: 9000\nhost: 0.0.0.0\nsearch:\n  deadlineMs: 1000\n  maxConcurrent: 2\n');
  const c = loadConfig({ file, env: { PODLOG_PORT: '9100', PODLOG_SEARCH_DEADLINE_MS: '2000', PODLOG_ROOTS: '/a, /b' }, flags: { port: 9200 } });
  assert.equal(c.port, 9200);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.search.deadlineMs, 2000);
  assert.equal(c.search.maxConcurrent, 2);
  assert.deepEqual(c.roots, ['/a', '/b']);
});

test('errors name the bad key, unknown keys are rejected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-cfg-'));
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'prot: 1\nsearch:\n  deadline: 5\n');
  assert.throws(() => loadConfig({ file }), (e: unknown) => e instanceof PodlogError && e.code === 'PODLOG_E_CONFIG' && /"prot"/.test(e.message) && /"search.deadline"/.test(e.message));
  assert.throws(() => loadConfig({ env: { PODLOG_PORT: 'eighty' } }), /config key "port" \(env PODLOG_PORT\)/);
  assert.throws(() => loadConfig({ env: { PODLOG_USE_POLLING: 'maybe' } }), /usePolling/);
  writeFileSync(file, '- a\n- b\n');
  assert.throws(() => loadConfig({ file }), /must hold a mapping/);
  writeFileSync(file, 'port: [1\n');
  assert.throws(() => loadConfig({ file }), /not valid YAML/);
  assert.throws(() => loadConfig({ file: join(dir, 'missing.yaml') }), /cannot read config file/);
});

test('Kubernetes service-link variables are not config keys', () => {
  // a Service named "podlog" makes the kubelet inject PODLOG_SERVICE_HOST and PODLOG_PORT_8080_TCP*
  assert.deepEqual(fromEnv({ PODLOG_SERVICE_HOST: '10.0.0.1', PODLOG_PORT_8080_TCP_ADDR: '10.0.0.1' }), {});
  const envs = configKeys().map((k) => k.env);
  assert.ok(envs.includes('PODLOG_STATE_DIR') && envs.includes('PODLOG_FOLLOW_HEARTBEAT_MS'));
  for (const k of configKeys()) assert.ok(k.description.length > 10, `key ${k.path.join('.')} has a description`);
});
