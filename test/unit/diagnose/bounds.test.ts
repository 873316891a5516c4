/**
 * Prose bounds: a headline of at most 400 characters and at most 3,000 characters of prose before the
 * timeline, however much goes wrong; evidence keeps the exact text. (fixtures.ts asserts the same bounds on
 * every diagnosis the other tests make.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundProse, clipAtSentence, MAX_HEADLINE, MAX_PROSE, proseLength } from '../../../src/diagnose/bounds.ts';
import { renderText } from '../../../src/diagnose/render.ts';
import { ago, diagnose, ev, NOW, pod } from './fixtures.ts';

test('a pod where everything goes wrong stays within the bounds and keeps verbatim evidence', () => {
  const long = `panic: ${'x'.repeat(3000)}`;
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const p = pod({
    containers: names.map((n) => ({ name: n, image: `registry.example.com/team/${n}:1`, command: ['/bin/app', '--flag', 'y'.repeat(400)] })),
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: ago(10) }],
    statuses: names.map((n, i) => ({ name: n, ready: false, restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } }, lastState: { terminated: { exitCode: i % 2 ? 127 : 1, reason: 'Error', message: long, startedAt: ago(3), finishedAt: ago(2) } } })),
  });
  const warnings = Array.from({ length: 12 }, (_, i) => ev(`SomethingOdd${i}`, `odd thing ${i}: ${'z'.repeat(500)}`, { at: ago(1) }));
  const d = diagnose({ pod: p, events: warnings, logTails: names.map((n) => ({ container: n, file: `${n}.log`, lines: [`ERROR ${'w'.repeat(1000)}`] })), now: NOW });
  assert.ok(d.headline.length <= MAX_HEADLINE);
  assert.ok(proseLength(d) <= MAX_PROSE, String(proseLength(d)));
  assert.ok(d.findings.length >= 2);
  const text = renderText(d);
  const beforeTimeline = text.slice(0, text.indexOf('Timeline'));
  assert.ok(beforeTimeline.length > 0);
  // Evidence is quoted, not prose: the termination message of the first container is there verbatim (clipped only by the status quote limit).
  assert.ok(d.findings.flatMap((f) => f.evidence).some((e) => e.source === 'event' && e.text.startsWith('odd thing') && e.text.length > 500));
});

test('clipAtSentence and boundProse', () => {
  assert.equal(clipAtSentence('Short.', 400), 'Short.');
  const two = `${'a'.repeat(300)}. ${'b'.repeat(300)}.`;
  assert.equal(clipAtSentence(two, 400), `${'a'.repeat(300)}.`);
  const f = (i: number) => ({ class: 'UnexplainedWarning' as const, severity: 'warning' as const, summary: `S${i} ${'s'.repeat(900)}`, fix: `F${i} ${'f'.repeat(900)}`, evidence: [{ source: 'status' as const, ref: `r${i}`, text: 't' }] });
  const d = boundProse({ subject: { kind: 'Pod', namespace: 'n', name: 'p' }, severity: 'warning', headline: 'h'.repeat(900), findings: Array.from({ length: 10 }, (_, i) => f(i)), past: [], timeline: [], now: NOW.toISOString() });
  assert.ok(d.headline.length <= MAX_HEADLINE);
  assert.ok(proseLength(d) <= MAX_PROSE);
  assert.match(d.findings[d.findings.length - 1]!.summary, /^Also found: UnexplainedWarning\.$/);
  assert.ok(d.findings[0]!.summary.startsWith('S0'));
});
