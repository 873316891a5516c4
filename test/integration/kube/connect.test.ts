import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { kubeDefaults } from '../../../src/kube/config.ts';
import { loadKubeConfig, resolveNodeName } from '../../../src/kube/connect.ts';
import { createKubeLink } from '../../../src/kube/index.ts';
import { tempDir } from './helpers.ts';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

test('cluster link: --kubeconfig, else in-cluster, else KUBECONFIG, else none; node name from flag or NODE_NAME', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const file = join(dir, 'config');
    await writeFile(file, KUBECONFIG);
    const token = join(dir, 'token');
    await writeFile(token, 'sa-token');
    assert.equal(loadKubeConfig({ kubeconfig: file }, {})!.source, 'kubeconfig');
    assert.equal(loadKubeConfig({}, { KUBECONFIG: `${join(dir, 'missing')}:${file}` })!.kc.getCurrentCluster()!.server, 'https://10.0.0.1:6443');
    assert.equal(loadKubeConfig({}, {}, token), undefined);
    assert.equal(loadKubeConfig({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, join(dir, 'no-token')), undefined);
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'missing') }, {}));
    assert.equal(resolveNodeName({ nodeName: 'flag' }, { NODE_NAME: 'env' }), 'flag');
    assert.equal(resolveNodeName({}, { NODE_NAME: 'env' }), 'env');
    assert.equal(resolveNodeName({}, {}), undefined);
  } finally {
    await cleanup();
  }
});

test('no cluster: createKubeLink returns undefined and says so once', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    assert.equal(await createKubeLink({ config: kubeDefaults(), stateDir: dir, logger, metrics: new Registry(), env: {} }), undefined);
    assert.equal(await createKubeLink({ config: kubeDefaults({ enabled: 'off' }), stateDir: dir, logger, metrics: new Registry(), env: {} }), undefined);
    const file = join(dir, 'config');
    await writeFile(file, KUBECONFIG);
    assert.equal(await createKubeLink({ config: kubeDefaults({ kubeconfig: file }), stateDir: dir, logger, metrics: new Registry(), env: {} }), undefined, 'no node name');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(JSON.parse(l).msg, /no Kubernetes cluster link/);
  } finally {
    await cleanup();
  }
});
