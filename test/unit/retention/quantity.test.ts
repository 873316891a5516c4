import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyOf, retentionDefaults, RetentionSchema } from '../../../src/retention/config.ts';
import { formatLimit, parseByteLimit, parseDuration, resolveLimit } from '../../../src/retention/quantity.ts';

test('parseDuration', () => {
  const cases: [string | number, number | undefined][] = [
    ['7d', 7 * 86_400_000], ['12h', 12 * 3_600_000], ['90m', 5_400_000], ['45s', 45_000], ['250ms', 250], ['1.5h', 5_400_000],
    [' 2d ', 172_800_000], ['100', 100], [60_000, 60_000],
    ['', undefined], ['abc', undefined], ['-1d', undefined], [-5, undefined], [Number.NaN, undefined],
  ];
  for (const [s, want] of cases) assert.equal(parseDuration(s), want, String(s));
});

test('parseByteLimit: Kubernetes quantities and shares of the file system', () => {
  const cases: [string | number, ReturnType<typeof parseByteLimit>][] = [
    ['50Gi', { bytes: 50 * 2 ** 30 }], ['512Mi', { bytes: 512 * 2 ** 20 }], ['10G', { bytes: 1e10 }], ['1e9', { bytes: 1e9 }],
    ['1048576', { bytes: 1048576 }], ['1.5Ki', { bytes: 1536 }], [4096, { bytes: 4096 }],
    ['20%', { percent: 20 }], ['0.5%', { percent: 0.5 }], ['100%', { percent: 100 }],
    ['0%', undefined], ['150%', undefined], ['-1Gi', undefined], ['lots', undefined], ['', undefined], ['5 GB', undefined],
  ];
  for (const [s, want] of cases) assert.deepEqual(parseByteLimit(s), want, String(s));
  assert.equal(resolveLimit({ percent: 20 }, 1001), 200);
  assert.equal(resolveLimit({ bytes: 7 }, 1001), 7);
  assert.equal(formatLimit({ bytes: 50 * 2 ** 30 }), '50Gi');
  assert.equal(formatLimit({ percent: 5 }), '5%');
});

test('retention config: defaults, env strings, errors', () => {
  const d = retentionDefaults();
  assert.equal(d.maxAge, '7d');
  assert.equal(d.maxBytes, undefined);
  assert.equal(d.dryRun, false);
  assert.deepEqual(policyOf(d), { maxAgeMs: 7 * 86_400_000, minFree: { percent: 5 } });
  const e = RetentionSchema.parse({ maxAge: '36h', maxBytes: '20%', dryRun: 'true', intervalMs: '1000', criNamespaces: 'a, b' });
  assert.deepEqual(policyOf(e), { maxAgeMs: 36 * 3_600_000, maxBytes: { percent: 20 }, minFree: { percent: 5 } });
  assert.equal(e.dryRun, true);
  assert.deepEqual(e.criNamespaces, ['a', 'b']);
  assert.throws(() => RetentionSchema.parse({ maxAge: 'a week' }), /duration/);
  assert.throws(() => RetentionSchema.parse({ maxBytes: 'huge' }), /quantity/);
  assert.throws(() => RetentionSchema.parse({ criMaxFileBytes: '10%' }), /quantity/);
  assert.throws(() => RetentionSchema.parse({ maxAgeDays: 3 }), /maxAgeDays/);
  for (const [k, t] of Object.entries(RetentionSchema.shape)) assert.ok(t.description, `${k} has a description`);
});
