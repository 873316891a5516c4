import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lstatSafe, lstatSafeSync, openAppendSafe, openDirAtSync, openDirSafe, openDirSafeSync, openSafe, readdirSafe, removeTreeSafe, unlinkSafe } from '../../../src/store/safe-open.ts';
import { makeRoot, uid } from '../../helpers/root.ts';
import { startSwapper } from '../../helpers/swapper.ts';

const SECRET = 'root:$6$SECRET-MARKER-door:19000:0:99999:7:::\n';

describe('the door: no link is followed anywhere on a path, checked on the descriptor', () => {
  const root = makeRoot();
  const outside = mkdtempSync(join(tmpdir(), 'podlog-host-'));
  const pod = join(root.dir, `evil_door-0_${uid(1)}`);
  const app = root.container('evil', 'door-0', uid(1), 'app');

  before(() => {
    writeFileSync(join(app, 'app.log'), 'fine\n');
    writeFileSync(join(app, 'app.log.1'), 'old\n');
    writeFileSync(join(outside, 'app.log'), SECRET);
    writeFileSync(join(outside, 'app.log.1'), SECRET);
    writeFileSync(join(outside, 'only-outside.log'), SECRET);
    symlinkSync(outside, join(pod, 'linked'));
    symlinkSync(join(app, 'app.log'), join(app, 'link.log'));
    execFileSync('mkfifo', [join(app, 'fifo.log')]);
  });
  after(() => {
    root.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  test('a regular file opens; links (file or folder), FIFOs, folders and missing names are refused with their codes', async () => {
    const f = await openSafe(root.dir, join(app, 'app.log'));
    assert.equal((await f.handle.readFile('utf8')), 'fine\n');
    assert.ok(f.stat.isFile());
    await f.handle.close();
    await assert.rejects(openSafe(root.dir, join(pod, 'linked', 'app.log')), { code: 'PODLOG_E_NOT_REGULAR' });
    await assert.rejects(openSafe(root.dir, join(app, 'link.log')), { code: 'PODLOG_E_NOT_REGULAR' });
    await assert.rejects(openSafe(root.dir, join(app, 'fifo.log')), { code: 'PODLOG_E_NOT_REGULAR' });
    await assert.rejects(openSafe(root.dir, app), { code: 'PODLOG_E_NOT_REGULAR' });
    await assert.rejects(openSafe(root.dir, join(app, 'nope.log')), { code: 'PODLOG_E_NOT_FOUND' });
    await assert.rejects(openSafe(root.dir, join(outside, 'app.log')), { code: 'PODLOG_E_BAD_PATH' });
  });

  test('error messages name namespace/pod/container/file, never a host path', async () => {
    for (const p of [join(pod, 'linked', 'app.log'), join(app, 'fifo.log'), join(app, 'nope.log')]) {
      const e = await openSafe(root.dir, p).then(() => undefined, (err: Error) => err);
      assert.ok(e);
      assert.ok(!e.message.includes(root.dir) && !e.message.includes(outside), e.message);
      assert.match(e.message, /evil\/door-0\//);
    }
  });

  test('lstat, readdir and unlink through a linked folder see and touch nothing outside', async () => {
    assert.equal(await lstatSafe(root.dir, join(pod, 'linked', 'app.log')), undefined);
    assert.equal((await lstatSafe(root.dir, join(app, 'link.log')))?.isSymbolicLink(), true);
    // the synchronous doors the catalog's scan and inotify checks use
    assert.equal(lstatSafeSync(root.dir, join(pod, 'linked', 'app.log')), undefined);
    assert.equal(lstatSafeSync(root.dir, join(app, 'link.log'))?.isSymbolicLink(), true);
    assert.equal(lstatSafeSync(root.dir, join(app, 'app.log'))?.isFile(), true);
    assert.throws(() => openDirSafeSync(root.dir, join(pod, 'linked')), { code: 'PODLOG_E_NOT_REGULAR' });
    const podDir = openDirSafeSync(root.dir, pod);
    try {
      assert.throws(() => openDirAtSync(podDir, 'linked'), { code: 'PODLOG_E_NOT_REGULAR' });
      assert.throws(() => openDirAtSync(podDir, '..'), { code: 'PODLOG_E_BAD_PATH' });
    } finally {
      podDir.close();
    }
    assert.deepEqual(await readdirSafe(root.dir, join(pod, 'linked')), []);
    assert.deepEqual((await readdirSafe(root.dir, app)).map((d) => d.name).sort(), ['app.log', 'app.log.1', 'fifo.log', 'link.log']);
    await assert.rejects(openDirSafe(root.dir, join(pod, 'linked')), { code: 'PODLOG_E_NOT_REGULAR' });
    assert.equal(await unlinkSafe(root.dir, join(pod, 'linked', 'app.log.1')), 'a folder above it is not a real directory');
    assert.ok(existsSync(join(outside, 'app.log.1')));
    assert.equal(await unlinkSafe(root.dir, join(app, 'link.log')), 'not a regular file');
  });

  test('a real swapper exchanging the container folder with a link never gets an outside byte read, listed, created or unlinked', async (t) => {
    const race = mkdtempSync(join(tmpdir(), 'podlog-race-'));
    const rpod = join(race, `evil_race-0_${uid(2)}`);
    const c = join(rpod, 'app');
    mkdirSync(c, { recursive: true });
    writeFileSync(join(c, 'app.log'), 'fine\n');
    symlinkSync(outside, join(rpod, 'swap'));
    const swapper = await startSwapper(c, join(rpod, 'swap'));
    if ('reason' in swapper) {
      t.skip(`SKIPPED: no swapper (${swapper.reason})`);
      console.warn(`door race test skipped: ${swapper.reason}`);
      rmSync(race, { recursive: true, force: true });
      return;
    }
    let read = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 3000 && (read < 50 || refused < 50); i++) {
        for (const name of ['app', 'swap']) {
          try {
            const f = await openSafe(race, join(rpod, name, 'app.log'));
            const text = await f.handle.readFile('utf8').finally(() => f.handle.close());
            assert.equal(text, 'fine\n');
            read++;
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            assert.match((e as { code?: string }).code ?? '', /^PODLOG_E_NOT_(REGULAR|FOUND)$/);
            refused++;
          }
          for (const d of await readdirSafe(race, join(rpod, name))) assert.notEqual(d.name, 'only-outside.log');
          assert.equal(await lstatSafe(race, join(rpod, name, 'only-outside.log')), undefined);
          assert.equal(lstatSafeSync(race, join(rpod, name, 'only-outside.log')), undefined);
          assert.notEqual(await unlinkSafe(race, join(rpod, name, 'app.log.1')), undefined);
          await openAppendSafe(race, join(rpod, name, 'copy.log'), 0o640).then((fh) => fh.close(), () => undefined);
        }
      }
    } finally {
      await swapper.stop();
      rmSync(race, { recursive: true, force: true });
    }
    assert.ok(read > 0 && refused > 0, `the race was not hit (read ${read}, refused ${refused})`);
    assert.ok(existsSync(join(outside, 'app.log.1')), 'an outside file was unlinked');
    assert.ok(!existsSync(join(outside, 'copy.log')), 'a file was created outside');
  });
  test('removing a pod folder removes links inside it, never what they point to', async () => {
    const rm = join(root.dir, `evil_rm-0_${uid(3)}`);
    mkdirSync(join(rm, 'app', 'deeper'), { recursive: true });
    writeFileSync(join(rm, 'app', 'app.log'), 'x\n');
    writeFileSync(join(rm, 'app', 'deeper', 'y.log'), 'y\n');
    symlinkSync(outside, join(rm, 'linked-folder'));
    symlinkSync(join(outside, 'app.log'), join(rm, 'app', 'linked-file'));
    await removeTreeSafe(root.dir, rm);
    assert.ok(!existsSync(rm));
    assert.equal(readFileSync(join(outside, 'app.log'), 'utf8'), SECRET);
    await removeTreeSafe(root.dir, rm); // gone already: no error
    await assert.rejects(removeTreeSafe(root.dir, root.dir), { code: 'PODLOG_E_BAD_PATH' });
  });

  test('removing a pod folder while a real swapper exchanges its container folder with a link removes nothing outside', async (t) => {
    const race = mkdtempSync(join(tmpdir(), 'podlog-race-'));
    const before = readdirSync(outside).sort();
    let raced = 0;
    try {
      for (let i = 0; i < 20; i++) {
        const rp = join(race, `evil_rm-${i}_${uid(4)}`);
        mkdirSync(join(rp, 'app', 'deeper'), { recursive: true });
        for (const name of before) writeFileSync(join(rp, 'app', name), 'mine\n');
        writeFileSync(join(rp, 'app', 'deeper', 'z.log'), 'mine\n');
        symlinkSync(outside, join(rp, 'swap'));
        const swapper = await startSwapper(join(rp, 'app'), join(rp, 'swap'));
        if ('reason' in swapper) {
          t.skip(`SKIPPED: no swapper (${swapper.reason})`);
          console.warn(`door race test skipped: ${swapper.reason}`);
          return;
        }
        try {
          // a swap between reading a folder and removing it can fail one pass (ENOTDIR, ENOTEMPTY); retention retries
          for (let tries = 0; tries < 50 && existsSync(rp); tries++) await removeTreeSafe(race, rp).catch(() => raced++);
        } finally {
          await swapper.stop();
        }
        await removeTreeSafe(race, rp);
        assert.ok(!existsSync(rp));
        assert.deepEqual(readdirSync(outside).sort(), before, 'an outside file was removed');
      }
    } finally {
      rmSync(race, { recursive: true, force: true });
    }
    for (const name of before) assert.equal(readFileSync(join(outside, name), 'utf8'), SECRET);
    t.diagnostic(`passes that met a swap mid-way: ${raced}`);
  });
});
