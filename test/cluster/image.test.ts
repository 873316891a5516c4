/**
 * The real container image: built from the Dockerfile with podman (scripts/image/build.sh) and run with
 * the DaemonSet's settings — read-only root, every capability dropped but DAC_READ_SEARCH,
 * no-new-privileges, the hostPath root and state mounts, the ConfigMap's podlog.yaml. The agent listens
 * on 127.0.0.1 (host network) only. Skipped loudly where podman is missing.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../helpers/wait.ts';
import { announceSkip, REPO, tempDir } from './harness.ts';
import { daemonSetTuning } from '../helpers/daemonset.ts';

const run = promisify(execFile);
const IMAGE = process.env.PODLOG_IMAGE ?? 'localhost/podlog:test';
const TOKEN = 'first-try-token-0123456789';
const UID = '5a1c2f0e-7b3d-4e8f-9a6b-1c2d3e4f5a6b';

function skipReason(): string | undefined {
  if (process.env.PODLOG_SKIP_IMAGE === '1') return 'PODLOG_SKIP_IMAGE=1';
  if (spawnSync('podman', ['--version']).status !== 0) return 'podman is not installed (apt-get install podman buildah runc mmdebstrap)';
  if (process.getuid?.() !== 0) return 'building the base with mmdebstrap and running the image rootful needs root';
  return undefined;
}
const skip = skipReason();
if (skip) announceSkip(`image tier: ${skip}`);

const env = () => ({ ...process.env, CONTAINERS_CONF: join(process.env.PODLOG_IMAGE_CACHE ?? join(process.env.HOME ?? '/root', '.cache', 'podlog', 'image'), 'containers.conf') });
const podman = (args: string[]) => run('podman', args, { env: env(), maxBuffer: 16 << 20 });

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('the container image', { skip, timeout: 30 * 60_000 }, () => {
  const work = tempDir('podlog-image-');
  const root = join(work.dir, 'root');
  const state = join(work.dir, 'state');
  const names: string[] = [];

  /** `podman run -d` with the DaemonSet's container settings; `caps` false drops DAC_READ_SEARCH too. */
  async function start(name: string, port: number, opts: { caps?: boolean; env?: Record<string, string>; detach?: boolean } = {}) {
    names.push(name);
    const envArgs = Object.entries({
      NODE_NAME: 'node-a', POD_NAME: 'podlog-abcde', POD_NAMESPACE: 'podlog', POD_IP: '127.0.0.1',
      PODLOG_KUBE_IDENTITY: 'podlog-abcde', PODLOG_KUBE_LEASE_NAMESPACE: 'podlog', PODLOG_KUBE_PEER_ADDRESS: `http://127.0.0.1:${port}`,
      ...daemonSetTuning(), ...opts.env,
    }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const args = [
      'run', ...(opts.detach === false ? [] : ['-d']), '--name', name, '--network=host', '--user=0:0', '--read-only',
      '--cap-drop=ALL', ...(opts.caps === false ? [] : ['--cap-add=DAC_READ_SEARCH']), '--security-opt=no-new-privileges',
      '--tmpfs=/tmp:size=64m', `-v=${root}:/var/log/podlog`, `-v=${state}:/var/lib/podlog`, `-v=${join(work.dir, 'config')}:/etc/podlog:ro`,
      ...envArgs, IMAGE,
      // manifests/base/daemonset.yaml args, but on loopback and a free port
      'agent', '--config=/etc/podlog/podlog.yaml', '--root=/var/log/podlog', '--state-dir=/var/lib/podlog', '--host=127.0.0.1', `--port=${port}`,
    ];
    return podman(args);
  }
  const firstTry = { PODLOG_AUTH_MODE: 'token', PODLOG_AUTH_TOKEN_FILE: '/etc/podlog/tokens.yaml' };
  const get = (port: number, path: string) => fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const ready = (port: number) => waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, { what: 'the container ready', timeoutMs: 60_000, intervalMs: 200 });

  before(async () => {
    const built = spawnSync(join(REPO, 'scripts', 'image', 'build.sh'), { encoding: 'utf8', env: env() });
    if (built.status !== 0) throw new Error(`scripts/image/build.sh failed:\n${(built.stderr ?? '').slice(-4000)}`);
    process.stdout.write(built.stdout);
    mkdirSync(join(work.dir, 'config'), { recursive: true });
    const cm = parseAllDocuments(readFileSync(join(REPO, 'manifests', 'base', 'configmap.yaml'), 'utf8')).map((d) => d.toJS()).find((o) => o?.kind === 'ConfigMap');
    writeFileSync(join(work.dir, 'config', 'podlog.yaml'), cm.data['podlog.yaml']);
    writeFileSync(join(work.dir, 'config', 'tokens.yaml'), `tokens:\n  - token: ${TOKEN}\n    user: first-try\n    namespaces: ['*']\n`);
    mkdirSync(state, { recursive: true });
    // a pod that writes as its own user (uid 2000): a 0700 folder with a 0600 file, only readable with DAC_READ_SEARCH
    const folder = join(root, `flink_secret-tm_${UID}`, 'flink-main-container');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'taskmanager.log'), 'only the owner may read this line\n');
    chmodSync(join(folder, 'taskmanager.log'), 0o600);
    chownSync(join(folder, 'taskmanager.log'), 2000, 2000);
    chmodSync(folder, 0o700);
    chownSync(folder, 2000, 2000);
  });

  after(async () => {
    for (const n of names) await podman(['rm', '-f', '-t', '0', n]).catch(() => undefined);
    work.cleanup();
  });

  it('is at most 250 MB', async () => {
    const size = Number((await podman(['image', 'inspect', '-f', '{{.Size}}', IMAGE])).stdout.trim());
    process.stdout.write(`image ${IMAGE}: ${Math.round(size / 1e6)} MB\n`);
    assert.ok(size <= 250e6, `${Math.round(size / 1e6)} MB`);
  });

  it("answers /readyz, the API and the page, and reads another user's 0600 file with DAC_READ_SEARCH; exits 0 on SIGTERM", async () => {
    const port = await freePort();
    await start('podlog-test-caps', port, { env: firstTry });
    await ready(port);
    const page = await get(port, '/');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const pods = await (await get(port, '/api/v1/pods')).json() as { items: Array<{ name: string; uid: string }> };
    assert.ok(pods.items.some((p) => p.uid === UID), JSON.stringify(pods));
    const file = await waitFor(async () => {
      const r = await get(port, `/api/v1/namespaces/flink/pods/secret-tm/containers/flink-main-container/files/taskmanager.log`);
      return r.status === 200 ? r.text() : undefined;
    }, { what: 'the 0600 file served', timeoutMs: 30_000, intervalMs: 200 });
    assert.match(file, /only the owner may read this line/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/pods`)).status, 401, 'no token, no logs');
    // searches run on the image's ripgrep, which reads the descriptor the agent opened with the capability
    const logs = (await podman(['logs', 'podlog-test-caps'])).stdout;
    assert.match(logs, /"engine":"ripgrep [0-9.]+[^"]*".*"msg":"search engine"/, logs.slice(0, 2000));
    const hits = await (await get(port, '/api/v1/search?q=only+the+owner')).text();
    assert.match(hits, /only the owner may read this line/);
    assert.match(hits, /"done":true/);

    const t0 = Date.now();
    await podman(['stop', '-t', '30', 'podlog-test-caps']);
    const stoppedInMs = Date.now() - t0;
    const code = (await podman(['inspect', '-f', '{{.State.ExitCode}}', 'podlog-test-caps'])).stdout.trim();
    assert.equal(code, '0', 'SIGTERM exits 0');
    assert.ok(stoppedInMs < 30_000, `stopped within the 30 s grace period (${stoppedInMs} ms)`);
  });

  it('does not read that file without the capability', async () => {
    const port = await freePort();
    await start('podlog-test-nocaps', port, { caps: false, env: firstTry });
    await ready(port);
    // the pod folder itself is readable, so the pod is listed; its 0700 container folder is not
    await waitFor(async () => ((await (await get(port, '/api/v1/pods')).json()) as { items: Array<{ uid: string }> }).items.some((p) => p.uid === UID), { what: 'the pod listed', timeoutMs: 30_000, intervalMs: 200 });
    const r = await get(port, `/api/v1/namespaces/flink/pods/secret-tm/containers/flink-main-container/files/taskmanager.log`);
    const body = await r.text();
    assert.equal(r.status, 404, body);
    assert.doesNotMatch(body, /only the owner may read this line/);
  });

  it('with the ConfigMap as shipped (auth kubernetes) and no cluster, exits with a clear message', async () => {
    const port = await freePort();
    const res = await start('podlog-test-shipped', port, { detach: false }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /auth\.mode kubernetes needs a cluster link/);
  });
});
