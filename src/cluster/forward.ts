import { readFile } from 'node:fs/promises';
import type { Request } from 'express';
import { PEER_GROUP_HEADER, PEER_USER_HEADER, type Authenticated } from '../auth/types.ts';
import { PodlogError } from '../errors.ts';

/** Set on every request an agent sends to another; the receiver then answers from its own files only (no second hop). */
export const FORWARDED_BY_HEADER = 'x-podlog-forwarded-by';

/** True when the request must be answered locally: sent by a peer, or asked with `?local=1`. */
export function isLocalOnly(req: Request): boolean {
  return req.get(FORWARDED_BY_HEADER) !== undefined || req.query.local === '1' || req.query.local === 'true';
}

/**
 * Reads this agent's service account token (projected tokens rotate: re-read at most every `reuseMs`).
 * @throws PodlogError `PODLOG_E_UPSTREAM` when the token cannot be read
 */
export function serviceAccountToken(path: string, reuseMs = 60_000): () => Promise<string> {
  let cached: { token: string; at: number } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < reuseMs) return cached.token;
    try {
      const token = (await readFile(path, 'utf8')).trim();
      cached = { token, at: Date.now() };
      return token;
    } catch (e) {
      throw new PodlogError('PODLOG_E_UPSTREAM', 'cannot read this agent\'s service account token to ask another agent', { cause: e });
    }
  };
}

/**
 * Headers that carry the caller to a peer, so the peer checks the caller again:
 * the caller's own bearer token when it had one; else (a trusted-proxy user) this agent's service account
 * token plus `X-Podlog-Remote-User`/`-Group`, which the peer believes only from an `auth.peerUsers` account.
 * Always `X-Podlog-Forwarded-By: <this node>` and the request id.
 */
export async function forwardHeaders(req: Request, selfNode: string, saToken: () => Promise<string>): Promise<Record<string, string>> {
  const h: Record<string, string> = { [FORWARDED_BY_HEADER]: selfNode || 'unknown', 'x-request-id': req.id };
  const f = (req.auth as Authenticated | undefined)?.forward ?? {};
  if (f.bearer) h.authorization = `Bearer ${f.bearer}`;
  else if (f.onBehalfOf) {
    h.authorization = `Bearer ${await saToken()}`;
    h[PEER_USER_HEADER] = f.onBehalfOf.user;
    if (f.onBehalfOf.groups.length) h[PEER_GROUP_HEADER] = f.onBehalfOf.groups.join(',');
  }
  return h;
}

/**
 * `fetch` with a deadline for the response head only: the body may stream as long as the caller keeps
 * `signal` alive. Connection errors and the deadline become `PODLOG_E_UPSTREAM` naming `what`.
 */
export async function fetchHead(url: string, init: RequestInit & { signal: AbortSignal }, deadlineMs: number, what: string): Promise<Response> {
  const head = new AbortController();
  const timer = setTimeout(() => head.abort(), deadlineMs);
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.any([init.signal, head.signal]) });
  } catch (e) {
    const timedOut = head.signal.aborted || (init.signal.aborted && (init.signal.reason as Error | undefined)?.name === 'TimeoutError');
    const why = timedOut ? `did not answer within ${deadlineMs} ms` : 'could not be reached';
    throw new PodlogError('PODLOG_E_UPSTREAM', `${what} ${why}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** What a request forwarded to another agent carries: this node's name, its service account token, the peer deadline (ms). */
export interface ForwardOptions {
  selfNode: string;
  saToken: () => Promise<string>;
  deadlineMs: number;
}

/**
 * The one way an agent asks another for JSON: `GET url` as the caller ({@link forwardHeaders}), the answer's
 * head within `o.deadlineMs` ({@link fetchHead}). The caller reads or cancels the body.
 * @param what names the peer in errors, e.g. `agent node-b`
 * @throws PodlogError `PODLOG_E_UPSTREAM` when the peer cannot be reached or does not answer in time
 */
export async function askAgent(req: Request, url: string, o: ForwardOptions, what: string, signal: AbortSignal = AbortSignal.timeout(o.deadlineMs)): Promise<Response> {
  const headers = { ...(await forwardHeaders(req, o.selfNode, o.saToken)), accept: 'application/json' };
  return fetchHead(url, { headers, signal }, o.deadlineMs, what);
}
