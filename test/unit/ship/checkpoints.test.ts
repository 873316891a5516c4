import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { CheckpointStore, type Checkpoint } from '../../../src/ship/checkpoints.ts';

const logger = pino({ level: 'silent' });
const cp = (id: string, offset: number): Checkpoint => ({
  id, dev: 1, ino: 2, fpLen: 10, fp: 'f', offset, gen: 0, path: '/p', podUid: 'u', container: 'c', updatedMs: 0,
});

describe('CheckpointStore', () => {
  it('persists atomically and reloads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podlog-cp-'));
    try {
      const s = new CheckpointStore(dir, logger);
      await s.load();
      s.put(cp('a', 10));
      await Promise.all([s.save(), s.save(), s.save()]);
      s.get('a')!.offset = 20;
      s.touch();
      await s.save();
      const t = new CheckpointStore(dir, logger);
      await t.load();
      assert.equal(t.get('a')?.offset, 20);
      assert.deepEqual(readdirSync(dir).sort(), ['registry.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('moves a corrupt registry aside and starts over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podlog-cp-'));
    try {
      writeFileSync(join(dir, 'registry.json'), '{"version":1,"entries":[{"id":');
      const s = new CheckpointStore(dir, logger);
      await s.load();
      assert.equal(s.entries().length, 0);
      assert.ok(readdirSync(dir).some((f) => f.startsWith('registry.json.corrupt-')));
      writeFileSync(join(dir, 'registry.json'), '{"version":99,"entries":[]}');
      await new CheckpointStore(dir, logger).load();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
