import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { pino } from 'pino';
import { createAccess } from '../../../src/http/access.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { isPodlogError } from '../../../src/errors.ts';

const deps = { nodeName: 'node-a', catalog: { generations: () => [] }, logger: pino({ level: 'silent' }) };
const config = (flags: Record<string, unknown>) => loadConfig({ flags: { roots: ['/tmp'], ...flags } });
const configError = (re: RegExp) => (e: unknown) => isPodlogError(e) && e.code === 'PODLOG_E_CONFIG' && re.test(e.message);

test('auth none on a non-loopback address is refused at start, unless allowed', async () => {
  await assert.rejects(createAccess(config({ host: '0.0.0.0' }), deps), configError(/refusing to listen on 0\.0\.0\.0/));
  assert.ok((await createAccess(config({ host: '0.0.0.0', auth: { allowNonLoopback: true } }), deps)).auth);
});

test('each mode says what it lacks', async () => {
  await assert.rejects(createAccess(config({ auth: { mode: 'token' } }), deps), configError(/tokenFile/));
  await assert.rejects(createAccess(config({ host: '0.0.0.0', auth: { mode: 'kubernetes' }, kube: { enabled: 'off' } }), deps), configError(/needs a cluster link/));
  await assert.rejects(createAccess(config({ auth: { mode: 'token', tokenFile: '/nonexistent/tokens' } }), deps), configError(/cannot read/));
});

test('a single agent has no cluster routing; with peers it lists itself once listening', async () => {
  assert.equal((await createAccess(config({}), deps)).cluster, undefined);
  const access = await createAccess(config({ cluster: { peers: ['node-b=http://10.0.0.2:8080'] } }), deps);
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  access.listening(server);
  const port = (server.address() as { port: number }).port;
  assert.deepEqual(await access.cluster!.peers.all(), [
    { node: 'node-a', url: `http://127.0.0.1:${port}` },
    { node: 'node-b', url: 'http://10.0.0.2:8080' },
  ]);
  assert.deepEqual(await access.cluster!.peers.others(), [{ node: 'node-b', url: 'http://10.0.0.2:8080' }]);
  server.close();
});
