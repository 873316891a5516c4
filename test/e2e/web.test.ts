/**
 * End-to-end tests of the page in Debian's Chromium (playwright-core) against a real agent child
 * process serving the project's Flink fixtures plus generated files: open a finished pod's log, jump
 * to the end of a 200 MB file, follow a growing file, land on a permalink's highlighted line, search
 * and open a hit. Screenshots go to `test-results/`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { RESULTS, buildWeb, fileHash, generateLog, launchChromium, seedFixtures, startAgent, tempDirs, webIsFresh, type AgentProcess } from './harness.ts';

const BIG_BYTES = 200 * 1024 * 1024;
const BIG_LAST = '2025-11-28 23:59:59,999 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - LAST-LINE-OF-THE-200MB-FILE';
const BIG = { ns: 'flink-big', pod: 'bigjob-taskmanager-1-1', uid: 'bbbbbbbb-0000-4000-8000-000000000001', c: 'flink-main-container', f: 'taskmanager.log' };
const LIVE = { ns: 'flink-live', pod: 'livejob-taskmanager-1-1', uid: 'cccccccc-0000-4000-8000-000000000002', c: 'flink-main-container', f: 'taskmanager.log' };

interface FixtureFile {
  ns: string;
  pod: string;
  uid: string;
  c: string;
  f: string;
  path: string;
  text: string;
}

let dirs: Awaited<ReturnType<typeof tempDirs>>;
let agent: AgentProcess;
let browser: Browser;
let fixtures: FixtureFile[] = [];

/** Every plain-text fixture file with its identity parsed from the layout. */
async function listFixtures(root: string, pods: string[]): Promise<FixtureFile[]> {
  const out: FixtureFile[] = [];
  for (const dir of pods) {
    const [ns, pod, uid] = dir.split('_') as [string, string, string];
    for (const c of await readdir(join(root, dir))) {
      for (const f of await readdir(join(root, dir, c))) {
        if (f.endsWith('.gz')) continue;
        const path = join(root, dir, c, f);
        const text = await readFile(path, 'utf8');
        if (text.trim()) out.push({ ns, pod, uid, c, f, path, text });
      }
    }
  }
  return out;
}

/** Last non-empty line of a text. */
function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines[lines.length - 1]!;
}

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

/** Wait until a viewer row containing `text` is inside the viewport. */
async function waitRowVisible(page: Page, text: string, cls = '.row'): Promise<void> {
  await page.waitForFunction(
    ([t, c]) => {
      const vp = document.querySelector('.viewport');
      if (!vp) return false;
      const box = vp.getBoundingClientRect();
      return [...document.querySelectorAll<HTMLElement>(`.viewport ${c}`)].some((r) => {
        if (r.hidden || !r.textContent?.includes(t)) return false;
        const b = r.getBoundingClientRect();
        return b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
      });
    },
    [text, cls] as const,
  );
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(RESULTS, `${name}.png`) });
}

