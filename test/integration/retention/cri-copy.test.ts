import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { CriCopier, type CriCopyOptions } from '../../../src/retention/cri-copy.ts';
import { decodeCriText } from '../../../src/logfile/cri.ts';
import { uid } from '../../helpers/root.ts';
import { waitFor } from '../../helpers/wait.ts';

const logger = pino({ level: 'silent' });
const POD = `batch_init-crash_${uid(7)}`;

/** `n` CRI lines `<prefix>-<i>` on stdout, full. */
function cri(prefix: string, n: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `2026-11-20T10:00:${String(i % 60).padStart(2, '0')}.000000001Z stdout F ${prefix}-${i}\n`;
  return s;
}

/** `n` full stdout CRI lines `<prefix>-<i>` whose times grow with `i` (one second apart, as a runtime writes them). */
function seq(prefix: string, n: number, from = 0): string {
  let s = '';
  for (let i = from; i < from + n; i++) {
    const t = new Date(Date.UTC(2026, 10, 20, 10, 0, i)).toISOString().replace('.000Z', `.${String(i + 1).padStart(9, '0')}Z`);
    s += `${t} stdout F ${prefix}-${i}\n`;
  }
  return s;
}

describe('copying kubelet container logs', () => {
  let base: string;
  let src: string;
  let dest: string;
  let copiers: CriCopier[];
  const kdir = (container = 'init') => join(src, POD, container);
  const copy = (container = 'init', n = 0) => {
    const p = join(dest, POD, container, `stdio-${n}.cri.log`);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  };
  const make = (o: Partial<CriCopyOptions> = {}) => {
    const c = new CriCopier({ source: src, dest, logger, pollMs: 3_600_000, maxFileBytes: 1 << 30, stateFile: join(base, 'state', 'cri.json'), ...o });
    copiers.push(c);
    return c;
  };

  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'podlog-cri-'));
    src = join(base, 'pods');
    dest = join(base, 'root');
    mkdirSync(kdir(), { recursive: true });
    mkdirSync(dest);
    copiers = [];
  });
  afterEach(async () => {
    for (const c of copiers) await c.stop();
    rmSync(base, { recursive: true, force: true });
  });

  test('incremental copy across growth and kubelet rotation, without duplicates', async () => {
    const c = make();
    writeFileSync(join(kdir(), '0.log'), cri('a', 3));
    await c.syncOnce();
    assert.equal(copy(), cri('a', 3));
    appendFileSync(join(kdir(), '0.log'), cri('a', 2, 3));
    await c.syncOnce();
    assert.equal(copy(), cri('a', 5));
    // kubelet rotation: 0.log → 0.log.<ts>, the runtime reopens a fresh 0.log; bytes written just before the rename still count.
    appendFileSync(join(kdir(), '0.log'), cri('a', 1, 5));
    renameSync(join(kdir(), '0.log'), join(kdir(), '0.log.20261120-100500'));
    writeFileSync(join(kdir(), '0.log'), cri('b', 2));
    await c.syncOnce();
    assert.equal(copy(), cri('a', 6) + cri('b', 2));
    // Later the kubelet compresses the rotated file: nothing is copied twice.
    writeFileSync(join(kdir(), '0.log.20261120-100500.gz'), gzipSync(readFileSync(join(kdir(), '0.log.20261120-100500'))));
    rmSync(join(kdir(), '0.log.20261120-100500'));
    await c.syncOnce();
    assert.equal(copy(), cri('a', 6) + cri('b', 2));
    // A restart of the container writes 1.log: a second copy.
    writeFileSync(join(kdir(), '1.log'), cri('c', 1));
    await c.syncOnce();
    assert.equal(copy('init', 1), cri('c', 1));
  });

  test('a pod deleted by the kubelet while its log is being copied: every byte already opened is kept', async () => {
    const body = cri('crash', 200);
    writeFileSync(join(kdir(), '0.log'), body);
    let deleted = false;
    const c = make({
      chunkBytes: 512,
      afterChunk: () => {
        if (deleted) return;
        deleted = true;
        rmSync(join(src, POD), { recursive: true, force: true }); // the kubelet's container GC removes the pod folder
      },
    });
    await c.syncOnce();
    assert.ok(deleted && !existsSync(join(src, POD)));
    assert.equal(copy(), body);
    await c.syncOnce(); // the stream is forgotten, its descriptor closed
    assert.equal(c.openCount(), 0);
    assert.equal(copy(), body);
    assert.match(decodeCriText(copy()), /^crash-0\n[\s\S]*crash-199\n$/);
  });

  test('history found at discovery (rotated and gzip-compressed files) is copied in order; offsets survive a restart', async () => {
    writeFileSync(join(kdir(), '0.log.20261120-090000.gz'), gzipSync(cri('h', 2)));
    writeFileSync(join(kdir(), '0.log.20261120-095000'), cri('h', 2, 2));
    writeFileSync(join(kdir(), '0.log'), cri('h', 2, 4));
    const first = make();
    await first.syncOnce();
    assert.equal(copy(), cri('h', 6));
    await first.stop();
    appendFileSync(join(kdir(), '0.log'), cri('h', 1, 6));
    const second = make();
    await second.start(new AbortController().signal);
    assert.equal(copy(), cri('h', 7));
  });

  test('a restart after the copied file was rotated and compressed resumes inside it', async () => {
    writeFileSync(join(kdir(), '0.log'), cri('r', 2));
    const first = make();
    await first.syncOnce();
    await first.stop();
    appendFileSync(join(kdir(), '0.log'), cri('r', 1, 2));
    writeFileSync(join(kdir(), '0.log.20261120-110000.gz'), gzipSync(readFileSync(join(kdir(), '0.log'))));
    rmSync(join(kdir(), '0.log'));
    writeFileSync(join(kdir(), '0.log'), cri('r', 1, 3));
    const second = make();
    await second.syncOnce();
    assert.equal(copy(), cri('r', 4));
  });

  test('a rotation seen only by inode before a restart is not copied twice after it', async () => {
    writeFileSync(join(kdir(), '0.log'), cri('d', 2));
    const first = make();
    await first.syncOnce();
    appendFileSync(join(kdir(), '0.log'), cri('d', 1, 2));
    renameSync(join(kdir(), '0.log'), join(kdir(), 'moving')); // the rotated name is not listed yet
    writeFileSync(join(kdir(), '0.log'), cri('e', 1));
    await first.syncOnce(); // drains the old descriptor, copies the new file
    await first.stop();
    renameSync(join(kdir(), 'moving'), join(kdir(), '0.log.20261120-120000'));
    const second = make();
    await second.syncOnce();
    assert.equal(copy(), cri('d', 3) + cri('e', 1));
  });

  test('copies rotate past maxFileBytes at line ends; links and other namespaces are not followed', async () => {
    const c = make({ maxFileBytes: 100, namespaces: ['batch'] });
    writeFileSync(join(kdir(), '0.log'), cri('x', 3)); // 3 × 47 bytes
    await c.syncOnce();
    appendFileSync(join(kdir(), '0.log'), cri('x', 1, 3));
    await c.syncOnce();
    const names = readdirSync(join(dest, POD, 'init')).sort();
    assert.deepEqual(names, ['stdio-0.cri.log', 'stdio-0.cri.log.1']);
    assert.equal(readFileSync(join(dest, POD, 'init', 'stdio-0.cri.log.1'), 'utf8') + copy(), cri('x', 4));

    mkdirSync(kdir('evil'));
    symlinkSync('/etc/hostname', join(kdir('evil'), '0.log'));
    const other = join(src, `other_p_${uid(8)}`, 'main');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, '0.log'), cri('o', 1));
    await c.syncOnce();
    assert.ok(!existsSync(join(dest, POD, 'evil', 'stdio-0.cri.log')));
    assert.ok(!existsSync(join(dest, `other_p_${uid(8)}`)));
  });

  /** Every copy file of restart 0, oldest first (`stdio-0.cri.log.K` by K, then `stdio-0.cri.log`). */
  const allCopies = () => {
    const dir = join(dest, POD, 'init');
    const ks = readdirSync(dir).filter((f) => /^stdio-0\.cri\.log\.\d+$/.test(f)).map((f) => Number(f.split('.').pop())).sort((a, b) => a - b);
    return ks.map((k) => readFileSync(join(dir, `stdio-0.cri.log.${k}`), 'utf8')).join('') + copy();
  };

  for (const loss of ['deleted', 'corrupt'] as const) {
    test(`offsets ${loss}: the copier resumes after the copy's last record (history, rotation, no line twice, none lost)`, async () => {
      const state = join(base, 'state', 'cri.json');
      writeFileSync(join(kdir(), '0.log.20261120-090000.gz'), gzipSync(seq('h', 2)));
      writeFileSync(join(kdir(), '0.log.20261120-095000'), seq('h', 2, 2));
      writeFileSync(join(kdir(), '0.log'), seq('h', 2, 4));
      const first = make();
      await first.syncOnce();
      await first.stop();
      assert.equal(copy(), seq('h', 6));
      if (loss === 'deleted') rmSync(state);
      else writeFileSync(state, '{"version":1,"streams":{"batch_init');
      // meanwhile the container wrote on and the kubelet rotated 0.log
      appendFileSync(join(kdir(), '0.log'), seq('h', 1, 6));
      renameSync(join(kdir(), '0.log'), join(kdir(), '0.log.20261120-100000'));
      writeFileSync(join(kdir(), '0.log'), seq('h', 1, 7));
      const second = make();
      await second.syncOnce();
      assert.equal(copy(), seq('h', 8));
      appendFileSync(join(kdir(), '0.log'), seq('h', 1, 8));
      await second.syncOnce();
      assert.equal(copy(), seq('h', 9), 'then it copies on as usual');
      await second.stop();
      const third = make();
      await third.syncOnce();
      assert.equal(copy(), seq('h', 9), 'and saved its offsets again');
    });
  }

  test('offsets lost after a copy that stopped inside a line: the line is completed, not repeated', async () => {
    writeFileSync(join(kdir(), '0.log'), seq('m', 20));
    let chunks = 0;
    const first = make({ chunkBytes: 100, afterChunk: () => {
      if (++chunks === 3) throw new Error('the agent stopped here');
    } });
    await first.syncOnce();
    await first.stop();
    assert.ok(copy().length === 300 && !copy().endsWith('\n'), 'the copy ends inside a line');
    rmSync(join(base, 'state', 'cri.json'));
    await make().syncOnce();
    assert.equal(copy(), seq('m', 20));
  });

  test('offsets lost with the copy rotated past maxFileBytes: resumes from the newest copy file', async () => {
    writeFileSync(join(kdir(), '0.log'), seq('k', 3));
    const first = make({ maxFileBytes: 100 });
    await first.syncOnce();
    appendFileSync(join(kdir(), '0.log'), seq('k', 2, 3));
    await first.syncOnce();
    await first.stop();
    assert.equal(allCopies(), seq('k', 5));
    rmSync(join(base, 'state', 'cri.json'));
    appendFileSync(join(kdir(), '0.log'), seq('k', 1, 5));
    await make({ maxFileBytes: 100 }).syncOnce();
    assert.equal(allCopies(), seq('k', 6));
  });

  test('offsets that cannot be saved at start: copying goes on, saving is retried with backoff and recovers', async () => {
    const stateDir = join(base, 'state');
    writeFileSync(stateDir, 'not a folder'); // the offsets' folder is unusable (as on a read-only or full disk)
    writeFileSync(join(kdir(), '0.log'), seq('w', 2));
    const health: (string | undefined)[] = [];
    const ctl = new AbortController();
    const c = make({ pollMs: 10, backoff: { initialMs: 10, maxMs: 40 }, onHealth: (e) => health.push(e?.message) });
    await c.start(ctl.signal);
    try {
      assert.equal(copy(), seq('w', 2), 'the first pass copied although it could not save');
      assert.ok(c.failures >= 1);
      assert.match(health[0] ?? '', /cannot save the copy offsets to .*cri\.json \(E[A-Z]+\).*writable file/);
      appendFileSync(join(kdir(), '0.log'), seq('w', 1, 2));
      await waitFor(() => copy() === seq('w', 3) && health.length >= 2, { what: 'copies go on while saving fails' });
      rmSync(stateDir);
      await waitFor(() => health.at(-1) === undefined && c.failures === 0, { what: 'recovered once the path is usable' });
      assert.ok(existsSync(join(stateDir, 'cri.json')));
    } finally {
      ctl.abort();
      await c.stop();
    }
    const again = make();
    await again.syncOnce();
    assert.equal(copy(), seq('w', 3), 'the saved offsets are used after a restart');
  });

  test('a kubelet folder reached through a link (e.g. a symlinked /var/log) is resolved once', async () => {
    symlinkSync(src, join(base, 'pods-link'));
    writeFileSync(join(kdir(), '0.log'), cri('l', 2));
    await make({ source: join(base, 'pods-link') }).syncOnce();
    assert.equal(copy(), cri('l', 2));
  });

  test('a planted symlink in place of the copy is refused, not followed', async () => {
    const target = join(base, 'victim');
    writeFileSync(target, 'untouched');
    mkdirSync(join(dest, POD, 'init'), { recursive: true });
    symlinkSync(target, join(dest, POD, 'init', 'stdio-0.cri.log'));
    writeFileSync(join(kdir(), '0.log'), cri('s', 1));
    await make().syncOnce();
    assert.equal(readFileSync(target, 'utf8'), 'untouched');
  });
  test('a copy folder a pod swapped for a link is refused: nothing is written or renamed outside the root', async () => {
    const outside = join(base, 'host');
    mkdirSync(outside);
    writeFileSync(join(outside, 'stdio-0.cri.log'), 'host file\n');
    mkdirSync(join(dest, POD), { recursive: true });
    symlinkSync(outside, join(dest, POD, 'init'));
    writeFileSync(join(kdir(), '0.log'), cri('s', 3));
    await make({ maxFileBytes: 1 }).syncOnce();
    assert.deepEqual(readdirSync(outside), ['stdio-0.cri.log']);
    assert.equal(readFileSync(join(outside, 'stdio-0.cri.log'), 'utf8'), 'host file\n');
  });
});
