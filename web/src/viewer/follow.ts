/**
 * Follow a file over Server-Sent Events (`GET …/files/{file}/follow?offset=N`): `lines` events carry
 * `{"lines":[{"offset","text"}]}`; `rotated`, `truncated`, `gone` report file changes; comments are
 * heartbeats. The browser's own EventSource retry would resume at the original offset, so this class
 * closes the stream on error and reconnects itself, with backoff, from the last offset received.
 * With a bearer token set (`auth.ts`) the stream is read with `fetch()` through `api.ts` (EventSource
 * cannot send `Authorization`) and parsed by `sse.ts`; `Last-Event-ID` carries the offset too.
 */
import { ApiError, request, type ApiLine } from '../api.ts';
import { getToken } from '../auth.ts';
import { announce } from '../dom.ts';
import { explain } from '../messages.ts';
import { readEventStream, type SseEvent } from '../sse.ts';
import type { Banner } from './banner.ts';
import type { LineBlock } from './block.ts';
import type { LinePane } from './pane.ts';

/** Callbacks of a {@link Follower}. */
export interface FollowHandlers {
  lines(lines: ApiLine[], next: number): void;
  /** The file was rotated/truncated/deleted. Following stops on `gone`. */
  change(kind: 'rotated' | 'truncated' | 'gone'): void;
  /** Connection state for the status line: `live`, or `reconnecting` with the delay in ms and why (an explained error, if any). */
  status(s: 'live' | 'reconnecting', retryInMs?: number, why?: ApiError): void;
}

/** An SSE subscription that reconnects from where it stopped. */
export class Follower {
  private es: EventSource | null = null;
  private ctrl: AbortController | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private stopped = false;
  private readonly urlFor: (offset: number) => string;
  private offset: number;
  private readonly on: FollowHandlers;

  /** `urlFor(offset)` builds the follow URL; `offset` is where to start (bytes). */
  constructor(urlFor: (offset: number) => string, offset: number, on: FollowHandlers) {
    this.urlFor = urlFor;
    this.offset = offset;
    this.on = on;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    if (getToken()) void this.connectFetch();
    else this.connectEventSource();
  }

  /** One event of either transport. `lastEventId` is the stream's last `id:` ('' when none). */
  private event(type: string, data: string, lastEventId: string): void {
    if (this.stopped) return;
    if (type === 'lines') {
      const parsed = JSON.parse(data) as { lines: ApiLine[] };
      const last = parsed.lines[parsed.lines.length - 1];
      // The event id is the offset to resume from (just past the last line sent).
      const id = Number(lastEventId);
      const next = lastEventId !== '' && Number.isSafeInteger(id) ? id : last ? last.offset + utf8Length(last.text) + 1 : this.offset;
      this.offset = next;
      this.attempt = 0;
      this.on.lines(parsed.lines, next);
    } else if (type === 'rotated' || type === 'truncated' || type === 'gone') {
      if (type !== 'gone') this.offset = 0;
      this.on.change(type);
      if (type === 'gone') this.stop();
    }
  }

  private retry(why?: ApiError): void {
    if (this.stopped) return;
    let delay = Math.min(10_000, 500 * 2 ** this.attempt++);
    if (why?.status === 429) delay = Math.max(delay, why.retryAfterMs ?? 5000);
    this.on.status('reconnecting', delay, why);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private connectEventSource(): void {
    const es = new EventSource(this.urlFor(this.offset));
    this.es = es;
    es.onopen = () => {
      this.attempt = 0;
      this.on.status('live');
    };
    for (const kind of ['lines', 'rotated', 'truncated', 'gone'] as const) {
      es.addEventListener(kind, (ev) => {
        const msg = ev as MessageEvent<string>;
        this.event(kind, msg.data, msg.lastEventId);
      });
    }
    es.onerror = () => {
      es.close();
      this.es = null;
      this.retry();
    };
  }

  private async connectFetch(): Promise<void> {
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    try {
      const res = await request(this.urlFor(this.offset), {
        signal: ctrl.signal,
        cache: 'no-store',
        headers: { accept: 'text/event-stream', 'last-event-id': String(this.offset) },
      });
      if (!res.body) throw new ApiError(0, 'NETWORK', 'The follow stream has no body.');
      this.attempt = 0;
      this.on.status('live');
      await readEventStream(res.body, (ev: SseEvent) => this.event(ev.type, ev.data, ev.lastEventId));
      // The agent ended the stream (restart, shutdown): reconnect from the last offset.
      if (!ctrl.signal.aborted) this.retry();
    } catch (e) {
      if (ctrl.signal.aborted || this.stopped) return;
      this.retry(e instanceof ApiError ? e : new ApiError(0, 'NETWORK', 'Lost the follow connection.'));
    } finally {
      if (this.ctrl === ctrl) this.ctrl = null;
    }
  }

  /** Close the stream; no more callbacks. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.es?.close();
    this.es = null;
    this.ctrl?.abort();
    this.ctrl = null;
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

/** What {@link FollowMode} needs from the viewer. */
export interface FollowHost {
  block: LineBlock;
  pane: LinePane;
  banner: Banner;
  /** Show the end of the file (resolves when shown). */
  jumpEnd(): Promise<void>;
  /** Follow URL from a byte offset. */
  urlFor(offset: number): string;
  /** Mode or lines changed: update the status line, URL, toolbar and file size shown. */
  changed(): void;
  /** True once the viewer is closed. */
  destroyed(): boolean;
}

/**
 * Follow mode of the viewer: at the end of the file, lines appended by the pod arrive over SSE and
 * keep the last line at the bottom edge. Scrolling up pauses it (`paused`), one key resumes.
 */
export class FollowMode {
  following = false;
  /** Paused by scrolling away (not by the user turning it off). */
  paused = false;
  connection: 'live' | 'reconnecting' | '' = '';
  private follower: Follower | null = null;
  private readonly host: FollowHost;

  constructor(host: FollowHost) {
    this.host = host;
  }

  /** Go to the end and follow from there. */
  async start(): Promise<void> {
    const { block, pane, banner } = this.host;
    this.follower?.stop();
    this.paused = false;
    await this.host.jumpEnd();
    if (this.host.destroyed()) return;
    this.following = true;
    this.follower = new Follower(this.host.urlFor, block.end, {
      lines: (lines, next) => {
        block.append(lines, next);
        pane.changed();
        this.host.changed();
      },
      change: (kind) => {
        if (kind === 'gone') {
          banner.show('The file was deleted on the node. The lines shown stay until you leave.', 'error', true);
          this.pause(true);
        } else {
          banner.show(`The file was ${kind} at ${new Date().toLocaleTimeString()}; showing its new content.`, 'info');
          block.restart();
          pane.toBottom();
          pane.changed();
        }
      },
      status: (s, ms, why) => {
        this.connection = s;
        if (s === 'reconnecting') {
          const secs = Math.ceil((ms ?? 0) / 1000);
          banner.show(why && why.status !== 0 ? `Follow interrupted: ${explain(why)} Reconnecting in ${secs} s…` : `Lost the follow connection. Reconnecting in ${secs} s…`, 'warn');
        }
        else banner.clear();
        this.host.changed();
      },
    });
    announce('Following the file');
    this.host.changed();
  }

  /** Stop following; `user` when turned off on purpose (no "paused" hint). */
  pause(user = false): void {
    if (!this.following) return;
    this.stop();
    this.paused = !user;
    announce(user ? 'Stopped following' : 'Follow paused');
    this.host.changed();
  }

  /** Close the stream. */
  stop(): void {
    this.follower?.stop();
    this.follower = null;
    this.following = false;
    this.connection = '';
  }
}
