import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, writeSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';
import { openSse } from '../../helpers/sse.ts';
import { startSwapper } from '../../helpers/swapper.ts';
import { waitFor } from '../../helpers/wait.ts';

/** Outside the root, under the same names the pod's files have; no legitimate response carries the marker. */
const SECRET = 'root:$6$SECRET-MARKER-race:19000:0:99999:7:::\n'.repeat(20);
const FINE = 'fine line one\nfine line two\nfine line three\n';

describe('a pod swapping its container folder with a link, against the real routes', () => {
  const root = makeRoot();
  const outside = mkdtempSync(join(tmpdir(), 'podlog-host-'));
  const pod = join(root.dir, `evil_race-0_${uid(5)}`);
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  let server: Server;
  let base = '';

  before(async () => {
    root.file('evil', 'race-0', uid(5), 'app', 'app.log', FINE);
    root.file('good', 'web-0', uid(6), 'web', 'web.log', 'good pod\n');
    writeFileSync(join(outside, 'app.log'), SECRET);
    writeFileSync(join(outside, 'only-outside.log'), SECRET);
    symlinkSync(outside, join(pod, 'swap'));
    t = await buildTestApp(root);
    server = createServer(t.app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
    root.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  test('no byte of the outside files is ever served or listed, and the agent keeps serving', async (t2) => {
    // a follower opened before the race, fed through a descriptor (the path may point outside mid-race)
    const follow = await openSse(`${base}/namespaces/evil/pods/race-0/containers/app/files/app.log/follow?offset=0`);
    assert.equal(follow.status, 200);
    await waitFor(() => follow.frames.some((f) => f.event === 'lines'), { what: 'first follow lines' });
    const appendFd = openSync(join(pod, 'app', 'app.log'), 'a');
    const swapper = await startSwapper(join(pod, 'app'), join(pod, 'swap'));
    if ('reason' in swapper) {
      follow.close();
      closeSync(appendFd);
      t2.skip(`SKIPPED: no swapper (${swapper.reason})`);
      console.warn(`door race test skipped: ${swapper.reason}`);
      return;
    }
    const served = { ok: 0, refused: 0, requests: 0 };
    const get = async (path: string) => {
      const res = await fetch(base + path);
      const body = await res.text();
      served.requests++;
      assert.ok(!body.includes('SECRET-MARKER'), `${path} served outside bytes (${res.status})`);
      assert.ok(!body.includes('only-outside'), `${path} listed an outside name`);
      assert.ok(!body.includes(outside) && !body.includes(root.dir), `${path} named a host path: ${body.slice(0, 200)}`);
      return { status: res.status, body };
    };
    const fileRoute = async (path: string) => {
      const r = await get(path);
      if (r.status === 200) served.ok++;
      else {
        assert.equal(r.status, 404, `${path}: ${r.body}`);
        assert.match(r.body, /"code":"PODLOG_E_NOT_(FOUND|REGULAR)"/);
        served.refused++;
      }
    };
    try {
      for (let round = 0; round < 200 && (round < 30 || served.ok < 30 || served.refused < 30); round++) {
        const work: Promise<unknown>[] = [];
        for (const c of ['app', 'swap']) {
          const file = `/namespaces/evil/pods/race-0/containers/${c}/files/app.log`;
          work.push(fileRoute(file), fileRoute(`${file}?tail=2`), fileRoute(`${file}/lines?from=0`), fileRoute(`${file}?download=1`));
        }
        work.push(get('/search?q=SECRET-MARKER&namespace=evil').then((r) => assert.equal(r.status, 200)));
        work.push(get('/search?q=fine&namespace=evil').then((r) => assert.equal(r.status, 200)));
        work.push(get('/namespaces/evil/pods/race-0').then((r) => assert.equal(r.status, 200)));
        work.push(get('/namespaces/good/pods/web-0/containers/web/files/web.log').then((r) => assert.deepEqual(r, { status: 200, body: 'good pod\n' })));
        if (round % 10 === 0) work.push(t.catalog.rescan());
        writeSync(appendFd, `appended during round ${round}\n`);
        await Promise.all(work);
      }
    } finally {
      await swapper.stop();
      closeSync(appendFd);
    }
    await waitFor(() => follow.frames.some((f) => f.data.includes('appended during round')), { what: 'the follower sees appended lines' });
    follow.close();
    for (const f of follow.frames) assert.ok(!f.data.includes('SECRET-MARKER') && !f.data.includes(outside), `follow sent ${f.event}: ${f.data.slice(0, 200)}`);
    assert.ok(served.ok > 0 && served.refused > 0, `the race was not hit: ${JSON.stringify(served)}`);
    assert.equal((await fetch(`${base.replace('/api/v1', '')}/healthz`)).status, 200);
    assert.equal(await (await fetch(`${base}/namespaces/good/pods/web-0/containers/web/files/web.log`)).text(), 'good pod\n');
  });
});
