import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { shipConfigFromEnv, shipConfigSchema } from '../../../src/ship/config.ts';
import { decidePod, fileFilter } from '../../../src/ship/policy.ts';
import type { PodEntry } from '../../../src/store/types.ts';

const pod = (namespace: string): PodEntry => ({ namespace, name: 'p', uid: 'u', root: '/r', path: '/r/x', containers: new Map(), lastActivityMs: 0 });
const info = (priority?: 'P0' | 'P1' | 'P2' | 'P3', annotations: Record<string, string> = {}) => ({ ...(priority ? { priority } : {}), labels: {}, annotations });

describe('ship policy', () => {
  const cfg = shipConfigSchema.parse({ namespaces: ['always'], namespaceRules: { strict: { minPriority: 'P0' }, off: { never: true }, all: { all: true } } });
  const cases: [string, PodEntry, ReturnType<typeof info> | undefined, boolean, string][] = [
    ['P0 ships (default threshold P1)', pod('a'), info('P0'), true, 'priority'],
    ['P1 ships', pod('a'), info('P1'), true, 'priority'],
    ['P2 stays local', pod('a'), info('P2'), false, 'below-priority'],
    ['no priority stays local', pod('a'), info(), false, 'below-priority'],
    ['opt-in annotation', pod('a'), info('P3', { 'podlog.io/ship': 'true' }), true, 'annotation-opt-in'],
    ['opt-out annotation beats priority', pod('a'), info('P0', { 'podlog.io/ship': 'false' }), false, 'annotation-opt-out'],
    ['opt-out beats --ship-namespace', pod('always'), info('P0', { 'podlog.io/ship': 'False ' }), false, 'annotation-opt-out'],
    ['--ship-namespace without a pod record', pod('always'), undefined, true, 'namespace-all'],
    ['no pod record elsewhere', pod('a'), undefined, false, 'no-pod-record'],
    ['namespace rule raises the bar', pod('strict'), info('P1'), false, 'below-priority'],
    ['namespace rule raises the bar (P0 ok)', pod('strict'), info('P0'), true, 'priority'],
    ['namespace never beats opt-in', pod('off'), info('P0', { 'podlog.io/ship': 'true' }), false, 'namespace-never'],
    ['namespace all', pod('all'), info('P3'), true, 'namespace-all'],
  ];
  for (const [name, p, i, ship, reason] of cases) {
    it(name, () => assert.deepEqual(decidePod(cfg, p, i), { ship, reason }));
  }
  it('file globs: *.log*, *.out, not GC logs', () => {
    const f = fileFilter(cfg);
    for (const n of ['taskmanager.log', 'taskmanager.log.1', 'taskmanager.log.2.gz', 'jobmanager.out', 'flink--taskexecutor-0-tm.log']) assert.equal(f(n), true, n);
    for (const n of ['gc.log', 'gc.log.0.current', 'jobmanager-gc.log', 'taskmanager.err', 'core.123']) assert.equal(f(n), false, n);
  });
  it('env: PODLOG_ES_URL and PODLOG_SHIP_NAMESPACES=a,b', () => {
    assert.deepEqual(shipConfigFromEnv({ PODLOG_ES_URL: 'http://es:9200', PODLOG_SHIP_NAMESPACES: 'a, b,' }), { esUrl: 'http://es:9200', namespaces: ['a', 'b'] });
    assert.throws(() => shipConfigSchema.parse({ bogus: 1 }));
  });
});
