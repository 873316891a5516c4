import { once } from 'node:events';
import { Router } from 'express';
import { PodlogError } from '../../errors.ts';
import { follow } from '../../logfile/follow.ts';
import type { Line } from '../../logfile/line.ts';
import { lstatSafe, openSafe } from '../../store/safe-open.ts';
import type { AppDeps } from '../app.ts';
import { fileParams, openCatalogFile } from '../open-file.ts';
import { queryInt } from '../params.ts';
import { onClose } from '../send-stream.ts';

/**
 * `GET …/files/:file/follow?offset=N` → Server-Sent Events (WHATWG HTML §9.2) of lines appended after
 * byte N (default: the current end):
 * - `event: lines`, `data: {"lines":[{"offset","text","truncated"}]}`, `id:` the offset to resume from
 *   (a reconnecting EventSource sends it back as `Last-Event-ID`, which wins over `offset`);
 * - `event: rotated|truncated|gone|back` when the file rotates, is truncated, vanishes or reappears;
 *   after `rotated`, `truncated` and `back` offsets restart at 0 in the new content (`id: 0`);
 * - a `: heartbeat` comment every `follow.heartbeatMs` (skipped while the client is not reading).
 *
 * Back-pressure: when the socket's buffer is full the follow stops reading the file until `drain`, so a
 * client that never reads holds at most the socket buffer plus one frame (one 64 KiB read, or one line
 * cut at 1 MiB) and the pending partial line (≤ 1 MiB).
 * @throws PodlogError `PODLOG_E_RATE_LIMITED` past `follow.maxClients`; `PODLOG_E_BAD_PARAM` for `.gz` files.
 */
export function followRoutes(deps: AppDeps): Router {
  const r = Router();
  let clients = 0;

  r.get('/namespaces/:ns/pods/:pod/containers/:container/files/:file/follow', async (req, res) => {
    const lastEventId = queryInt('Last-Event-ID', req.get('last-event-id'));
    let offset = lastEventId ?? queryInt('offset', req.query.offset);
    if (clients >= deps.config.follow.maxClients) throw new PodlogError('PODLOG_E_RATE_LIMITED', 'too many follow streams on this agent; try again later');
    const opened = await openCatalogFile(deps.catalog, fileParams(req.params, req.query));
    const { pod, entry } = opened;
    const size = opened.safe.stat.size;
    await opened.safe.handle.close();
    if (entry.kind === 'compressed') throw new PodlogError('PODLOG_E_BAD_PARAM', 'a compressed rotated file does not grow; open it instead of following it');
    if (offset !== undefined && offset > size) offset = size;

    const headers = { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' };
    if (req.method === 'HEAD') {
      res.status(200).set(headers).end();
      return;
    }

    clients++;
    deps.metrics.followClients.inc();
    const controller = new AbortController();
    const stop = () => controller.abort();
    onClose(res, stop);
    deps.shutdown?.addEventListener('abort', stop, { once: true });
    res.status(200).set(headers);
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const heartbeat = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
    }, deps.config.follow.heartbeatMs);
    /** Write one frame; false when the socket's buffer is full. */
    const send = (event: string, data: unknown, id?: number): boolean =>
      res.write(`event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
    /** Wait until the client has read what is buffered (or the follow stops). */
    const drained = async () => {
      deps.metrics.followStalled.inc();
      try {
        await once(res, 'drain', { signal: controller.signal });
      } catch {
        // stopped: the client went away or the agent is shutting down
      } finally {
        deps.metrics.followStalled.dec();
      }
    };
    try {
      await follow({
        reopen: () => openSafe(pod.root, entry.path),
        statName: () => lstatSafe(pod.root, entry.path),
        startOffset: offset ?? size,
        signal: controller.signal,
        pollMs: deps.config.follow.pollMs,
        onLines: async (lines: Line[]) => {
          if (lines.length === 0) return;
          const last = lines[lines.length - 1]!;
          let bytes = 0;
          const out = lines.map((l) => {
            bytes += l.bytes;
            return { offset: l.offset, text: l.text, truncated: l.truncated };
          });
          deps.metrics.bytesServed.inc(bytes);
          if (!send('lines', { lines: out }, last.offset + last.bytes)) await drained();
        },
        // after these, offsets restart at 0 in the new content (`back` too: follow reads a re-created file from 0)
        onEvent: (e) => send(e.type, { type: e.type }, e.type === 'gone' ? undefined : 0),
      });
    } finally {
      clearInterval(heartbeat);
      deps.shutdown?.removeEventListener('abort', stop);
      clients--;
      deps.metrics.followClients.dec();
      if (!res.writableEnded) res.end();
    }
  });
  return r;
}
