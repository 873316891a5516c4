/**
 * Benchmark: startup scan of a root with 1,000 pods × 10 files (goal ≤ 3 s, RSS ≤ 150 MB).
 * The catalog is built in a child process so its RSS is its own; the peer is `find -type f | wc -l`
 * over the same tree (a plain directory walk), measured in the same run.
 * Run: node bench/catalog.ts [--pods 1000] [--files 10]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import type { BenchRow } from './row.ts';
import { makePodTree } from './tree.ts';

/** Build the tree, time the catalog's initial scan in a child process, compare with `find`. */
export async function benchCatalog(pods = 1000, files = 10): Promise<BenchRow[]> {
  const root = mkdtempSync(join(tmpdir(), 'podlog-bench-catalog-'));
  try {
    makePodTree(root, pods, files);
    const child = spawnSync(process.execPath, [new URL('./catalog-child.ts', import.meta.url).pathname, root], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`catalog child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop()!) as { ms: number; rssMB: number; files: number };
    const t0 = performance.now();
    const n = Number(execFileSync('sh', ['-c', `find "${root}" -type f | wc -l`], { encoding: 'utf8' }).trim());
    const findMs = performance.now() - t0;
    if (n !== r.files) throw new Error(`catalog saw ${r.files} files, find saw ${n}`);
    return [
      { name: `catalog scan, ${pods} pods × ${files} files`, value: `${r.ms.toFixed(0)} ms`, peer: `find: ${findMs.toFixed(0)} ms`, ratio: `${(r.ms / findMs).toFixed(1)}× find's time`, goal: '≤ 3000 ms' },
      { name: 'catalog RSS after scan', value: `${r.rssMB.toFixed(0)} MB`, goal: '≤ 150 MB' },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { pods: { type: 'string', default: '1000' }, files: { type: 'string', default: '10' } } });
  console.table(await benchCatalog(Number(values.pods), Number(values.files)));
}
