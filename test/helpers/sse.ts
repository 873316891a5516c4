/** A minimal SSE reader for tests: parses `event:`/`id:`/`data:` frames from a fetch body. */
export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

/**
 * Open `url` as an event stream; frames are pushed to `frames` as they arrive.
 * @returns the frames array (live) and `close()`
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<{ frames: SseFrame[]; status: number; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers });
  const frames: SseFrame[] = [];
  if (res.ok && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buf = '';
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (r.done) return;
        buf += r.value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const f: SseFrame = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) f.event = line.slice(7);
            else if (line.startsWith('id: ')) f.id = line.slice(4);
            else if (line.startsWith('data: ')) f.data += line.slice(6);
            else if (line.startsWith(':')) f.event = 'comment';
          }
          if (f.data || f.event !== 'message') frames.push(f);
        }
      }
    })();
  }
  return { frames, status: res.status, close: () => ac.abort() };
}

/** The text of every line carried by `lines` frames, in order. */
export function sseLines(frames: SseFrame[]): string[] {
  return frames.filter((f) => f.event === 'lines').flatMap((f) => (JSON.parse(f.data) as { lines: { text: string }[] }).lines.map((l) => l.text));
}
