/**
 * Requests to the Kubernetes API server as plain JSON, over a loaded `KubeConfig`. Each request is made the
 * way client-node's own `Watch` makes one (`dist/watch.js` of 2.x): a `RequestContext`, the config's
 * `applySecurityAuthentication` (bearer token re-read from its file, client certificates, exec and OIDC
 * plugins, proxy and TLS options), then undici's `fetch` with the context's headers and dispatcher.
 * client-node's generated API classes are not used: any one of them loads all of its ~2,700 model classes
 * (PROTOCOLS.md B0). Objects stay as the API server sent them (timestamps are strings).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { fetch } from 'undici';

/** A `Status` object, the API server's error body (PROTOCOLS.md B1). */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: Record<string, unknown>;
}

/** Query parameters; undefined ones are left out, the rest URL-encoded. */
export type KubeQuery = Record<string, string | number | boolean | undefined>;

/** One request to the API server. */
export interface KubeRequest {
  /** Default GET. */
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path from the server's root, segments encoded (build it with `apiPath` of `api-path.ts`), e.g. `/api/v1/pods`. */
  path: string;
  /** `fieldSelector`, `labelSelector`, `limit`, `continue`, `resourceVersion`, ... */
  query?: KubeQuery;
  /** Request body, sent as JSON. */
  body?: unknown;
  /** Aborts the request (and the reading of its answer). */
  signal?: AbortSignal;
  /** Deadline of this request in ms, from the start to the last byte of the answer; default of {@link kubeApi}. */
  timeoutMs?: number;
}

/** Performs one request and resolves to the answer's JSON (see {@link kubeApi}). */
export type KubeApi = <T = unknown>(req: KubeRequest) => Promise<T>;

/** Options of {@link kubeApi}. */
export interface KubeApiOptions {
  /** Deadline of a request that names none, in ms. Default 30,000. */
  timeoutMs?: number;
  /** Largest answer read, in bytes; a longer one fails. Default 64 MiB (a 500-pod list page is a few MB). */
  maxBytes?: number;
}

/** Characters of the server's own message kept in an error's message (the whole `Status` stays in `body`). */
const MAX_MESSAGE = 1000;

/** A non-2xx answer of the API server; its message names the method, the path (without query) and the `Status` reason and message. */
export class KubeApiError extends Error {
  /** The HTTP status (as client-node's `ApiException.code`, so `code === 404` checks work). */
  readonly code: number;
  /** The HTTP status again (as client-node's `Watch` errors carry it). */
  readonly statusCode: number;
  /** The `Status` body, when the server sent one. */
  readonly body: KubeStatus | undefined;

  constructor(method: string, path: string, code: number, body: KubeStatus | undefined, statusText: string) {
    const why = (body?.message ? `${body.reason ? `${body.reason}: ` : ''}${body.message}` : statusText).slice(0, MAX_MESSAGE);
    super(`Kubernetes API ${method} ${path}: HTTP ${code}${why ? ` ${why}` : ''}`);
    this.name = 'KubeApiError';
    this.code = code;
    this.statusCode = code;
    this.body = body;
  }
}

/**
 * The API server of `kc`'s current context as a function of one request: JSON in, JSON out.
 * A request is cut at its deadline or when its signal aborts (the error is the abort reason, e.g. a
 * `TimeoutError` DOMException). Connections are closed once the answer is read (each request gets the
 * dispatcher the config builds for it).
 * @throws Error 'No currently active cluster' when the current context names no cluster
 * @throws KubeApiError for a non-2xx answer: `code` and `statusCode` are the HTTP status, `body` the `Status`
 * @throws Error when a 2xx answer is not JSON or is longer than `maxBytes`; fetch's own errors for the network
 */
export function kubeApi(kc: KubeConfig, opts: KubeApiOptions = {}): KubeApi {
  const defaultTimeoutMs = opts.timeoutMs ?? 30_000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  return async <T>(req: KubeRequest): Promise<T> => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('No currently active cluster');
    const method = req.method ?? 'GET';
    const url = new URL(cluster.server.replace(/\/$/, '') + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), method);
    await kc.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), Accept: 'application/json' };
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    const deadline = AbortSignal.timeout(req.timeoutMs ?? defaultTimeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, deadline]) : deadline;
    const dispatcher = ctx.getDispatcher();
    try {
      const res = await fetch(url, {
        method, headers, signal, ...(dispatcher ? { dispatcher } : {}),
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      });
      const text = await readText(res.body, maxBytes, `${method} ${req.path}`);
      if (res.status < 200 || res.status > 299) {
        throw new KubeApiError(method, req.path, res.status, statusBody(text), res.statusText);
      }
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new Error(`Kubernetes API ${method} ${req.path}: HTTP ${res.status} answer is not JSON`);
      }
    } finally {
      void dispatcher?.close().catch(() => undefined);
    }
  };
}

function statusBody(text: string): KubeStatus | undefined {
  try {
    const j = JSON.parse(text) as unknown;
    return typeof j === 'object' && j !== null ? (j as KubeStatus) : undefined;
  } catch {
    return undefined;
  }
}

/** The body as UTF-8 text, failing past `maxBytes` (the API server's answers are JSON, never binary). */
async function readText(body: AsyncIterable<Uint8Array> | null, maxBytes: number, what: string): Promise<string> {
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of body) {
    n += c.byteLength;
    // Leaving the loop cancels the stream.
    if (n > maxBytes) throw new Error(`Kubernetes API ${what}: answer longer than ${maxBytes} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
