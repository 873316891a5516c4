/**
 * Unit tests of the SSE-over-fetch parser (`web/src/sse.ts`) against the WHATWG HTML §9.2.6 rules and
 * podlog's follow stream (src/http/routes/follow.ts), and of the auth/cluster messages (`messages.ts`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser, readEventStream, type SseEvent } from '../src/sse.ts';
import { explain, forbiddenNamespace, incompleteText, upstreamNode } from '../src/messages.ts';
import { ApiError, retryAfterMs } from '../src/api.ts';

/** Feed `chunks` and collect every event, including those flushed at the end. */
function parseAll(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  const out = chunks.flatMap((c) => p.push(c));
  return [...out, ...p.end()];
}

/** podlog's follow stream as the agent writes it. */
const FOLLOW =
  'retry: 2000\n\n' +
  ': heartbeat\n\n' +
  'event: lines\nid: 42\ndata: {"lines":[{"offset":0,"text":"a"},{"offset":2,"text":"b"}]}\n\n' +
  'event: rotated\nid: 0\ndata: {"type":"rotated"}\n\n' +
  'event: lines\nid: 7\ndata: {"lines":[{"offset":0,"text":"new"}]}\n\n';

test('parses the follow stream: events, ids, retry; heartbeats and the retry block are not events', () => {
  const p = new SseParser();
  const evs = p.push(FOLLOW);
  assert.deepEqual(
    evs.map((e) => [e.type, e.lastEventId]),
    [['lines', '42'], ['rotated', '0'], ['lines', '7']],
  );
  assert.deepEqual(JSON.parse(evs[0]!.data), { lines: [{ offset: 0, text: 'a' }, { offset: 2, text: 'b' }] });
  assert.equal(p.retryMs, 2000);
  assert.equal(p.lastEventId, '7');
});

test('gives the same events whatever the chunking (down to one character, split CRLF)', () => {
  const whole = parseAll([FOLLOW]);
  const crlf = FOLLOW.replace(/\n/g, '\r\n');
  for (const text of [FOLLOW, crlf, FOLLOW.replace(/\n/g, '\r')]) {
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: string[] = [];
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
      assert.deepEqual(parseAll(chunks), whole, `chunk size ${size}`);
    }
  }
});

test('follows the standard: multi-line data, default type, no-space values, unknown fields, BOM', () => {
  const evs = parseAll(['\uFEFFdata: one\ndata:two\ndata\nfoo: bar\n\n', 'event:custom\ndata:  x \n\n']);
  assert.deepEqual(evs, [
    { type: 'message', data: 'one\ntwo\n', lastEventId: '' },
    { type: 'custom', data: ' x ', lastEventId: '' },
  ]);
});

test('an event without data is not dispatched, but its id is kept; an id with NUL is ignored', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('id: 5\nevent: lines\n\n'), []);
  assert.equal(p.lastEventId, '5');
  assert.deepEqual(p.push('id: 6\u0000\ndata: x\n\n'), [{ type: 'message', data: 'x', lastEventId: '5' }]);
  assert.deepEqual(p.push('id\ndata: y\n\n'), [{ type: 'message', data: 'y', lastEventId: '' }]);
});

test('retry accepts digits only', () => {
  const p = new SseParser();
  p.push('retry: 15x\n\nretry: 300\n\nretry: -1\n\n');
  assert.equal(p.retryMs, 300);
});

test('an unfinished event at the end of the stream is dropped; a trailing CR still ends a line', () => {
  assert.deepEqual(parseAll(['event: lines\ndata: {"lines":[]}\n']), []);
  assert.deepEqual(parseAll(['data: a\r\r']), [{ type: 'message', data: 'a', lastEventId: '' }]);
});

test('readEventStream decodes UTF-8 split across chunks and reports every event', async () => {
  const bytes = new TextEncoder().encode('event: lines\nid: 9\ndata: {"lines":[{"offset":0,"text":"żółw ✓"}]}\n\n');
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(c) {
      for (let i = 0; i < bytes.length; i += 5) c.enqueue(bytes.slice(i, i + 5));
      c.close();
    },
  });
  const got: SseEvent[] = [];
  await readEventStream(body, (e) => got.push(e));
  assert.equal(got.length, 1);
  assert.equal(got[0]!.lastEventId, '9');
  assert.equal((JSON.parse(got[0]!.data) as { lines: { text: string }[] }).lines[0]!.text, 'żółw ✓');
});

test('messages: 403 names the namespace, 502 the node, 429 the wait; incomplete results name the nodes', () => {
  assert.equal(forbiddenNamespace('alice may not get pods/log in namespace payments'), 'payments');
  assert.equal(explain(new ApiError(403, 'PODLOG_E_FORBIDDEN', 'alice may not get pods/log in namespace payments')), 'No access to namespace payments.');
  assert.equal(upstreamNode('the agent on node node-c could not be reached'), 'node-c');
  assert.equal(upstreamNode('agent node-b did not answer within 5000 ms'), 'node-b');
  assert.equal(upstreamNode('another node did not answer'), undefined);
  assert.match(explain(new ApiError(502, 'PODLOG_E_UPSTREAM', 'the agent on node node-c could not be reached')), /^Node node-c did not answer: /);
  assert.match(explain(new ApiError(429, 'PODLOG_E_RATE_LIMITED', 'slow down'), 12_000), /limiting.*12 s/);
  assert.equal(incompleteText(['node-c']), 'Results incomplete: node-c did not answer.');
  assert.equal(incompleteText([]), '');
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '7' })), 7000);
  assert.equal(retryAfterMs(new Headers({ ratelimit: '"default";r=0;t=42' })), 42_000);
  assert.equal(retryAfterMs(new Headers()), undefined);
});
