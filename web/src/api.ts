/**
 * Client of the agent's HTTP API (`/api/v1`, src/http). Every call returns parsed JSON or throws
 * {@link ApiError} carrying the server's `{"error":{"code","message"}}` (or a network failure, code
 * `NETWORK`). Paths are built from encoded segments only. Every call goes through {@link request},
 * which adds the bearer token of `auth.ts` and reports a 401 to it.
 */
import { authHeaders, blocked, needToken, type WhoAmI } from './auth.ts';

/** One file of a container, as listed by `GET /api/v1/pods`. `size` in bytes, `mtime` ms since epoch. */
export interface ApiFile {
  name: string;
  size: number;
  mtime: number;
  live: boolean;
  kind: 'live' | 'rotated' | 'compressed';
}

/** One container folder of a pod generation. */
export interface ApiContainer {
  name: string;
  files: ApiFile[];
}

/** Pod state as shown on the page. */
export type PodState = 'running' | 'exited' | 'failed' | 'deleted' | 'pending' | 'unknown';

/**
 * One pod generation. The Kubernetes-derived fields are present only when the agent has a pod
 * record; `lastActivity` (ms) is the newest file mtime. `createdAt`/`startedAt` (ms) are optional.
 */
export interface ApiPod {
  namespace: string;
  name: string;
  uid: string;
  lastActivity: number;
  containers: ApiContainer[];
  /** The node holding the pod, in a cluster-wide listing. */
  node?: string;
  job?: string;
  component?: string;
  priority?: string | number;
  state?: string;
  phase?: string;
  restarts?: number;
  exitCodes?: Record<string, number> | number[] | number;
  labels?: Record<string, string>;
  deletedAt?: number | string | null;
  createdAt?: number | string;
  startedAt?: number | string;
}

/** One line of a lines window. `offset` is the byte offset of the line start. */
export interface ApiLine {
  offset: number;
  text: string;
  truncated?: boolean;
  /** 1-based line number, when the server knows it (windows read from offset 0). */
  lineNumber?: number;
}

/**
 * A window of whole lines: `startOffset` = offset of the first line, `nextOffset` = offset just past
 * the last line's newline, `size` = file size in bytes when read (absent for `.gz` files, whose
 * offsets count decompressed bytes), `eof` = nothing after `nextOffset`.
 */
export interface ApiLines {
  lines: ApiLine[];
  startOffset: number;
  nextOffset: number;
  size?: number;
  eof: boolean;
}

/** A search hit (`/api/v1/search`, one NDJSON line). */
export interface SearchHit {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  file: string;
  offset: number;
  line_number?: number;
  line: string;
  /** The node that found it, in a cluster-wide search. */
  node?: string;
}

/** The final NDJSON line of a search. */
export interface SearchDone {
  done: true;
  bytes_scanned?: number;
  stopped_by?: string;
  /** Cluster-wide search: some nodes did not answer (`failed_nodes`). */
  partial?: boolean;
  failed_nodes?: string[];
}

/** `GET /api/v1/pods`: the items, and in a cluster-wide listing the nodes that did not answer. */
export interface PodListing {
  items: ApiPod[];
  partial: boolean;
  failed_nodes: string[];
}

/** A failed call: `status` 0 and code `NETWORK` when the server could not be reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** 429/503: how long the agent asks to wait (ms, from `Retry-After` or the `RateLimit` header), if it said. */
  readonly retryAfterMs: number | undefined;
  constructor(status: number, code: string, message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Wait asked for by a 429/503 answer, in ms: `Retry-After` seconds (RFC 9110 §10.2.3), else the `t=`
 * of `RateLimit` (draft-ietf-httpapi-ratelimit-headers-08, sent by express-rate-limit). Undefined when neither.
 */
export function retryAfterMs(headers: Headers): number | undefined {
  const ra = headers.get('retry-after');
  if (ra && /^\d+$/.test(ra.trim())) return Number(ra.trim()) * 1000;
  const m = /(?:^|[;,\s])t=(\d+)/.exec(headers.get('ratelimit') ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

/** Identity of one log file. */
export interface FileRef {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  file: string;
}

const BASE = 'api/v1';
const enc = encodeURIComponent;

/** URL (relative to the page) of a pod generation. */
export function podUrl(ns: string, pod: string): string {
  return `${BASE}/namespaces/${enc(ns)}/pods/${enc(pod)}`;
}

/** URL of a file's bytes; `extra` is appended as query parameters (always with `uid`). */
export function fileUrl(f: FileRef, suffix = '', extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams({ uid: f.uid });
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return `${podUrl(f.namespace, f.pod)}/containers/${enc(f.container)}/files/${enc(f.file)}${suffix}?${q}`;
}

async function toError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    /* not JSON */
  }
  return new ApiError(res.status, code, message, res.status === 429 || res.status === 503 ? retryAfterMs(res.headers) : undefined);
}

/** The error of a call not sent because the page waits for a token. */
function waitingForToken(): ApiError {
  return new ApiError(401, 'PODLOG_E_UNAUTHENTICATED', 'Sign in with a bearer token to continue.');
}

/**
 * The page's only fetch: adds `Authorization: Bearer <token>` when a token is set, throws
 * {@link ApiError} on network failure or non-2xx. A 401 asks `auth.ts` for a token; while it waits,
 * calls fail at once with a 401 {@link ApiError} without reaching the agent.
 */
export async function request(url: string, init: RequestInit = {}): Promise<Response> {
  if (blocked()) throw waitingForToken();
  const headers = new Headers(init.headers);
  for (const [k, v] of Object.entries(authHeaders())) headers.set(k, v);
  let res: Response;
  try {
    res = await fetch(url, { ...init, headers });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'The agent cannot be reached.');
  }
  if (!res.ok) {
    const err = await toError(res);
    if (err.status === 401) needToken(err.message);
    throw err;
  }
  return res;
}

