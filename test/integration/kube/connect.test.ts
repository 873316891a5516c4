import { strict as assert } from 'node:assert';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { kubeDefaults } from '../../../src/kube/config.ts';
import { connectCluster, loadKubeConfig } from '../../../src/kube/connect.ts';
import { fromEnv } from '../../../src/config/load.ts';
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
    assert.equal((await loadKubeConfig({ kubeconfig: file }, {}))!.source, 'kubeconfig');
    assert.equal((await loadKubeConfig({}, { KUBECONFIG: `${join(dir, 'missing')}:${file}` }))!.kc.getCurrentCluster()!.server, 'https://10.0.0.1:6443');
    assert.equal(await loadKubeConfig({}, {}, token), undefined);
    assert.equal(await loadKubeConfig({}, { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, join(dir, 'no-token')), undefined);
    await assert.rejects(loadKubeConfig({ kubeconfig: join(dir, 'missing') }, {}));
    assert.deepEqual(fromEnv({ PODLOG_KUBE_NODE_NAME: 'podlog', NODE_NAME: 'downward' }).kube, { nodeName: 'podlog' });
    assert.deepEqual(fromEnv({ NODE_NAME: 'downward' }).kube, { nodeName: 'downward' });
    assert.equal(fromEnv({}).kube, undefined);
  } finally {
    await cleanup();
  }
});

test('no cluster: no link, said once, and no client loaded', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    assert.equal(await connectCluster(kubeDefaults(), {}, logger), undefined);
    assert.equal(await connectCluster(kubeDefaults({ enabled: 'off' }), { KUBECONFIG: '/nonexistent' }, logger), undefined);
    const file = join(dir, 'config');
    await writeFile(file, KUBECONFIG);
    const link = await connectCluster(kubeDefaults({ kubeconfig: file }), {}, logger);
    assert.equal(await createKubeLink({ config: kubeDefaults(), kubeConfig: link!.kc, identity: 'agent-1', stateDir: dir, logger, metrics: new Registry() }), undefined, 'no node name');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(JSON.parse(l).msg, /no Kubernetes cluster link/);
  } finally {
    await cleanup();
  }
});
