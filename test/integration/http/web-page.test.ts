import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { buildTestApp, makeRoot } from '../../helpers/agent.ts';

describe('the web page at /', () => {
  const root = makeRoot();
  const webDir = join(mkdtempSync(join(tmpdir(), 'podlog-web-')), 'dist');
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  before(async () => {
    t = await buildTestApp(root, { webDir });
  });
  after(async () => {
    await t.close();
    root.cleanup();
    rmSync(join(webDir, '..'), { recursive: true, force: true });
  });

  test('while the page is not built, GET / answers a short page saying how to build it', async () => {
    const res = await request(t.app).get('/').expect(200);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.match(res.text, /not built/);
    assert.match(res.text, /npm run build:web/);
    assert.ok(!res.text.includes(webDir), 'no host path in the page');
    await request(t.app).get('/api/v1/pods').expect(200);
  });

  test('once built (even after start), the page itself is served under the strict CSP', async () => {
    mkdirSync(join(webDir, 'assets'), { recursive: true });
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>podlog</title><script type="module" src="./assets/app.js"></script>');
    writeFileSync(join(webDir, 'assets', 'app.js'), 'export {};');
    const res = await request(t.app).get('/').expect(200);
    assert.match(res.text, /assets\/app\.js/);
    assert.doesNotMatch(res.text, /not built/);
    assert.match(res.headers['content-security-policy'] ?? '', /script-src 'self'/);
    await request(t.app).get('/assets/app.js').expect(200);
  });
});
