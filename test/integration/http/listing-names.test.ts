import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { buildTestApp, makeRoot, uid } from '../../helpers/agent.ts';

describe('every name a listing shows is fetchable', () => {
  const root = makeRoot();
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  /** Odd names the API serves: listed, and each fetchable with its own content. */
  const served = ['sp ace %25 # ? & + =.log', 'ünïcødé-日志.log', "quote'\"<>.log", '..dots.log'];
  /** Names no request can name (a URL segment may not carry them): not listed. */
  const unservable = ['back\\slash.log', 'new\nline.log', 'tab\t.log', 'del\u007f.log', 'esc\u001b[31m.log'];

  before(async () => {
    const dir = root.container('odd', 'names-0', uid(3), 'app');
    for (const name of [...served, ...unservable]) writeFileSync(join(dir, name), `content of ${JSON.stringify(name)}\n`);
    // a name that is not valid UTF-8 cannot be named in a URL either
    writeFileSync(Buffer.concat([Buffer.from(join(dir, 'latin1-')), Buffer.from([0xe9]), Buffer.from('.log')]), 'latin1 name\n');
    t = await buildTestApp(root);
  });
  after(async () => {
    await t.close();
    root.cleanup();
  });

  test('the listing holds only names the API can serve; the others are counted as skipped', async () => {
    const pod = (await request(t.app).get('/api/v1/namespaces/odd/pods/names-0').expect(200)).body;
    const listed = pod.containers[0].files.map((f: { name: string }) => f.name).sort();
    assert.deepEqual(listed, [...served].sort());
    const all = (await request(t.app).get('/api/v1/pods?state=all').expect(200)).body;
    const everywhere = all.items.flatMap((p: { containers: { files: { name: string }[] }[] }) => p.containers.flatMap((c) => c.files.map((f) => f.name)));
    for (const bad of unservable) assert.ok(!everywhere.includes(bad), `listed: ${JSON.stringify(bad)}`);
    assert.ok(t.catalog.stats().skipped >= unservable.length);
  });

  test('each listed name is fetched by its URL-encoded name, with GET, tail, lines and download', async () => {
    const pod = (await request(t.app).get('/api/v1/namespaces/odd/pods/names-0').expect(200)).body;
    for (const { name } of pod.containers[0].files as { name: string }[]) {
      const url = `/api/v1/namespaces/odd/pods/names-0/containers/app/files/${encodeURIComponent(name)}`;
      const want = `content of ${JSON.stringify(name)}\n`;
      assert.equal((await request(t.app).get(url).expect(200)).text, want, name);
      assert.equal((await request(t.app).get(`${url}?tail=1`).expect(200)).text, want, name);
      assert.equal((await request(t.app).get(`${url}/lines?from=0`).expect(200)).body.lines[0].text, want.trimEnd(), name);
      assert.equal((await request(t.app).get(`${url}?download=1`).buffer(true).expect(200)).text, want, name);
      const hits = (await request(t.app).get(`/api/v1/search?q=content&namespace=odd&file=${encodeURIComponent(name)}`).expect(200)).text.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(hits.filter((h) => !h.done).length, 1, name);
    }
  });

  test('an unservable name asked for anyway is a 400 naming the rule, not a host path', async () => {
    const res = await request(t.app).get(`/api/v1/namespaces/odd/pods/names-0/containers/app/files/${encodeURIComponent('back\\slash.log')}`).expect(400);
    assert.equal(res.body.error.code, 'PODLOG_E_BAD_PATH');
    assert.ok(!res.text.includes(root.dir));
  });
});
