/**
 * Benchmark of the page's viewer on a 1 GiB file:
 *  1. time from navigation to the file's last line being visible (goal ≤ 1 s), median of runs,
 *     against a named peer measured in the same run: GNU `tail -n 400` of the same file;
 *  2. the page's JS heap and DOM size after scrolling through the whole 1 GiB (200 scrollbar jumps
 *     from start to end) and after N PageDowns of continuous scrolling, at several distances: the
 *     goal is a flat figure (bounded), not growing with distance scrolled.
 * Standalone: `node --import tsx bench/web.ts [--gib 1] [--runs 5]`. Prints a JSON summary last.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { buildWeb, fileHash, generateLog, launchChromium, startAgent, tempDirs, webIsFresh } from '../test/e2e/harness.ts';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const GIB = arg('gib', 1);
const RUNS = arg('runs', 5);
const LAST = '2025-11-28 23:59:59,999 INFO  org.apache.flink.runtime.taskexecutor.TaskExecutor [] - LAST-LINE-OF-THE-BENCH-FILE';
const F = { ns: 'bench', pod: 'bench-taskmanager-1-1', uid: 'dddddddd-0000-4000-8000-000000000001', c: 'flink-main-container', f: 'taskmanager.log' };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wait until the file's last line is on screen; returns the page's clock then (ms since navigation start). */
async function lastLineVisible(page: Page): Promise<number> {
  const h = await page.waitForFunction(() => {
    const vp = document.querySelector('.viewport');
    if (!vp) return false;
    const box = vp.getBoundingClientRect();
    return [...document.querySelectorAll<HTMLElement>('.viewport .row')].some((r) => {
      if (r.hidden || !r.textContent?.includes('LAST-LINE-OF-THE-BENCH-FILE')) return false;
      const b = r.getBoundingClientRect();
      return b.top >= box.top - 1 && b.bottom <= box.bottom + 1;
    })
      ? performance.now()
      : false;
  }, undefined, { polling: 'raf', timeout: 30_000 });
  return (await h.jsonValue()) as number;
}

async function heap(page: Page): Promise<{ heapMiB: number; domNodes: number; rows: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();
  const dom = await page.evaluate(() => ({ domNodes: document.getElementsByTagName('*').length, rows: document.querySelectorAll('.viewport .row').length }));
  return { heapMiB: Math.round((usedSize / 1048576) * 100) / 100, ...dom };
}

async function main(): Promise<void> {
  if (!webIsFresh()) buildWeb();
  const dirs = await tempDirs('podlog-bench-web-');
  const path = join(dirs.root, `${F.ns}_${F.pod}_${F.uid}`, F.c, F.f);
  const t0 = performance.now();
  await generateLog(path, GIB * 1024 ** 3, LAST);
  console.error(`generated ${GIB} GiB in ${Math.round(performance.now() - t0)} ms`);
  const agent = await startAgent(dirs.root, dirs.state);
  const browser = await launchChromium();
  try {
    const url = `${agent.url}/${fileHash(F.ns, F.pod, F.uid, F.c, F.f)}`;
    // 1. navigation → last line visible (the default view of a file is its end).
    const times: number[] = [];
    const wall: number[] = [];
    for (let i = 0; i < RUNS + 1; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const s = performance.now();
      await page.goto(url, { waitUntil: 'commit' });
      const inPage = await lastLineVisible(page);
      const ms = performance.now() - s;
      // The first run warms the agent's page cache and the browser's.
      if (i > 0) {
        times.push(inPage);
        wall.push(ms);
      }
      await page.close();
    }
    const peer: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      execFileSync('tail', ['-n', '400', path], { maxBuffer: 1 << 26 });
      peer.push(performance.now() - s);
    }
    const tLast = median(times);
    const tPeer = median(peer);
    console.error(`navigation → last line visible (page clock): median ${tLast.toFixed(0)} ms over ${RUNS} runs (${times.map((x) => x.toFixed(0)).join(', ')})`);
    console.error(`same, wall clock from page.goto: median ${median(wall).toFixed(0)} ms (${wall.map((x) => x.toFixed(0)).join(', ')})`);
    console.error(`peer GNU tail -n 400: median ${tPeer.toFixed(1)} ms`);

    // 2. memory while scrolling through the whole file.
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${agent.url}/${fileHash(F.ns, F.pod, F.uid, F.c, F.f, 'top=0')}`);
    await page.locator('.viewport .row').first().waitFor();
    const start = await heap(page);
    const jumps = 200;
    for (let i = 1; i <= jumps; i++) {
      const f = i / jumps;
      await page.evaluate((frac) => {
        // A drag of the scrollbar thumb: pointer down, move, up.
        const bar = document.querySelector<HTMLElement>('.vbar')!;
        bar.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
        bar.scrollTop = frac * (bar.scrollHeight - bar.clientHeight);
        window.dispatchEvent(new PointerEvent('pointerup'));
      }, f);
      // Wait for the window at that position to be fetched and drawn (the status names the held bytes).
      await page.waitForFunction((frac) => {
        const r = document.querySelector<HTMLElement>('.viewport .row');
        const st = document.querySelector('.status')?.textContent ?? '';
        const m = /of ([\d,]+) held/.exec(st);
        if (!r || !m) return false;
        const size = Number(m[1]!.replace(/,/g, ''));
        return Math.abs(Number(r.dataset['offset']) / size - frac) < 0.02 || (frac > 0.99 && st.includes('at 100%'));
      }, f, { timeout: 30_000 });
    }
    await lastLineVisible(page);
    const afterJumps = await heap(page);
    // Continuous scrolling from the start: PageDown at increasing distances.
    await page.keyboard.press('g');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('.viewport .row')?.dataset['offset'] === '0');
    await page.locator('.viewport').focus();
    const continuous: { pages: number; mib: number; heapMiB: number; domNodes: number }[] = [];
    let pages = 0;
    for (const target of [500, 1000, 2000, 4000]) {
      while (pages < target) {
        await page.keyboard.press('PageDown');
        pages++;
      }
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))));
      const off = Number(await page.locator('.viewport .row').first().getAttribute('data-offset'));
      const h = await heap(page);
      continuous.push({ pages, mib: Math.round(off / 1048576), heapMiB: h.heapMiB, domNodes: h.domNodes });
      console.error(`after ${pages} PageDowns (${Math.round(off / 1048576)} MiB into the file): heap ${h.heapMiB} MiB, ${h.domNodes} DOM nodes`);
    }
    await page.close();
    console.error(`heap at start ${start.heapMiB} MiB, after ${jumps} jumps through ${GIB} GiB: ${afterJumps.heapMiB} MiB (${afterJumps.domNodes} DOM nodes, ${afterJumps.rows} row elements)`);
    const summary = {
      bench: 'web',
      fileGiB: GIB,
      lastLineVisibleMs: Math.round(tLast),
      lastLineVisibleWallMs: Math.round(median(wall)),
      loadAverage: loadavg()[0],
      peer: { name: 'GNU tail -n 400', ms: Math.round(tPeer * 10) / 10 },
      ratioVsPeer: Math.round((tLast / tPeer) * 10) / 10,
      goalMs: 1000,
      heap: { startMiB: start.heapMiB, afterWholeFileJumpsMiB: afterJumps.heapMiB, continuous },
      domNodes: afterJumps.domNodes,
    };
    console.log(JSON.stringify(summary));
  } finally {
    await browser.close();
    await agent.stop();
    await dirs.cleanup();
  }
}

await main();
