import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RetentionPolicy } from '../../../src/retention/config.ts';
import { planRetention, type PlanFile, type PlanInput, type PlanPod } from '../../../src/retention/plan.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-22T00:00:00Z');
const GiB = 2 ** 30;

/** A file: `name` under the pod's folder; rotated when the name ends in a digit or .gz. */
function file(podPath: string, name: string, size: number, ageDays: number): PlanFile {
  const live = !/(\.\d+|\.gz)$/.test(name);
  return { path: `${podPath}/c/${name}`, size, mtimeMs: NOW - ageDays * DAY, live, kind: live ? 'live' : /\.gz$/.test(name) ? 'compressed' : 'rotated' };
}

/** A pod `name` whose files were last written `ageDays` ago. */
function pod(name: string, state: PlanPod['state'], ageDays: number, files: [string, number, number?][], extra: Partial<PlanPod> = {}): PlanPod {
  const path = `/root/ns_${name}_u`;
  const fs = files.map(([n, size, age]) => file(path, n, size, age ?? ageDays));
  return { key: `ns/${name}/u`, path, state, lastActivityMs: Math.max(...fs.map((f) => f.mtimeMs)), files: fs, ...extra };
}

const policy = (p: Partial<RetentionPolicy> = {}): RetentionPolicy => ({ maxAgeMs: 7 * DAY, minFree: { bytes: 0 }, ...p });
const usage = (rootBytes: number, fsFree = 100 * GiB, fsTotal = 200 * GiB) => ({ rootBytes, fsTotal, fsFree });
const sum = (pods: PlanPod[]) => pods.reduce((s, p) => s + p.files.reduce((t, f) => t + f.size, 0), 0);
const plan = (i: Partial<PlanInput> & { pods: PlanPod[] }) =>
  planRetention({ usage: usage(sum(i.pods)), policy: policy(), now: NOW, unshipped: () => 0, ...i });
const paths = (r: ReturnType<typeof planRetention>) => r.actions.map((a) => `${a.reason} ${a.kind} ${a.path.replace('/root/', '')}`);

test('age: an exited pod older than maxAge goes, a young one and a running one stay', () => {
  const r = plan({
    pods: [
      pod('old', 'exited', 8, [['app.log', 100]]),
      pod('young', 'exited', 6, [['app.log', 100]]),
      pod('quiet', 'running', 30, [['app.log', 100]]),
      pod('ended', 'exited', 1, [['app.log', 100]], { endedAtMs: NOW - 8 * DAY }), // the record's end time wins over file times
      pod('just-ended', 'exited', 9, [['app.log', 100]], { endedAtMs: NOW - 1 * DAY }),
    ],
  });
  assert.deepEqual(paths(r), ['age pod ns_ended_u', 'age pod ns_old_u']);
  assert.match(r.actions[1]!.why, /exited 8d ago \(max age 7d\)/);
  assert.equal(r.keptPods, 3);
  assert.equal(r.oldestKeptMs, NOW - 30 * DAY);
  assert.match(r.actions[0]!.why, /exited 8d ago/);
  assert.equal(r.overBefore, false);
});

test('budget: whole exited pods oldest first, then rotated files of running pods oldest first; live files stay', () => {
  const pods = [
    pod('run', 'running', 0, [['app.log', 500], ['app.log.1', 300, 2], ['app.log.2', 300, 3], ['gc.log.0.gz', 50, 4]]),
    pod('ex-new', 'exited', 1, [['app.log', 400]]),
    pod('ex-old', 'exited', 3, [['app.log', 400]]),
  ];
  // 1950 bytes; budget 1000: ex-old (400) → 1550, ex-new (400) → 1150, gc.log.0.gz (oldest rotated, 50) → 1100, app.log.2 → 800.
  const r = plan({ pods, policy: policy({ maxBytes: { bytes: 1000 } }) });
  assert.deepEqual(paths(r), ['budget pod ns_ex-old_u', 'budget pod ns_ex-new_u', 'budget file ns_run_u/c/gc.log.0.gz', 'budget file ns_run_u/c/app.log.2']);
  assert.equal(r.usageAfter.rootBytes, 800);
  assert.equal(r.stillOver, false);
  assert.match(r.actions[0]!.why, /root over its budget of 1000B/);
});

test('budget: the live file of a running pod is never taken, even when still over', () => {
  const r = plan({ pods: [pod('run', 'running', 0, [['app.log', 5000], ['app.log.1', 10, 1]])], policy: policy({ maxBytes: { bytes: 100 } }) });
  assert.deepEqual(paths(r), ['budget file ns_run_u/c/app.log.1']);
  assert.equal(r.stillOver, true);
  assert.equal(r.usageAfter.rootBytes, 5000);
});

test('budget as a share of the file system', () => {
  // 20% of 10,000 = 2,000; root has 2,500.
  const pods = [pod('a', 'exited', 2, [['x.log', 1000]]), pod('b', 'exited', 1, [['x.log', 1500]])];
  const r = planRetention({ pods, usage: usage(2500, 5000, 10_000), policy: policy({ maxBytes: { percent: 20 } }), now: NOW, unshipped: () => 0 });
  assert.equal(r.budgetBytes, 2000);
  assert.deepEqual(paths(r), ['budget pod ns_a_u']);
});

