/**
 * Unit tests of the SSE-over-fetch reader (`web/src/sse.ts`) on podlog's follow stream
 * (src/http/routes/follow.ts), and of the auth/cluster messages (`messages.ts`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readEventStream, type SseEvent } from '../src/sse.ts';
import { explain, forbiddenNamespace, incompleteText, upstreamNode } from '../src/messages.ts';
import { ApiError, retryAfterMs } from '../src/api.ts';

/** A response body that delivers `text` in chunks of `size` bytes. */
function bodyOf(text: string, size = 1 << 20): ReadableStream<Uint8Array<ArrayBuffer>> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      c.close();
    },
  });
}

/** Every event of `text` read through {@link readEventStream}. */
async function readAll(text: string, size?: number): Promise<SseEvent[]> {
  const got: SseEvent[] = [];
  await readEventStream(bodyOf(text, size), (e) => got.push(e));
  return got;
}

/** podlog's follow stream as the agent writes it. */
const FOLLOW =
  'retry: 2000\n\n' +
  ': heartbeat\n\n' +
  'event: lines\nid: 42\ndata: {"lines":[{"offset":0,"text":"a"},{"offset":2,"text":"b"}]}\n\n' +
  'event: rotated\nid: 0\ndata: {"type":"rotated"}\n\n' +
  'event: lines\nid: 7\ndata: {"lines":[{"offset":0,"text":"new"}]}\n\n';

test('reads the follow stream: events and ids; heartbeats and the retry block are not events', async () => {
  const evs = await readAll(FOLLOW);
  assert.deepEqual(evs.map((e) => [e.type, e.lastEventId]), [['lines', '42'], ['rotated', '0'], ['lines', '7']]);
  assert.deepEqual(JSON.parse(evs[0]!.data), { lines: [{ offset: 0, text: 'a' }, { offset: 2, text: 'b' }] });
});

test('gives the same events whatever the chunking and line endings (down to one byte, split CRLF)', async () => {
  const whole = await readAll(FOLLOW);
  for (const text of [FOLLOW, FOLLOW.replace(/\n/g, '\r\n'), FOLLOW.replace(/\n/g, '\r')]) {
    for (const size of [1, 2, 3, 7, 64]) assert.deepEqual(await readAll(text, size), whole, `chunk size ${size}`);
  }
});

test('the last event ID carries over events without one; an empty id resets it; an unfinished event is dropped', async () => {
  const evs = await readAll('id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\nevent: lines\ndata: {"lines":[]}\n');
  assert.deepEqual(evs, [
    { type: 'message', data: 'a', lastEventId: '5' },
    { type: 'message', data: 'b', lastEventId: '5' },
    { type: 'message', data: 'c', lastEventId: '' },
  ]);
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
