/**
 * Child of bench/watchers.ts: watch one root with either the catalog (`catalog`) or chokidar in its
 * leanest configuration (`chokidar`), and answer the parent over stdin/stdout (one JSON line each way):
 *   → {"ready":…,"scanMs":…,"rssMB":…,"files":…}   once the initial scan is done
 *   ← the path of a churn file ({changed, added, removed} as written by the parent)
 *   → {"missed":…,"rssMB":…,"settleMs":…}           once every change was seen, or 3 s passed without news
 */
import { readFileSync } from 'node:fs';
import split2 from 'split2';

const [mode, root] = process.argv.slice(2) as ['catalog' | 'chokidar', string];

/** What the parent did: files appended to (new size), created, and deleted. */
interface Churn {
  changed: { path: string; size: number }[];
  added: { path: string; size: number }[];
  removed: string[];
}

/** How many of the churn's changes the watcher has not reflected yet. */
let missedOf: (churn: Churn) => number;
let lastNews = performance.now();
const t0 = performance.now();
let files: () => number;

// each child loads only its own watcher's modules, so its RSS is that watcher's
if (mode === 'catalog') {
  const { pino } = await import('pino');
  const { Catalog } = await import('../src/store/catalog.ts');
  const catalog = new Catalog({ roots: [root], logger: pino({ level: 'silent' }), rescanMs: 3_600_000 }); // the watcher alone, no rescan
  await catalog.start(new AbortController().signal);
  catalog.onChange(() => (lastNews = performance.now()));
  const sizes = () => {
    const m = new Map<string, number>();
    for (const p of catalog.pods()) for (const c of p.containers.values()) for (const f of c.files.values()) m.set(f.path, f.size);
    return m;
  };
  files = () => catalog.stats().files;
  missedOf = (churn) => {
    const s = sizes();
    return churn.changed.filter((f) => s.get(f.path) !== f.size).length + churn.added.filter((f) => s.get(f.path) !== f.size).length + churn.removed.filter((p) => s.has(p)).length;
  };
} else {
  // leanest: one native fs.watch per directory, no deeper than <pod>/<container>/, no stats asked for, no atomic-save window
  const seen = { add: new Set<string>(), change: new Set<string>(), unlink: new Set<string>() };
  let ready = false;
  let initial = 0;
  const { watch } = await import('chokidar');
  const w = watch(root, { backend: 'native', depth: 2, alwaysStat: false, atomic: false, followSymlinks: false, ignorePermissionErrors: true, persistent: true });
  w.on('all', (event, path) => {
    lastNews = performance.now();
    if (!ready) {
      if (event === 'add') initial++;
      return;
    }
    if (event === 'add' || event === 'change' || event === 'unlink') seen[event].add(path);
  });
  await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  ready = true;
  files = () => initial;
  missedOf = (churn) =>
    churn.changed.filter((f) => !seen.change.has(f.path)).length + churn.added.filter((f) => !seen.add.has(f.path)).length + churn.removed.filter((p) => !seen.unlink.has(p)).length;
}

const rssMB = () => process.memoryUsage().rss / 1024 / 1024;
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
globalThis.gc?.();
say({ ready: true, scanMs: performance.now() - t0, rssMB: rssMB(), files: files() });

for await (const line of process.stdin.pipe(split2()) as AsyncIterable<string>) {
  const churn = JSON.parse(readFileSync(line.trim(), 'utf8')) as Churn;
  const start = performance.now();
  lastNews = start;
  let missed = missedOf(churn);
  while (missed > 0 && performance.now() - lastNews < 3000) {
    await new Promise((r) => setTimeout(r, 50));
    missed = missedOf(churn);
  }
  say({ missed, rssMB: rssMB(), settleMs: performance.now() - start });
  process.exit(0);
}