test('unshipped priority data survives the budget and age, until the free-space floor is breached', () => {
  const unshipped = (p: string) => (p.endsWith('ns_prio_u/c/app.log') ? 700 : p.endsWith('app.log.1') && p.includes('run') ? 200 : 0);
  const pods = [
    pod('prio', 'exited', 9, [['app.log', 1000], ['gc.log', 100]]),
    pod('run', 'running', 0, [['app.log', 100], ['app.log.1', 300, 1]]),
    pod('plain', 'exited', 2, [['app.log', 500]]),
  ];
  // Over budget, floor fine: prio keeps app.log (age takes gc.log only), plain goes, run's rotated file is unshipped → held.
  const over = planRetention({ pods, usage: usage(2000), policy: policy({ maxBytes: { bytes: 100 } }), now: NOW, unshipped });
  assert.deepEqual(paths(over), ['age file ns_prio_u/c/gc.log', 'budget pod ns_plain_u']);
  assert.ok(over.actions.every((a) => a.unshippedBytes === 0));
  assert.equal(over.stillOver, true);
  assert.equal(over.heldUnshippedBytes, 900);
  // Floor breached (free 100 < floor 2000): the unshipped data goes last, with reason floor, counted.
  const floor = planRetention({ pods, usage: usage(2000, 100), policy: policy({ minFree: { bytes: 2000 } }), now: NOW, unshipped });
  assert.deepEqual(paths(floor), ['age file ns_prio_u/c/gc.log', 'floor pod ns_plain_u', 'floor pod ns_prio_u', 'floor file ns_run_u/c/app.log.1']);
  assert.deepEqual(floor.actions.map((a) => a.unshippedBytes), [0, 0, 700, 200]);
  assert.match(floor.actions[2]!.why, /not yet shipped/);
  assert.equal(floor.usageAfter.fsFree, 100 + 100 + 500 + 1000 + 300);
  // Known non-priority pods do not protect their unshipped bytes.
  const np = planRetention({ pods: [{ ...pods[0]!, priority: false }], usage: usage(1100), policy: policy(), now: NOW, unshipped });
  assert.deepEqual(paths(np), ['age pod ns_prio_u']);
});

test('floor: frees until above the floor and no further', () => {
  const pods = [pod('a', 'exited', 3, [['x.log', 1000]]), pod('b', 'exited', 2, [['x.log', 1000]]), pod('c', 'exited', 1, [['x.log', 1000]])];
  const r = planRetention({ pods, usage: usage(3000, 500, 10_000), policy: policy({ minFree: { percent: 15 } }), now: NOW, unshipped: () => 0 });
  assert.equal(r.floorBytes, 1500);
  assert.deepEqual(paths(r), ['floor pod ns_a_u']);
  assert.equal(r.usageAfter.fsFree, 1500);
  assert.equal(r.stillOver, false);
});

test('nothing to do under budget and above the floor; empty root', () => {
  assert.deepEqual(plan({ pods: [pod('a', 'exited', 1, [['x.log', 10]])], policy: policy({ maxBytes: { bytes: 100 } }) }).actions, []);
  const e = plan({ pods: [] });
  assert.deepEqual(e.actions, []);
  assert.equal(e.oldestKeptMs, undefined);
});

test('idle pods (no record, no recent write): by age like exited ones; under pressure after rotated files of running pods', () => {
  const pods = [
    pod('idle-old', 'idle', 8, [['app.log', 10]]),
    pod('idle', 'idle', 2, [['app.log', 400], ['app.log.1', 100, 3]]),
    pod('run', 'running', 0, [['app.log', 100], ['app.log.1', 100, 1]]),
    pod('ex', 'exited', 1, [['app.log', 100]]),
  ];
  const r = plan({ pods, policy: policy({ maxBytes: { bytes: 150 } }) });
  assert.deepEqual(paths(r), ['age pod ns_idle-old_u', 'budget pod ns_ex_u', 'budget file ns_idle_u/c/app.log.1', 'budget file ns_run_u/c/app.log.1', 'budget pod ns_idle_u']);
  assert.match(r.actions[0]!.why, /no pod record and no file written for 8d/);
  assert.match(r.actions[2]!.why, /rotated file of an idle pod/);
  assert.match(r.actions[4]!.why, /idle pod without a record \(no file written for 2d\)/);
  assert.equal(r.usageAfter.rootBytes, 100);
  const young = plan({ pods: [pods[1]!] });
  assert.deepEqual(young.actions, []);
});

test('ties break by key, so plans are deterministic', () => {
  const pods = [pod('b', 'exited', 9, [['x.log', 1]]), pod('a', 'exited', 9, [['x.log', 1]])];
  assert.deepEqual(paths(plan({ pods })), ['age pod ns_a_u', 'age pod ns_b_u']);
});
