/**
 * Server-Sent Events read with `fetch()` (which, unlike `EventSource`, can send `Authorization`).
 * {@link SseParser} implements the event stream interpretation of the WHATWG HTML standard, §9.2.6
 * "Interpreting an event stream": lines end with CRLF, LF or CR; `:` starts a comment; fields
 * `event`, `data` (joined with LF), `id` (ignored when it contains NUL; kept across events as the
 * last event ID) and `retry` (digits only); an empty line dispatches; an event with no data is not
 * dispatched; an unfinished event at the end of the stream is dropped. Pure, no DOM.
 */

/** One dispatched event. `type` is `message` when no `event:` field was given. */
export interface SseEvent {
  type: string;
  data: string;
  /** The last event ID after this event (the stream's, not only this event's `id:`). */
  lastEventId: string;
}

/** Incremental parser: feed decoded text in any chunking, get whole events back. */
export class SseParser {
  #buf = '';
  #first = true;
  #data: string[] = [];
  #type = '';
  #lastId = '';
  #retry: number | undefined;

  /** The last event ID seen (`id:` field), '' when none. */
  get lastEventId(): string {
    return this.#lastId;
  }

  /** The reconnection time (ms) of the last valid `retry:` field, if any. */
  get retryMs(): number | undefined {
    return this.#retry;
  }

  /** Parse a chunk of text; returns the events completed by it (in order). */
  push(chunk: string): SseEvent[] {
    if (this.#first && chunk.length > 0) {
      this.#first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    this.#buf += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      let i = start;
      const n = this.#buf.length;
      while (i < n) {
        const c = this.#buf.charCodeAt(i);
        if (c === 10 || c === 13) break;
        i++;
      }
      if (i >= n) break;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (this.#buf.charCodeAt(i) === 13 && i === n - 1) break;
      const line = this.#buf.slice(start, i);
      start = i + (this.#buf.charCodeAt(i) === 13 && this.#buf.charCodeAt(i + 1) === 10 ? 2 : 1);
      const ev = this.#line(line);
      if (ev) out.push(ev);
    }
    this.#buf = this.#buf.slice(start);
    return out;
  }

  /** The stream ended: a trailing CR ends its line; an unfinished event is dropped (per the standard). */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.#buf.endsWith('\r')) {
      const ev = this.#line(this.#buf.slice(0, -1));
      if (ev) out.push(ev);
    }
    this.#buf = '';
    this.#data = [];
    this.#type = '';
    return out;
  }

  #line(line: string): SseEvent | null {
    if (line === '') return this.#dispatch();
    if (line.charCodeAt(0) === 58) return null; // ':' comment (heartbeat)
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon >= 0) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.charCodeAt(0) === 32) value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return null;
  }

  #dispatch(): SseEvent | null {
    const data = this.#data;
    const type = this.#type;
    this.#data = [];
    this.#type = '';
    if (data.length === 0) return null;
    return { type: type || 'message', data: data.join('\n'), lastEventId: this.#lastId };
  }
}

/**
 * Read an event stream from a fetch `Response` body, calling `onEvent` for each event, until the body
 * ends (resolves) or fails/aborts (rejects). `parser` may be shared across reconnects to keep the last event ID.
 */
export async function readEventStream(body: ReadableStream<Uint8Array<ArrayBuffer>>, onEvent: (ev: SseEvent) => void, parser = new SseParser()): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const ev of parser.push(value)) onEvent(ev);
    }
    for (const ev of parser.end()) onEvent(ev);
  } catch (e) {
    await reader.cancel().catch(() => {}); // a handler threw: let go of the connection
    throw e;
  }
}
