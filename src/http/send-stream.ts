import type { ServerResponse } from 'node:http';
import { pipeline, type Duplex, type Readable } from 'node:stream';

/** Errors that only say the client went away (hung up, reset, or left before the body began). */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_UNABLE_TO_PIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET', 'EPIPE']);

/**
 * Pipe a source (e.g. a file range) through optional transforms into an HTTP response, with
 * back-pressure: `stream.pipeline` stops reading the source while the socket's buffer is full, so one
 * connection holds at most the streams' high-water marks (64 KiB per file read, 16 KiB per transform
 * side) plus the socket buffer. Resolves only once every stream has closed, so the caller may then close
 * the file the source reads from, once: a read in flight ends before its stream closes (see `rangeStream`).
 * A client that goes away, before the first byte or at any byte, ends the send quietly (the app counts
 * such responses); the streams are destroyed either way.
 * @param onChunk called with the byte length of each chunk the source yields (for metrics)
 * @throws the source's own error (e.g. PodlogError `PODLOG_E_BAD_PARAM` for bad gzip); the response is
 *   destroyed by then, as `pipeline` does
 */
export async function sendStream(res: ServerResponse, streams: [Readable, ...Duplex[]], onChunk?: (bytes: number) => void): Promise<void> {
  let failure: NodeJS.ErrnoException | null | undefined;
  if (res.destroyed) failure = null;
  else {
    failure = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      pipeline([...streams, res], (err) => resolve(err ?? null));
      if (onChunk) streams[0].on('data', (c: Buffer | string) => onChunk(typeof c === 'string' ? Buffer.byteLength(c) : c.length));
    });
  }
  // pipeline leaves its sources alone when the response was already gone (ERR_STREAM_UNABLE_TO_PIPE)
  await Promise.all(streams.map(closed));
  if (failure && !CLIENT_GONE.has(failure.code ?? '')) throw failure;
}

/** Destroy a stream (a no-op when it already is) and wait for its `close`. */
function closed(s: Readable | Duplex): Promise<void> {
  s.on('error', () => {}); // the outcome is decided; a late error must not become an unhandled 'error' event
  s.destroy();
  if (s.closed) return Promise.resolve();
  return new Promise((resolve) => s.once('close', () => resolve()));
}

/**
 * Run `fn` once the client has gone away or the response has ended (`close`), or at once when that
 * already happened: a listener added after `close` would otherwise never run.
 */
export function onClose(res: ServerResponse, fn: () => void): void {
  if (res.closed || res.destroyed) queueMicrotask(fn);
  else res.once('close', fn);
}
