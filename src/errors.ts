/**
 * The closed set of podlog error codes. Each code maps to exactly one HTTP status; the HTTP layer
 * renders any {@link PodlogError} as `{"error":{"code","message"}}` with that status.
 * README.md lists every code (a test fails when one is missing). Pattern after Fastify's `lib/errors.js`.
 */
export const ERROR_CODES = {
  /** A query or path parameter is missing, malformed or out of range. */
  PODLOG_E_BAD_PARAM: 400,
  /** A user-supplied regular expression does not compile (RE2 syntax). */
  PODLOG_E_BAD_REGEX: 400,
  /** A path parameter would leave the configured roots (`..`, `/`, NUL, encoded slash). */
  PODLOG_E_BAD_PATH: 400,
  /** Authentication is required and was not given or is invalid. */
  PODLOG_E_UNAUTHENTICATED: 401,
  /** The caller may not read this namespace. */
  PODLOG_E_FORBIDDEN: 403,
  /** No such namespace, pod, container or file on this node (a pod folder that is a link is no pod). */
  PODLOG_E_NOT_FOUND: 404,
  /** The name exists in a pod's folder but is no regular file podlog will read (symlink, FIFO, socket, device, folder), or its container folder is a link. */
  PODLOG_E_NOT_REGULAR: 404,
  /** The file is binary and cannot be shown as lines. */
  PODLOG_E_BINARY: 415,
  /** The requested byte range lies outside the file. */
  PODLOG_E_RANGE: 416,
  /** The file vanished (deleted or rotated away) while being read. */
  PODLOG_E_GONE: 410,
  /** Too many requests from this client. */
  PODLOG_E_RATE_LIMITED: 429,
  /** A configuration value is invalid (raised at start-up, never over HTTP in normal operation). */
  PODLOG_E_CONFIG: 500,
  /** An unexpected internal failure; the message never carries a stack trace. */
  PODLOG_E_INTERNAL: 500,
  /** A dependency (Kubernetes API, Elasticsearch, a peer agent) is unreachable or failed. */
  PODLOG_E_UPSTREAM: 502,
  /** A feature is not configured on this agent (no cluster link, no Elasticsearch). */
  PODLOG_E_UNAVAILABLE: 503,
  /** A search hit its deadline before its byte budget. */
  PODLOG_E_TIMEOUT: 504,
} as const;

/** One of the declared error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * An error with a declared podlog code. `status` is derived from the code, never chosen ad hoc.
 * @param code one of {@link ERROR_CODES}
 * @param message a sentence for the user: what was wrong and, where useful, what is accepted
 */
export class PodlogError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PodlogError';
    this.code = code;
    this.status = ERROR_CODES[code];
  }
}

/** True when `e` is a {@link PodlogError}. */
export function isPodlogError(e: unknown): e is PodlogError {
  return e instanceof PodlogError;
}
