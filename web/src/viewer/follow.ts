/**
 * Follow a file over Server-Sent Events (`GET …/files/{file}/follow?offset=N`): `lines` events carry
 * `{"lines":[{"offset","text"}]}`; `rotated`, `truncated`, `gone` report file changes; comments are
 * heartbeats. The browser's own EventSource retry would resume at the original offset, so this class
 * closes the stream on error and reconnects itself, with backoff, from the last offset received.
 */
import type { ApiLine } from '../api.ts';

/** Callbacks of a {@link Follower}. */
export interface FollowHandlers {
  lines(lines: ApiLine[], next: number): void;
  /** The file was rotated/truncated/deleted. Following stops on `gone`. */
  change(kind: 'rotated' | 'truncated' | 'gone'): void;
  /** Connection state for the status line: `live`, or `reconnecting` with the delay in ms. */
  status(s: 'live' | 'reconnecting', retryInMs?: number): void;
}

/** An SSE subscription that reconnects from where it stopped. */
export class Follower {
  private es: EventSource | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = false;

  /** `urlFor(offset)` builds the follow URL; `offset` is where to start (bytes). */
  constructor(private readonly urlFor: (offset: number) => string, private offset: number, private readonly on: FollowHandlers) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const es = new EventSource(this.urlFor(this.offset));
    this.es = es;
    es.onopen = () => {
      this.attempt = 0;
      this.on.status('live');
    };
    es.addEventListener('lines', (ev) => {
      const msg = ev as MessageEvent<string>;
      const data = JSON.parse(msg.data) as { lines: ApiLine[] };
      const last = data.lines[data.lines.length - 1];
      // The event id is the offset to resume from (just past the last line sent).
      const id = Number(msg.lastEventId);
      const next = msg.lastEventId !== '' && Number.isSafeInteger(id) ? id : last ? last.offset + utf8Length(last.text) + 1 : this.offset;
      this.offset = next;
      this.attempt = 0;
      this.on.lines(data.lines, next);
    });
    for (const kind of ['rotated', 'truncated', 'gone'] as const) {
      es.addEventListener(kind, () => {
        if (kind !== 'gone') this.offset = 0;
        this.on.change(kind);
        if (kind === 'gone') this.stop();
      });
    }
    es.onerror = () => {
      if (this.stopped) return;
      es.close();
      const delay = Math.min(10_000, 500 * 2 ** this.attempt++);
      this.on.status('reconnecting', delay);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /** Close the stream; no more callbacks. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
  }
}


/** Byte length of `s` in UTF-8. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