/** `GET /api/v1/auth/whoami` (does not report a 401 to `auth.ts`: the caller decides). */
export async function whoami(token?: string): Promise<WhoAmI> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`${BASE}/auth/whoami`, { headers, cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The agent cannot be reached.');
  }
  if (!res.ok) throw await toError(res);
  return (await res.json()) as WhoAmI;
}

/** GET JSON. */
export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await request(url, { signal, headers: { accept: 'application/json' } });
  return (await res.json()) as T;
}

/** `GET /api/v1/pods?state=all` (`partial`/`failed_nodes` default to complete when absent). */
export async function listPods(signal?: AbortSignal): Promise<PodListing> {
  const body = await getJson<Partial<PodListing>>(`${BASE}/pods?state=all`, signal);
  return { items: body.items ?? [], partial: !!body.partial, failed_nodes: body.failed_nodes ?? [] };
}

/** `GET /api/v1/namespaces/{ns}/pods/{pod}?uid=` (newest generation when uid is empty). */
export function getPod(ns: string, pod: string, uid: string, signal?: AbortSignal): Promise<ApiPod> {
  return getJson<ApiPod>(`${podUrl(ns, pod)}${uid ? `?uid=${enc(uid)}` : ''}`, signal);
}

/** Forward window: `count` whole lines starting at byte `from`. */
export function linesFrom(f: FileRef, from: number, count: number, signal?: AbortSignal): Promise<ApiLines> {
  return getJson<ApiLines>(fileUrl(f, '/lines', { from, count }), signal);
}

/** Backward window: the `count` whole lines ending before byte `before`. */
export function linesBefore(f: FileRef, before: number, count: number, signal?: AbortSignal): Promise<ApiLines> {
  return getJson<ApiLines>(fileUrl(f, '/lines', { before, count }), signal);
}

/** The last `count` lines of the file (`GET …/files/{file}?tail=N&format=json`). */
export function linesTail(f: FileRef, count: number, signal?: AbortSignal): Promise<ApiLines> {
  return getJson<ApiLines>(fileUrl(f, '', { tail: count, format: 'json' }), signal);
}

/**
 * Read an NDJSON response line by line, calling `onItem` for each parsed object as it arrives.
 * Resolves when the stream ends; rejects with {@link ApiError} on HTTP errors.
 */
export async function streamNdjson(url: string, onItem: (item: unknown) => void, signal?: AbortSignal): Promise<void> {
  const res = await request(url, { signal, headers: { accept: 'application/x-ndjson' } });
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onItem(JSON.parse(line));
    }
  }
  if (buf.trim()) onItem(JSON.parse(buf));
}

/** Search parameters of `/api/v1/search` (empty values are omitted). */
export interface SearchParams {
  q: string;
  regex?: boolean;
  /** Case-sensitive match (the server's default is true). */
  caseSensitive?: boolean;
  namespace?: string;
  pod?: string;
  uid?: string;
  container?: string;
  file?: string;
  limit?: number;
}

/** URL of a search. */
export function searchUrl(p: SearchParams): string {
  const q = new URLSearchParams();
  q.set('q', p.q);
  if (p.regex) q.set('regex', 'true');
  if (p.caseSensitive !== undefined) q.set('case', String(p.caseSensitive));
  for (const k of ['namespace', 'pod', 'uid', 'container', 'file'] as const) {
    const v = p[k];
    if (v) q.set(k, v);
  }
  if (p.limit) q.set('limit', String(p.limit));
  return `${BASE}/search?${q}`;
}

/**
 * Fetch an optional panel (`events`, `diagnosis`, …): resolves `null` when the endpoint is absent or
 * not configured (404/501/503) so the page simply hides the panel.
 */
export async function optional<T>(url: string, signal?: AbortSignal): Promise<T | null> {
  try {
    return await getJson<T>(url, signal);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 501 || e.status === 503 || e.status === 0)) return null;
    throw e;
  }
}
