/**
 * The page's first paint: the pod list renders while the slower panels (the sign-in check, the node's
 * disk and the problems list) are still unanswered. Those requests are held in the browser
 * (playwright `page.route`) until the pods are on screen, then released: no timing involved.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Route } from 'playwright-core';
import { buildWeb, launchChromium, seedFixtures, startAgent, tempDirs, webIsFresh, type AgentProcess } from './harness.ts';

describe('first paint', { timeout: 120_000 }, () => {
  let dirs: Awaited<ReturnType<typeof tempDirs>>;
  let agent: AgentProcess;
  let browser: Browser;
  let pods: string[] = [];

  before(async () => {
    if (!webIsFresh()) buildWeb();
    dirs = await tempDirs('podlog-e2e-paint-');
    pods = await seedFixtures(dirs.root);
    agent = await startAgent(dirs.root, dirs.state);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await agent?.stop();
    await dirs?.cleanup();
  });

  test('the pod list renders before the sign-in check, node and problems panels answer', async (t) => {
    if (pods.length === 0) return t.skip('no Flink fixtures');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(30_000);
    const held: Route[] = [];
    const requested = new Set<string>();
    await page.route(/\/api\/v1\/(auth\/whoami|node|problems)(\?|$)/, (route) => {
      requested.add(new URL(route.request().url()).pathname);
      held.push(route);
    });
    await page.goto(`${agent.url}/#/`);
    const podName = pods[0]!.split('_')[1]!;
    await page.locator('.tree .pod-name', { hasText: podName }).first().waitFor();
    await page.locator('.home ul.recent li').first().waitFor();
    assert.ok(requested.has('/api/v1/auth/whoami'), 'the sign-in check was asked for, and is still unanswered');
    assert.equal(await page.locator('.home .problems').count(), 0, 'problems not shown yet');
    for (const r of held.splice(0)) await r.continue();
    await page.unroute(/\/api\/v1\/(auth\/whoami|node|problems)(\?|$)/);
    await page.locator('.home .node-info p').first().waitFor();
    await page.close();
  });
});
