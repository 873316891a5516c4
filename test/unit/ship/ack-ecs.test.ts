import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckTracker } from '../../../src/ship/ack.ts';
import { buildDoc, dataStreamName, dataStreamParts, isoTime, staticFields } from '../../../src/ship/ecs.ts';

describe('AckTracker', () => {
  it('advances only over a contiguous run, whatever the completion order', () => {
    const t = new AckTracker(100);
    const a = t.add(150);
    const b = t.add(200);
    const c = t.add(260);
    assert.equal(t.complete(c), false);
    assert.equal(t.acked, 100);
    assert.equal(t.complete(a), true);
    assert.equal(t.acked, 150);
    assert.equal(t.complete(b), true);
    assert.equal(t.acked, 260);
    assert.equal(t.outstanding, 0);
  });
  it('compacts without losing tokens', () => {
    const t = new AckTracker(0);
    const tokens = Array.from({ length: 10_000 }, (_, i) => t.add(i + 1));
    for (const k of tokens.slice(0, 9_000)) t.complete(k);
    assert.equal(t.acked, 9_000);
    for (const k of tokens.slice(9_000).reverse()) t.complete(k);
    assert.equal(t.acked, 10_000);
  });
});

describe('ECS documents', () => {
  it('data stream names follow the naming scheme', () => {
    assert.equal(dataStreamName('logs-podlog.flink-{namespace}', 'flink-prod'), 'logs-podlog.flink-flink_prod');
    assert.deepEqual(dataStreamParts('logs-podlog.flink-flink_prod'), { type: 'logs', dataset: 'podlog.flink', namespace: 'flink_prod' });
  });
  it('builds valid JSON with every field', () => {
    const fixed = staticFields({ hostName: 'n1', namespace: 'ns', podName: 'p', podUid: 'u', container: 'c', path: '/x', labels: { 'a.b': 'v' }, jobId: 'j', dataStream: 'logs-podlog.flink-ns' });
    const doc = JSON.parse(buildDoc({ timeMs: 0, level: 'INFO', logger: 'l', message: 'm "q"\n', stackTrace: 's' }, 42, 5, '"/x"', fixed));
    assert.deepEqual(doc, {
      '@timestamp': '1970-01-01T00:00:00.000Z', message: 'm "q"\n', log: { file: { path: '/x' }, offset: 42, level: 'INFO', logger: 'l' },
      error: { stack_trace: 's' }, host: { name: 'n1' },
      kubernetes: { namespace: 'ns', pod: { name: 'p', uid: 'u' }, container: { name: 'c' }, labels: { a_b: 'v' } },
      orchestrator: { type: 'kubernetes', namespace: 'ns', resource: { type: 'pod', name: 'p' } },
      event: { dataset: 'podlog.flink' }, data_stream: { type: 'logs', dataset: 'podlog.flink', namespace: 'ns' }, flink: { job: { id: 'j' } },
    });
    const plain = JSON.parse(buildDoc({ message: 'x' }, 0, 1000, '"/x"', fixed));
    assert.equal(plain['@timestamp'], '1970-01-01T00:00:01.000Z');
    assert.equal(plain.log.level, undefined);
    for (const ms of [0, 7, 42, 999, 1000, 1714521600123, -1, 253402300799999]) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  });
});
