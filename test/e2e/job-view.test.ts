/**
 * The page's job view and Flink HistoryServer log links, end to end in Chromium against a real agent serving
 * a real JobManager log (fixtures/flink/jobs/map-exception): the story comes first, then the pods; the root
 * cause links to its line in the JobManager's log; `/flink/jobs/<jobid>` lands on the job's first line.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { REPO, RESULTS, buildWeb, launchChromium, startAgent, tempDirs, webIsFresh, type AgentProcess } from './harness.ts';

const NS = 'flink-jobs';
const JM = { pod: 'orders-retry-5c8d7f9b6-q4v2n', uid: '6a1d3c5e-7f90-4b2a-8c4d-1e3f5a7b9c0d', c: 'flink-main-container' };
const TM = { pod: 'orders-retry-taskmanager-1-1', uid: '00000001-0000-4000-8000-000000000013', c: 'flink-main-container' };
const LOG = join(REPO, 'fixtures/flink/jobs/map-exception/jobmanager.log');

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let agent: AgentProcess;
let browser: Browser;
let jobId = '';

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

/** Wait until the highlighted viewer row contains `text`. */
async function waitHighlighted(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => [...document.querySelectorAll<HTMLElement>('.viewport .row.hl')].some((r) => !r.hidden && r.textContent?.includes(t)), text);
}

describe('job view and Flink log links', { timeout: 120_000 }, () => {
  before(async () => {
    await mkdir(RESULTS, { recursive: true });
    if (!webIsFresh()) buildWeb();
    dirs = await tempDirs('podlog-e2e-job-');
    const jmDir = join(dirs.root, `${NS}_${JM.pod}_${JM.uid}`, JM.c);
    await mkdir(jmDir, { recursive: true });
    await copyFile(LOG, join(jmDir, 'jobmanager.log'));
    const tmDir = join(dirs.root, `${NS}_${TM.pod}_${TM.uid}`, TM.c);
    await mkdir(tmDir, { recursive: true });
    await writeFile(join(tmDir, 'taskmanager.log'), '2026-12-07 18:20:05,000 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - TaskManager of orders-retry started\n');
    jobId = /Submitting job 'orders-enrich' \(([0-9a-f]{32})\)/.exec(await readFile(LOG, 'utf8'))![1]!;
    agent = await startAgent(dirs.root, dirs.state);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    await dirs?.cleanup();
  });

  test('the job view tells the story first, then the pods; the root cause opens its log line', async () => {
    const page = await newPage();
    await page.goto(`${agent.url}/#/`);
    await page.getByRole('link', { name: 'orders-retry', exact: true }).click();
    const story = page.getByRole('region', { name: 'Job story' });
    await story.locator('.headline').waitFor();
    assert.match(await story.locator('.headline').innerText(), /^Job orders-enrich \([0-9a-f]{32}\) FAILED after 3 restarts \(fixed-delay strategy exhausted\)/);
    const html = await story.innerHTML();
    assert.ok(html.indexOf('class="story"') < html.indexOf('class="job-pods"'), 'story before pods');
    assert.equal(await story.locator('.job-pods li').count(), 2);
    await page.screenshot({ path: join(RESULTS, 'job-view.png') });
    const root = story.locator('.story li', { hasText: 'Root cause' });
    await root.locator('a.story-place').click();
    await waitHighlighted(page, 'Caused by: java.io.IOException: INJECTED FAILURE');
    await page.close();
  });

  test('HistoryServer links land on the job\'s first JobManager line and on the TaskManager\'s log', async () => {
    const page = await newPage();
    await page.goto(`${agent.url}/flink/jobs/${jobId}`);
    await waitHighlighted(page, `Received JobGraph submission 'orders-enrich' (${jobId})`);
    assert.match(decodeURIComponent(page.url()), new RegExp(`/ns/${NS}/pod/${JM.pod}/${JM.uid}/${JM.c}/jobmanager\\.log\\?offset=\\d+`));
    await page.goto(`${agent.url}/flink/jobs/${jobId}/taskmanagers/${TM.pod}`);
    await page.waitForURL(new RegExp(`/ns/${NS}/pod/${TM.pod}/${TM.uid}/${TM.c}/taskmanager\\.log`));
    await page.locator('.viewport .row', { hasText: 'TaskManager of orders-retry started' }).waitFor();
    await page.close();
  });
});
