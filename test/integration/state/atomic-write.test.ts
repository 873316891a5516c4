import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../../../src/state/atomic-write.ts';

test('writeAtomic replaces the file whole, with the mode asked, and leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-atomic-'));
  try {
    const file = join(dir, 'state.json');
    writeFileSync(file, '{"old":true}');
    await writeAtomic(file, '{"new":true}');
    assert.equal(readFileSync(file, 'utf8'), '{"new":true}');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    await writeAtomic(file, 'x', { mode: 0o640, syncDir: false });
    assert.equal(statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir), ['state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeAtomic over a folder fails and changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-atomic-'));
  try {
    const file = join(dir, 'state.json');
    mkdirSync(file);
    await assert.rejects(writeAtomic(file, '{}'), (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
    assert.ok(statSync(file).isDirectory());
    assert.deepEqual(readdirSync(dir), ['state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
