import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStateUnusable, usableStateDir, usableStateFile } from '../../../src/config/state-dir.ts';

test('state paths: folders created owner-only, links to folders accepted, the wrong kind refused with the path and the fix', async () => {
  const base = mkdtempSync(join(tmpdir(), 'podlog-state-check-'));
  try {
    await usableStateDir(join(base, 'a', 'b'), 'state', 0o700);
    assert.equal(statSync(join(base, 'a', 'b')).mode & 0o777, 0o700);
    mkdirSync(join(base, 'elsewhere'));
    symlinkSync(join(base, 'elsewhere'), join(base, 'linked'));
    await usableStateDir(join(base, 'linked'), 'state');
    writeFileSync(join(base, 'file'), 'x');
    await assert.rejects(usableStateDir(join(base, 'file'), 'pod records'), (e) => isStateUnusable(e) && /^the pod records folder .*file is not a folder: remove or rename it/.test(e.message) && e.path === join(base, 'file'));
    await assert.rejects(usableStateDir(join(base, 'file', 'under'), 'pod records'), (e) => isStateUnusable(e) && /lies under a file/.test(e.message));
    await usableStateFile(join(base, 'ship', 'registry.json'), 'shipping checkpoints');
    mkdirSync(join(base, 'ship', 'registry.json'));
    await assert.rejects(usableStateFile(join(base, 'ship', 'registry.json'), 'shipping checkpoints'), (e) => isStateUnusable(e) && /file .*registry\.json is a folder/.test(e.message) && e.code === 'PODLOG_E_CONFIG');
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
