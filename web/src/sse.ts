/**
 * Server-Sent Events read with `fetch()` (which, unlike `EventSource`, can send `Authorization`), parsed by
 * eventsource-parser (the WHATWG HTML standard's "Interpreting an event stream", §9.2.6). The page's follow
 * view and the test suite both read event streams through {@link readEventStream}.
 */
import { createParser } from 'eventsource-parser';

/** One dispatched event. `type` is `message` when no `event:` field was given. */
export interface SseEvent {
  type: string;
  data: string;
  /** The stream's last event ID after this event ('' when none): podlog's follow puts the resume offset there. */
  lastEventId: string;
}

/**
 * Read an event stream from a fetch `Response` body, calling `onEvent` for each event (heartbeat comments
 * and events without data are not events), until the body ends (resolves) or fails/aborts (rejects; a
 * throwing `onEvent` also cancels the body). An unfinished event at the end of the stream is dropped.
 * `onComment` sees comment lines (`: heartbeat`), without the colon.
 */
export async function readEventStream(body: ReadableStream<Uint8Array<ArrayBuffer>>, onEvent: (ev: SseEvent) => void,
  onComment?: (text: string) => void): Promise<void> {
  let lastEventId = '';
  const parser = createParser({
    onEvent(m) {
      if (m.id !== undefined) lastEventId = m.id;
      onEvent({ type: m.event ?? 'message', data: m.data, lastEventId });
    },
    ...(onComment ? { onComment } : {}),
  });
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } catch (e) {
    await reader.cancel().catch(() => {}); // a handler threw: let go of the connection
    throw e;
  }
}
