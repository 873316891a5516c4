/**
 * State the agent cannot use (its own files in `--state-dir` replaced by the wrong kind of thing): the state
 * folder itself stops the start with one line naming it and the fix; a part's folder or file disables that
 * part, said on /readyz, while the agent serves files.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAgent } from '../../helpers/agent-process.ts';
import { uid } from '../../helpers/root.ts';
import { waitFor } from '../../helpers/wait.ts';

interface Readyz { status: string; degraded?: Record<string, { state: string; reason: string }> }

describe('state the agent cannot use', () => {
  let base: string;
  let root: string;
  let state: string;
  let kubeconfig: string;
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'podlog-state-dir-'));
    root = join(base, 'root');
    mkdirSync(join(root, `team-a_web-1_${uid(1)}`, 'main'), { recursive: true });
    writeFileSync(join(root, `team-a_web-1_${uid(1)}`, 'main', 'app.log'), 'hello\n');
    kubeconfig = join(base, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: x',
      'clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]', 'users: [{name: u, user: {token: t}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]',
    ].join('\n'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  /** A fresh state folder for one case, laid out by `lay`. */
  const fresh = (name: string, lay: (state: string) => void) => {
    state = join(base, name);
    mkdirSync(state);
    lay(state);
    return state;
  };

  test('the state folder is a file: the start stops with one line naming it and the fix, no stack trace', async () => {
    state = join(base, 'state-file');
    writeFileSync(state, 'not a folder');
    const r = await spawnAgent(['--root', root, '--state-dir', state]);
    assert.equal(r.kind, 'exited');
    if (r.kind !== 'exited') return;
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^podlog: the state folder .*state-file is not a folder: remove or rename it/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  const cases: { name: string; part: string; lay: (s: string) => void; args: () => string[]; reason: RegExp }[] = [
    { name: 'the pod records folder is a file', part: 'kube', lay: (s) => writeFileSync(join(s, 'pods'), 'x'),
      args: () => ['--kubeconfig', kubeconfig, '--node-name', 'n1'], reason: /the pod records folder .*pods is not a folder: remove or rename it/ },
    { name: 'the owner records folder is a file', part: 'kube', lay: (s) => writeFileSync(join(s, 'owners'), 'x'),
      args: () => ['--kubeconfig', kubeconfig, '--node-name', 'n1'], reason: /the owner records folder .*owners is not a folder/ },
    { name: 'the ship checkpoint file is a folder', part: 'ship', lay: (s) => mkdirSync(join(s, 'ship', 'registry.json'), { recursive: true }),
      args: () => ['--es-url', 'http://127.0.0.1:9'], reason: /the shipping checkpoints file .*registry\.json is a folder: remove or rename it/ },
    { name: 'the ship folder is a file', part: 'ship', lay: (s) => writeFileSync(join(s, 'ship'), 'x'),
      args: () => ['--es-url', 'http://127.0.0.1:9'], reason: /shipping checkpoints' folder .*ship is not a folder/ },
    { name: 'the dead-letter file is a folder', part: 'ship', lay: (s) => mkdirSync(join(s, 'ship', 'dead-letter.ndjson'), { recursive: true }),
      args: () => ['--es-url', 'http://127.0.0.1:9'], reason: /the dead letters file .*dead-letter\.ndjson is a folder/ },
  ];
  for (const c of cases) {
    test(`${c.name}: the agent serves with ${c.part} disabled, and /readyz says why`, async () => {
      const r = await spawnAgent(['--root', root, '--state-dir', fresh(c.name.replaceAll(' ', '-'), c.lay), ...c.args()]);
      assert.equal(r.kind, 'listening', r.kind === 'exited' ? r.stderr : '');
      if (r.kind !== 'listening') return;
      try {
        // shipping starts after the catalog's first scan, so its state is checked a moment after the agent listens
        const { status, body } = await waitFor(async () => {
          const ready = await fetch(`${r.url}/readyz`);
          const b = (await ready.json()) as Readyz;
          return b.degraded?.[c.part] ? { status: ready.status, body: b } : undefined;
        }, { what: `${c.part} shown as degraded on /readyz` });
        assert.equal(status, 200);
        assert.equal(body.degraded?.[c.part]?.state, 'disabled');
        assert.match(body.degraded[c.part]!.reason, c.reason);
        assert.equal(await (await fetch(`${r.url}/api/v1/namespaces/team-a/pods/web-1/containers/main/files/app.log`)).text(), 'hello\n');
        assert.ok(r.logs().some((l) => l.includes(`${c.part} disabled`)), 'one error line in the log');
      } finally {
        await r.stop();
      }
    });
  }

  test('the CRI copy offsets file is a folder: copying goes on, /readyz shows it retrying with the reason', async () => {
    const kubelet = join(base, 'kubelet-pods');
    mkdirSync(join(kubelet, `batch_job-1_${uid(2)}`, 'main'), { recursive: true });
    writeFileSync(join(kubelet, `batch_job-1_${uid(2)}`, 'main', '0.log'), '2026-11-20T10:00:00.000000001Z stdout F copied\n');
    const s = fresh('cri-offsets-folder', (st) => mkdirSync(join(st, 'retention', 'cri-offsets.json'), { recursive: true }));
    const r = await spawnAgent(['--root', root, '--state-dir', s, '--kubelet-pods-dir', kubelet]);
    assert.equal(r.kind, 'listening', r.kind === 'exited' ? r.stderr : '');
    if (r.kind !== 'listening') return;
    try {
      const body = await waitFor(async () => ((await (await fetch(`${r.url}/readyz`)).json()) as Readyz).degraded?.['cri-copy'], { what: 'cri-copy degraded' });
      assert.equal(body.state, 'retrying');
      assert.match(body.reason, /cri-offsets\.json .*writable file/);
      const copy = join(root, `batch_job-1_${uid(2)}`, 'main', 'stdio-0.cri.log');
      await waitFor(() => existsSync(copy), { what: 'the copy' });
      assert.match(readFileSync(copy, 'utf8'), /copied/);
    } finally {
      await r.stop();
    }
  });
});
