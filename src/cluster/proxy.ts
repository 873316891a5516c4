import { Readable } from 'node:stream';
import type { Request, Response } from 'express';
import { PodlogError } from '../errors.ts';
import { onClose, sendStream } from '../http/send-stream.ts';
import { fetchHead, forwardHeaders } from './forward.ts';
import type { Peer } from './peers.ts';

/** Request headers passed to the owning agent besides the caller's credentials. */
const PASS_REQUEST = ['accept', 'range', 'if-range', 'last-event-id'];
/** Response headers passed back to the caller. */
const PASS_RESPONSE = [
  'content-type', 'content-length', 'content-range', 'accept-ranges', 'last-modified', 'cache-control', 'content-disposition',
  'x-accel-buffering', 'www-authenticate', 'retry-after',
];

/**
 * Refuse a request target that URL parsing would change (dot segments, also percent-encoded: WHATWG URL
 * resolves `%2e%2e`), so the path checked here is the path the owner receives.
 * @throws PodlogError `PODLOG_E_BAD_PATH`
 */
export function assertNormalPath(target: string): void {
  const raw = target.split('?')[0]!;
  if (new URL(raw, 'http://x').pathname !== raw) throw new PodlogError('PODLOG_E_BAD_PATH', 'the path has dot segments; podlog does not resolve them');
}

/** Header naming the node whose agent answered a proxied request. */
export const NODE_HEADER = 'X-Podlog-Node';

/**
 * Forward a GET/HEAD to the agent holding the files and stream its answer back unchanged —
 * byte ranges, tails, line windows and Server-Sent Events alike. The caller is passed on
 * ({@link forwardHeaders}), so the owner checks the caller's identity again. The owner must start
 * answering within `deadlineMs`; after that the stream lasts until either side closes it, and closing
 * the caller's connection aborts the upstream request.
 * @throws PodlogError `PODLOG_E_UPSTREAM` when the owner cannot be reached or does not answer in time
 */
export async function proxyTo(req: Request, res: Response, peer: Peer, o: { selfNode: string; saToken: () => Promise<string>; deadlineMs: number }): Promise<void> {
  assertNormalPath(req.originalUrl);
  const headers = await forwardHeaders(req, o.selfNode, o.saToken);
  for (const h of PASS_REQUEST) {
    const v = req.get(h);
    if (v !== undefined) headers[h] = v;
  }
  const ac = new AbortController();
  onClose(res, () => ac.abort());
  const up = await fetchHead(peer.url + req.originalUrl, { method: req.method, headers, signal: ac.signal }, o.deadlineMs, `the agent on node ${peer.node || peer.url}`);
  res.status(up.status);
  for (const h of PASS_RESPONSE) {
    const v = up.headers.get(h);
    if (v !== null) res.setHeader(h, v);
  }
  if (peer.node) res.setHeader(NODE_HEADER, peer.node);
  if (!up.body || req.method === 'HEAD') {
    res.end();
    return;
  }
  res.flushHeaders();
  try {
    await sendStream(res, [Readable.fromWeb(up.body as import('node:stream/web').ReadableStream)]);
  } catch {
    // The owner's stream broke mid-way (the status is sent): end the caller's connection.
    if (!res.destroyed) res.destroy();
  }
}