describe('web page end to end', { timeout: 180_000 }, () => {
  before(async () => {
    await mkdir(RESULTS, { recursive: true });
    if (!webIsFresh()) buildWeb();
    dirs = await tempDirs('podlog-e2e-');
    const pods = await seedFixtures(dirs.root);
    fixtures = await listFixtures(dirs.root, pods);
    await generateLog(join(dirs.root, `${BIG.ns}_${BIG.pod}_${BIG.uid}`, BIG.c, BIG.f), BIG_BYTES, BIG_LAST);
    await mkdir(join(dirs.root, `${LIVE.ns}_${LIVE.pod}_${LIVE.uid}`, LIVE.c), { recursive: true });
    await writeFile(join(dirs.root, `${LIVE.ns}_${LIVE.pod}_${LIVE.uid}`, LIVE.c, LIVE.f), '2025-11-28 23:00:00,000 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - live pod started\n');
    agent = await startAgent(dirs.root, dirs.state);
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await agent?.stop();
    await dirs?.cleanup();
  });

  test('opens a finished pod\'s log from the browser', async (t) => {
    // A log longer than the screen, so its end (shown on opening) must be scrolled to.
    const fx = [...fixtures].filter((f) => /manager\.log$/.test(f.f)).sort((a, b) => b.text.length - a.text.length)[0] ?? fixtures[0];
    if (!fx) return t.skip('no Flink fixtures in fixtures/flink/root');
    const page = await newPage();
    await page.goto(`${agent.url}/#/`);
    await page.getByRole('searchbox', { name: 'Filter pods, jobs and files' }).fill(fx.pod);
    const podItem = page.locator('li.pod', { has: page.locator('.pod-name', { hasText: fx.pod }) }).first();
    await podItem.waitFor();
    assert.match(await podItem.locator('.state').innerText(), /exited|failed|deleted/);
    await shot(page, 'browser');
    await podItem.getByRole('link', { name: fx.f, exact: true }).click();
    await waitRowVisible(page, lastLine(fx.text).slice(0, 60).trim());
    assert.match(decodeURIComponent(page.url()), new RegExp(`/ns/${fx.ns}/pod/${fx.pod}/${fx.uid}/${fx.c}/`));
    await shot(page, 'finished-pod');
    await page.close();
    // The same file opened directly (a pasted link) also lands on its last line.
    const direct = await newPage();
    await direct.goto(`${agent.url}/${fileHash(fx.ns, fx.pod, fx.uid, fx.c, fx.f)}`);
    await waitRowVisible(direct, lastLine(fx.text).slice(0, 60).trim());
    await direct.waitForURL(/end=1/);
    await direct.close();
  });

  test('jumps to the end of a 200 MB file and shows its last line', async () => {
    const page = await newPage();
    await page.goto(`${agent.url}/${fileHash(BIG.ns, BIG.pod, BIG.uid, BIG.c, BIG.f, 'top=0')}`);
    await page.locator('.viewport .row').first().waitFor();
    await page.locator('.viewport').focus();
    await page.keyboard.press('Shift+G');
    await waitRowVisible(page, 'LAST-LINE-OF-THE-200MB-FILE');
    await shot(page, 'big-file-end');
    // and back to the start with g
    await page.keyboard.press('g');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.viewport .row')?.dataset['offset'] === '0');
    await page.close();
  });

  test('follows a file while lines are appended', async () => {
    const page = await newPage();
    await page.goto(`${agent.url}/${fileHash(LIVE.ns, LIVE.pod, LIVE.uid, LIVE.c, LIVE.f)}`);
    await waitRowVisible(page, 'live pod started');
    await page.locator('.viewport').focus();
    await page.keyboard.press('f');
    await page.waitForFunction(() => document.querySelector('.viewer')?.classList.contains('is-following'));
    await page.waitForURL(/follow=1/);
    const path = join(dirs.root, `${LIVE.ns}_${LIVE.pod}_${LIVE.uid}`, LIVE.c, LIVE.f);
    const extra = Array.from({ length: 60 }, (_, i) => `2025-11-28 23:00:${String(i).padStart(2, '0')},000 INFO  org.apache.flink.X [] - appended line ${i}`).join('\n');
    await appendFile(path, `${extra}\n2025-11-28 23:01:00,000 ERROR org.apache.flink.X [] - APPENDED-WHILE-FOLLOWING\n`);
    await waitRowVisible(page, 'APPENDED-WHILE-FOLLOWING', '.row.lv-error');
    await shot(page, 'follow');
    // Scrolling up pauses follow.
    await page.mouse.move(600, 400);
    await page.mouse.wheel(0, -200);
    await page.waitForFunction(() => document.querySelector('.viewer')?.classList.contains('is-paused'));
    // One key resumes: back at the end, following again, and new lines keep arriving.
    await page.keyboard.press('f');
    await page.waitForFunction(() => document.querySelector('.viewer')?.classList.contains('is-following'));
    await appendFile(path, '2025-11-28 23:02:00,000 WARN  org.apache.flink.X [] - AFTER-RESUME\n');
    await waitRowVisible(page, 'AFTER-RESUME', '.row.lv-warn');
    await page.close();
  });

  test('a permalink lands on the highlighted line', async (t) => {
    // The log record that introduces a stack trace (a line with a level, followed by the exception).
    const fx = fixtures.find((f) => /manager\.log/.test(f.f) && /\n\S*Exception[^\n]*\n\s+at /.test(f.text)) ?? fixtures[0];
    if (!fx) return t.skip('no Flink fixtures');
    const lines = fx.text.split('\n');
    const ex = lines.findIndex((l, i) => /Exception/.test(l) && /^\s+at /.test(lines[i + 1] ?? ''));
    let li = Math.max(0, ex);
    while (li > 0 && !/^\d{4}-\d{2}-\d{2} /.test(lines[li]!)) li--;
    const target = lines[li]!;
    const offset = Buffer.byteLength(lines.slice(0, li).join('\n')) + (li > 0 ? 1 : 0);
    const page = await newPage();
    await page.goto(`${agent.url}/${fileHash(fx.ns, fx.pod, fx.uid, fx.c, fx.f, `offset=${offset}`)}`);
    await waitRowVisible(page, target.slice(0, 50).trim(), '.row.hl');
    assert.equal(await page.locator('.row.hl').getAttribute('data-offset'), String(offset));
    assert.match(page.url(), new RegExp(`offset=${offset}`));
    await shot(page, 'permalink');
    // Stack traces fold under their first line (z folds them all) and unfold again.
    assert.ok((await page.locator('.viewport .row .fold').count()) > 0, 'a stack trace is on screen with its fold toggle');
    await page.keyboard.press('z');
    await page.locator('.viewport .row .more').first().waitFor();
    assert.equal(await page.locator('.viewport .row.cont:not([hidden])').count(), 0);
    await page.keyboard.press('z');
    await page.locator('.viewport .row.cont:not([hidden])').first().waitFor();
    await page.close();
  });

  test('a lost connection is reported and recovers by itself', async () => {
    const page = await newPage();
    await page.goto(`${agent.url}/${fileHash(LIVE.ns, LIVE.pod, LIVE.uid, LIVE.c, LIVE.f, 'follow=1')}`);
    await page.waitForFunction(() => document.querySelector('.viewer')?.classList.contains('is-following'));
    await page.context().setOffline(true);
    await page.locator('.note', { hasText: 'Lost connection to the agent' }).waitFor();
    await shot(page, 'offline');
    await page.context().setOffline(false);
    await page.waitForFunction(() => !document.querySelector('.note')?.textContent);
    // Follow carries on from where it was: a line written now arrives.
    const path = join(dirs.root, `${LIVE.ns}_${LIVE.pod}_${LIVE.uid}`, LIVE.c, LIVE.f);
    await appendFile(path, '2025-11-28 23:03:00,000 INFO  org.apache.flink.X [] - AFTER-RECONNECT\n');
    await waitRowVisible(page, 'AFTER-RECONNECT');
    await page.close();
  });

  test('a file that is gone says so and links back to its pod', async () => {
    const page = await newPage();
    await page.goto(`${agent.url}/${fileHash(LIVE.ns, LIVE.pod, LIVE.uid, LIVE.c, 'no-such-file.log')}`);
    const banner = page.getByRole('alert');
    await banner.filter({ hasText: 'no longer on the node' }).waitFor();
    assert.equal(await banner.getByRole('link', { name: /Back to the pod/ }).count(), 1);
    await page.close();
  });

  test('searches and opens a hit in the viewer', async (t) => {
    const fx = fixtures.find((f) => /Exception/.test(f.text));
    if (!fx) return t.skip('no fixture with an exception');
    const word = /([A-Za-z]+Exception)/.exec(fx.text)![1]!;
    const page = await newPage();
    await page.goto(`${agent.url}/#/`);
    await page.keyboard.press('/');
    const q = page.getByRole('searchbox', { name: 'Search text' });
    await q.waitFor();
    await q.fill(word);
    // Scope to the fixture's namespace (the generated 200 MB file lives in another one).
    const ns = page.getByRole('combobox', { name: 'Namespace' });
    await ns.locator(`option[value="${fx.ns}"]`).waitFor({ state: 'attached' });
    await ns.selectOption(fx.ns);
    await q.press('Enter');
    await page.waitForURL(new RegExp(`namespace=${fx.ns}`));
    const hit = page.locator('.hit a').first();
    await hit.waitFor();
    await page.locator('.search-status', { hasText: /match/ }).waitFor();
    await shot(page, 'search');
    await hit.click();
    await waitRowVisible(page, word, '.row.hl');
    await shot(page, 'search-hit');
    await page.close();
  });
});
