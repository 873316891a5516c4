import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';

/** A host file the pods must never reach, with a marker no legitimate response contains. */
const SECRET = 'root:$6$SECRET-MARKER-7f3a:19000:0:99999:7:::\n';

describe('trust boundary: nothing outside the roots, no links, no FIFOs', () => {
  const root = makeRoot();
  const outside = mkdtempSync(join(tmpdir(), 'podlog-host-'));
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  let sock: Server;
  const pod = `evil_attacker-0_${uid(9)}`;
  const c = 'main';

  before(async () => {
    writeFileSync(join(outside, 'shadow'), SECRET);
    mkdirSync(join(outside, 'dir'));
    writeFileSync(join(outside, 'dir', 'x.log'), SECRET);
    const dir = root.container('evil', 'attacker-0', uid(9), c);
    writeFileSync(join(dir, 'ok.log'), 'fine\n');
    symlinkSync(join(outside, 'shadow'), join(dir, 'shadow.log')); // link to a host file
    symlinkSync(join(dir, 'ok.log'), join(dir, 'inside.log')); // link inside the root: still refused
    symlinkSync(join(outside, 'dir'), join(root.dir, `evil_linked-0_${uid(8)}`)); // a pod folder that is a link
    symlinkSync(join(outside, 'dir'), join(root.dir, pod, 'linked')); // a container folder that is a link
    execFileSync('mkfifo', [join(dir, 'fifo.log')]);
    sock = createServer();
    await new Promise<void>((r) => sock.listen(join(dir, 'sock.log'), r));
    t = await buildTestApp(root);
  });
  after(async () => {
    await t.close();
    sock.close();
    root.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  const base = `/api/v1/namespaces/evil/pods/attacker-0/containers/${c}/files`;
  const attacks: [string, string, number][] = [
    ['symlink to a host file', `${base}/shadow.log`, 404],
    ['symlink to a file inside the root', `${base}/inside.log`, 404],
    ['FIFO (must not block)', `${base}/fifo.log`, 404],
    ['unix socket', `${base}/sock.log`, 404],
    ['FIFO followed', `${base}/fifo.log/follow`, 404],
    ['dot-dot file', `${base}/..`, 400],
    ['encoded dot-dot', `${base}/%2E%2E`, 400],
    ['encoded slash in file', `${base}/..%2F..%2F..%2Fetc%2Fshadow`, 400],
    ['encoded slash in container', `/api/v1/namespaces/evil/pods/attacker-0/containers/..%2F..%2F/files/shadow`, 400],
    ['backslash', `${base}/..%5C..%5Cshadow`, 400],
    ['NUL byte', `${base}/ok.log%00.txt`, 400],
    ['absolute path', `${base}/%2Fetc%2Fshadow`, 400],
    ['control character', `${base}/a%0Ab`, 400],
    ['symlinked container folder', `/api/v1/namespaces/evil/pods/attacker-0/containers/linked/files/x.log`, 404],
    ['symlinked pod folder', `/api/v1/namespaces/evil/pods/linked-0/containers/dir/files/x.log`, 404],
    ['tail of a link', `${base}/shadow.log?tail=10`, 404],
    ['lines of a link', `${base}/shadow.log/lines?from=0`, 404],
    ['search scoped to a link', `/api/v1/search?q=SECRET&namespace=evil&file=shadow.log`, 200],
    ['search of the whole node', `/api/v1/search?q=SECRET-MARKER`, 200],
  ];
  for (const [name, url, status] of attacks) {
    test(`${name} → ${status}, no byte of the host file`, async () => {
      const res = await request(t.app).get(url).buffer(true).parse((r, cb) => {
        let s = '';
        r.on('data', (d: Buffer) => (s += d.toString('latin1')));
        r.on('end', () => cb(null, s));
      });
      assert.equal(res.status, status, `${url}: ${res.body}`);
      assert.ok(!String(res.body).includes('SECRET-MARKER'), 'host file content leaked');
      assert.ok(!String(res.body).includes(root.dir) && !String(res.body).includes(outside), `a host path in the answer: ${res.body}`);
      if (status >= 400) assert.match(String(res.body), /"code":"PODLOG_E_/);
    });
  }

  test('links, FIFOs, sockets and a linked container folder answer PODLOG_E_NOT_REGULAR; missing names and linked pod folders PODLOG_E_NOT_FOUND', async () => {
    const expect: [string, string][] = [
      [`${base}/shadow.log`, 'PODLOG_E_NOT_REGULAR'],
      [`${base}/inside.log?tail=1`, 'PODLOG_E_NOT_REGULAR'],
      [`${base}/fifo.log`, 'PODLOG_E_NOT_REGULAR'],
      [`${base}/fifo.log/follow`, 'PODLOG_E_NOT_REGULAR'],
      [`${base}/sock.log/lines?from=0`, 'PODLOG_E_NOT_REGULAR'],
      ['/api/v1/namespaces/evil/pods/attacker-0/containers/linked/files/x.log', 'PODLOG_E_NOT_REGULAR'],
      [`${base}/missing.log`, 'PODLOG_E_NOT_FOUND'],
      ['/api/v1/namespaces/evil/pods/attacker-0/containers/nope/files/x.log', 'PODLOG_E_NOT_FOUND'],
      ['/api/v1/namespaces/evil/pods/linked-0/containers/dir/files/x.log', 'PODLOG_E_NOT_FOUND'],
    ];
    for (const [url, code] of expect) {
      const res = await request(t.app).get(url).expect(404);
      assert.equal(res.body.error.code, code, url);
      assert.match(res.body.error.message, /evil\/(attacker|linked)-0/, url);
      assert.ok(!res.text.includes(root.dir) && !res.text.includes(outside), `${url}: ${res.text}`);
    }
  });

  test('the catalog admits the regular file and skips links, FIFOs and sockets', async () => {
    const res = await request(t.app).get('/api/v1/namespaces/evil/pods/attacker-0').expect(200);
    assert.deepEqual(res.body.containers.map((x: { name: string }) => x.name), [c]);
    assert.deepEqual(res.body.containers[0].files.map((f: { name: string }) => f.name), ['ok.log']);
    assert.ok(t.catalog.stats().skipped >= 4);
    await request(t.app).get('/api/v1/namespaces/evil/pods/linked-0').expect(404);
  });
});
