import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Lay out `pods` TaskManager pod folders under `root`, each with `files` tiny files
 * (`taskmanager.log`, `taskmanager.log.1`…), in podlog's layout: the input of the catalog and
 * retention benchmarks.
 */
export function makePodTree(root: string, pods: number, files: number): void {
  for (let p = 0; p < pods; p++) {
    const uid = `0b0f3f0e-6f2c-4e3a-9c1d-${String(p).padStart(12, '0')}`;
    const dir = join(root, `flink-jobs_job${p % 50}-taskmanager-1-${p}_${uid}`, 'flink-main-container');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f++) writeFileSync(join(dir, f === 0 ? 'taskmanager.log' : `taskmanager.log.${f}`), 'x\n');
  }
}
