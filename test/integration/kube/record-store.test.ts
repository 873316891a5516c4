import { strict as assert } from 'node:assert';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Clock } from '../../../src/retry/backoff.ts';
import { RecordStore } from '../../../src/kube/record-store.ts';
import type { PodRecord } from '../../../src/kube/records.ts';
import { tempDir } from './helpers.ts';

const DAY = 86_400_000;
const t = { now: Date.parse('2026-02-01T00:00:00Z') };
const clock: Clock = { now: () => t.now, random: () => 0, setTimeout: () => undefined, clearTimeout: () => undefined };

function rec(name: string, uid: string, deletedAt?: string): PodRecord {
  return { version: 1, kind: 'Pod', namespace: 'ns', name, uid, scope: 'node', firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:00.000Z', events: [], ...(deletedAt ? { deletedAt } : {}) };
}

function store(dir: string, maxRecords = 100) {
  return new RecordStore<PodRecord>({ dir, logger: pino({ level: 'silent' }), clock, flushDelayMs: 0, maxRecords, retentionDays: 14 });
}

test('record store: round trip, corrupt and foreign files skipped, tmp leftovers removed, generations newest first', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const s = store(dir);
    await s.load();
    s.put(rec('p', 'u1', '2026-01-30T00:00:00.000Z'));
    s.put(rec('p', 'u2'));
    s.put({ ...rec('bad', 'u3'), name: '../etc' });
    await s.flush();
    await writeFile(join(dir, 'ns_q_u9.json'), '{"version":1,"uid":"u9", trunc');
    await writeFile(join(dir, 'ns_r_u8.json'), JSON.stringify(rec('other', 'u8')));
    await writeFile(join(dir, 'ns_p_u7.json.tmp'), 'partial');
    const s2 = store(dir);
    await s2.load();
    assert.deepEqual(s2.list().map((r) => r.uid).sort(), ['u1', 'u2']);
    assert.deepEqual(s2.generations('ns', 'p').map((r) => r.uid), ['u2', 'u1'], 'the live generation first');
    assert.equal(s2.get('ns', 'p')!.uid, 'u2');
    assert.equal(s2.get('ns', 'p', 'u1')!.uid, 'u1');
    assert.equal(s2.get('ns', 'x', 'u1'), undefined);
    assert.ok(!(await readdir(dir)).includes('ns_p_u7.json.tmp'));
  } finally {
    await cleanup();
  }
});

test('record store: prune removes deleted records past retention, then the oldest deleted beyond maxRecords; never live ones', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const s = store(dir, 3);
    await s.load();
    s.put(rec('old', 'a', new Date(t.now - 20 * DAY).toISOString()));
    s.put(rec('d1', 'b', new Date(t.now - 2 * DAY).toISOString()));
    s.put(rec('d2', 'c', new Date(t.now - 1 * DAY).toISOString()));
    s.put(rec('live1', 'd'));
    s.put(rec('live2', 'e'));
    s.prune();
    await s.flush();
    assert.deepEqual(s.list().map((r) => r.uid).sort(), ['c', 'd', 'e']);
    assert.deepEqual((await readdir(dir)).sort(), ['ns_d2_c.json', 'ns_live1_d.json', 'ns_live2_e.json']);
  } finally {
    await cleanup();
  }
});
