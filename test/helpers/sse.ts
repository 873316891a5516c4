/** Event streams in tests, read with the page's own reader (`web/src/sse.ts`, eventsource-parser). */
import { readEventStream } from '../../web/src/sse.ts';

/** One event as a test sees it; heartbeat comments are frames of event `comment`. */
export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/**
 * Open `url` as an event stream; frames are pushed to `frames` as they arrive.
 * @returns the frames array (live), the HTTP status and `close()`
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<{ frames: SseFrame[]; status: number; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers });
  const frames: SseFrame[] = [];
  if (res.ok && res.body) {
    void readEventStream(
      res.body as ReadableStream<Uint8Array<ArrayBuffer>>,
      (e) => frames.push({ event: e.type, data: e.data, ...(e.lastEventId !== '' ? { id: e.lastEventId } : {}) }),
      (text) => frames.push({ event: 'comment', data: text }),
    ).catch(() => undefined); // closed by the test or the agent
  }
  return { frames, status: res.status, close: () => ac.abort() };
}

/** The text of every line carried by `lines` frames, in order. */
export function sseLines(frames: SseFrame[]): string[] {
  return frames.filter((f) => f.event === 'lines').flatMap((f) => (JSON.parse(f.data) as { lines: { text: string }[] }).lines.map((l) => l.text));
}
