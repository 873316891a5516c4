/**
 * End-to-end test of the page against an agent that requires a bearer token (`--auth token
 * --auth-token-file`), in Debian's Chromium: the page asks for a token, lists only the pods of the
 * namespaces the token may read, follows a growing file over fetch() with `Authorization` (EventSource
 * cannot send it), keeps the token only in sessionStorage, and asks again after "Forget token".
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { RESULTS, buildWeb, launchChromium, startAgent, tempDirs, webIsFresh, type AgentProcess } from './harness.ts';

// The token file wants tokens of at least 16 characters (src/auth/token-file.ts).
const TOKEN = 's3cret-e2e-token-0123456789';
const ALLOWED = { ns: 'flink-jobs', pod: 'authjob-taskmanager-1-1', uid: 'dddddddd-0000-4000-8000-000000000001', c: 'flink-main-container', f: 'taskmanager.log' };
const HIDDEN = { ns: 'payments', pod: 'secretjob-taskmanager-1-1', uid: 'eeeeeeee-0000-4000-8000-000000000002', c: 'flink-main-container', f: 'taskmanager.log' };

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let agent: AgentProcess;
let browser: Browser;

function podDir(p: typeof ALLOWED): string {
  return join(dirs.root, `${p.ns}_${p.pod}_${p.uid}`, p.c);
}

describe('web page with --auth token', { timeout: 120_000 }, () => {
  before(async () => {
    await mkdir(RESULTS, { recursive: true });
    if (!webIsFresh()) buildWeb();
    dirs = await tempDirs('podlog-e2e-auth-');
    for (const p of [ALLOWED, HIDDEN]) {
      await mkdir(podDir(p), { recursive: true });
      await writeFile(join(podDir(p), p.f), `2025-11-28 23:00:00,000 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - ${p.pod} started\n`);
    }
    const tokenFile = join(dirs.dir, 'tokens.yaml');
    await writeFile(tokenFile, `tokens:\n  - token: "${TOKEN}"\n    user: alice\n    namespaces: ["${ALLOWED.ns}"]\n`, { mode: 0o600 });
    agent = await startAgent(dirs.root, dirs.state, 30_000, ['--auth', 'token', '--auth-token-file', tokenFile]);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    await dirs?.cleanup();
  });

  test('asks for a token, lists allowed pods only, follows with the token, forgets it', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(15_000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) errors.push(m.text());
    });
    const followAuth: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/follow')) followAuth.push(r.headers().authorization);
      assert.ok(!r.url().includes(TOKEN), 'the token never goes into a URL');
    });

    await page.goto(`${agent.url}/#/`);
    const dialog = page.getByRole('dialog', { name: 'Sign in to podlog' });
    await dialog.waitFor();
    const input = dialog.getByLabel(/Paste a bearer token/);
    // A wrong token is refused in the dialog.
    await input.fill('not-the-right-token-at-all');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.getByText(/not accepted/).waitFor();
    await input.fill(TOKEN);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('.whoami', { hasText: 'Signed in as alice' }).waitFor();

    // Only the allowed namespace's pods are listed.
    await page.locator('.pod-name', { hasText: ALLOWED.pod }).first().waitFor();
    const names = await page.locator('.pod-name').allInnerTexts();
    assert.ok(names.includes(ALLOWED.pod));
    assert.ok(!names.some((n) => n.includes(HIDDEN.pod)), `hidden pod listed: ${names.join(', ')}`);
    assert.ok(!(await page.locator('body').innerText()).includes(HIDDEN.ns));

    // The token is in sessionStorage only.
    const stored = await page.evaluate(() => ({ session: sessionStorage.getItem('podlog.token'), local: localStorage.length, cookie: document.cookie }));
    assert.equal(stored.session, TOKEN);
    assert.equal(stored.local === 0 || !JSON.stringify(await page.evaluate(() => ({ ...localStorage }))).includes(TOKEN), true);
    assert.equal(stored.cookie, '');

    // Open the log from the tree and follow it.
    await page.getByRole('searchbox', { name: 'Filter pods, jobs and files' }).fill(ALLOWED.pod);
    const podItem = page.locator('li.pod', { has: page.locator('.pod-name', { hasText: ALLOWED.pod }) }).first();
    await podItem.getByRole('link', { name: ALLOWED.f, exact: true }).click();
    await page.locator('.viewport .row', { hasText: `${ALLOWED.pod} started` }).first().waitFor();
    await page.locator('.viewport').focus();
    await page.keyboard.press('f');
    await page.waitForFunction(() => document.querySelector('.viewer')?.classList.contains('is-following'));
    await appendFile(join(podDir(ALLOWED), ALLOWED.f), '2025-11-28 23:01:00,000 ERROR org.apache.flink.X [] - APPENDED-WITH-TOKEN\n');
    await page.locator('.viewport .row', { hasText: 'APPENDED-WITH-TOKEN' }).first().waitFor();
    assert.ok(followAuth.length > 0, 'a follow request was made');
    assert.ok(followAuth.every((a) => a === `Bearer ${TOKEN}`), `follow requests carry the token: ${JSON.stringify(followAuth)}`);
    await page.screenshot({ path: join(RESULTS, 'auth-follow.png') });

    // Download goes through fetch with the token and a Blob URL.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Download ${ALLOWED.f}` }).click()]);
    assert.equal(download.suggestedFilename(), ALLOWED.f);
    assert.match(download.url(), /^blob:/);
    assert.match(await readFile((await download.path())!, 'utf8'), /APPENDED-WITH-TOKEN/);

    // A namespace the token may not read is refused with a plain message.
    await page.goto(`${agent.url}/#/ns/${HIDDEN.ns}/pod/${HIDDEN.pod}/${HIDDEN.uid}`);
    await page.getByText(`No access to namespace ${HIDDEN.ns}.`).waitFor();

    // A later 401 (token revoked or expired) asks again; the new token reloads the page shown.
    await page.evaluate(() => sessionStorage.setItem('podlog.token', 'revoked-token-0123456789'));
    await page.evaluate((hash) => {
      location.hash = hash;
    }, `#/ns/${ALLOWED.ns}/pod/${ALLOWED.pod}/${ALLOWED.uid}`);
    await dialog.waitFor();
    await dialog.getByText(/The agent said: the bearer token is not valid/).waitFor();
    await input.fill(TOKEN);
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('heading', { level: 1, name: ALLOWED.pod }).waitFor();

    // "Forget token" brings the prompt back and removes the token.
    await page.getByRole('button', { name: 'Forget token' }).click();
    await dialog.waitFor();
    assert.equal(await page.locator('.pod-name').count(), 0, 'nothing read with the token stays on the page');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('podlog.token')), null);
    await page.screenshot({ path: join(RESULTS, 'auth-prompt.png') });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
