import type { IncomingMessage, Server } from 'node:http';
import ipaddr from 'ipaddr.js';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { PodlogError } from '../errors.ts';
import type { AuthConfig } from './config.ts';
import { compileTrust, headerValues, type AddressTrust } from './proxy-headers.ts';

/** Paths the kubelet and Prometheus call: never limited nor logged per request. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The page's Content-Security-Policy as helmet directives: same origin only, no inline
 * script, no framing, no plugins. Inline styles are allowed (the page sets element styles).
 */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

/** The request target as logged: the search text (`q`) and any token-looking parameter replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const i = url.indexOf('?');
  if (i < 0) return url;
  const params = new URLSearchParams(url.slice(i + 1));
  for (const k of [...params.keys()]) if (/^(q|access_token|token|ticket)$/i.test(k)) params.set(k, '[redacted]');
  return `${url.slice(0, i)}?${params.toString()}`;
}

/**
 * The client's address for per-address limits: the socket's, or, when the socket belongs to a configured
 * load balancer (`limits.forwardedForCidrs`), the nearest `X-Forwarded-For` hop that is not one (the
 * rightmost untrusted entry, as proxy-addr does). IPv6 clients are grouped by /56 (express-rate-limit's `ipKeyGenerator`).
 */
export function clientAddressOf(req: IncomingMessage, trusted: AddressTrust): string {
  let addr = req.socket.remoteAddress ?? 'unknown';
  if (trusted(addr)) {
    const hops = headerValues(req.headers, 'x-forwarded-for');
    for (let i = hops.length - 1; i >= 0; i--) {
      addr = hops[i]!;
      if (!trusted(addr)) break;
    }
  }
  return ipaddr.isValid(addr) ? ipKeyGenerator(addr) : 'unknown';
}

/** The failed-authentication limit of one agent: {@link FailedAuthLimit.check} in front, {@link FailedAuthLimit.count} where authentication fails. */
export interface FailedAuthLimit {
  /** Middleware: 429 `PODLOG_E_RATE_LIMITED` with `Retry-After` (seconds) when the caller's address is out of failures for this window; counts nothing. */
  check: RequestHandler;
  /**
   * Count one failed authentication of `req`, now (not when its response ends); sets the `RateLimit` headers on `res`.
   * @throws PodlogError `PODLOG_E_RATE_LIMITED` (with `Retry-After` set) when this failure goes past the limit
   */
  count(req: Request, res: Response): Promise<void>;
}

/**
 * At most `limits.authFailuresPerMinute` failed authentications (401) per client address (see {@link clientAddressOf})
 * in a fixed one-minute window (express-rate-limit's memory store). Only failures count, at the moment they fail:
 * a successful request, however long it stays open (a follow), never uses the budget. Once the budget is used up
 * every request from the address gets 429 before it is authenticated (no token guessing, no TokenReview flood).
 * `opts.unauthenticatedPaths` (default `/healthz`, `/readyz`, `/metrics`) are never refused: they take no credentials.
 */
export function failedAuthLimit(cfg: AuthConfig, opts: { unauthenticatedPaths?: ReadonlySet<string> } = {}): FailedAuthLimit {
  const exempt = opts.unauthenticatedPaths ?? PROBES;
  const lb = compileTrust(cfg.limits.forwardedForCidrs, 'auth.limits.forwardedForCidrs');
  const limit = cfg.limits.authFailuresPerMinute;
  const tooMany = () => new PodlogError('PODLOG_E_RATE_LIMITED', 'too many failed authentications from this address; wait a minute');
  const counter = rateLimit({
    windowMs: 60_000,
    limit,
    keyGenerator: (req) => clientAddressOf(req, lb),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    validate: false,
    handler: (_req, _res, next) => next(tooMany()),
  });
  const check: RequestHandler = async (req, res, next) => {
    if (exempt.has(req.path)) return next();
    const used = await counter.getKey(clientAddressOf(req, lb));
    if (used && used.totalHits >= limit) {
      const left = used.resetTime ? Math.max(1, Math.ceil((used.resetTime.getTime() - Date.now()) / 1000)) : 60;
      res.setHeader('Retry-After', String(left));
      throw tooMany();
    }
    next();
  };
  return {
    check,
    count: (req, res) => new Promise<void>((resolve, reject) => {
      void counter(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    }),
  };
}

/**
 * Middleware for the whole app, mounted right after the request-id middleware:
 * - helmet security headers with {@link CSP_DIRECTIVES}; no CORS headers are ever sent (cross-origin reads are refused by the browser);
 * - pino-http access log: request id, method, redacted URL, status, duration, user — never headers, bodies, or log content;
 * - request target longer than `limits.maxUrlBytes`, or a body larger than `limits.maxBodyBytes`: 400;
 * - an address that used up its failed authentications ({@link failedAuthLimit}): 429 with `Retry-After` until the window passes.
 */
export function frontDoor(cfg: AuthConfig, logger: Logger, failures: FailedAuthLimit = failedAuthLimit(cfg)): Router {
  const r = Router();
  r.use(helmet({ contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES }, strictTransportSecurity: false }));
  r.use(pinoHttp({
    logger: logger.child({ unit: 'http' }),
    genReqId: (req) => (req as Request).id,
    wrapSerializers: false,
    serializers: {
      req: (req: Request) => ({ id: req.id, method: req.method, url: redactUrl(req.originalUrl ?? req.url), remoteAddress: req.socket?.remoteAddress }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (req) => ({ user: (req as Request).auth?.identity.user }),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => PROBES.has((req as Request).path) },
    quietReqLogger: true,
  }));
  r.use(((req, _res, next) => {
    if (Buffer.byteLength(req.originalUrl) > cfg.limits.maxUrlBytes) throw new PodlogError('PODLOG_E_BAD_PARAM', `the request target is longer than ${cfg.limits.maxUrlBytes} bytes`);
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > cfg.limits.maxBodyBytes || (req.headers['transfer-encoding'] !== undefined && cfg.limits.maxBodyBytes === 0)) {
      throw new PodlogError('PODLOG_E_BAD_PARAM', `the request body is larger than ${cfg.limits.maxBodyBytes} bytes`);
    }
    next();
  }) as RequestHandler);
  r.use(failures.check);
  return r;
}

/** The key of a client for limits: its user, or its address when anonymous; requests a peer forwards count apart. */
function clientKey(req: Request, lb: AddressTrust): string {
  const id = req.auth?.identity;
  const who = id && id.source !== 'none' ? `u:${id.user}` : `a:${clientAddressOf(req, lb)}`;
  return req.get('x-podlog-forwarded-by') ? `${who}|fwd` : who;
}

/**
 * Per-client limits for `/api/v1`, mounted after authentication: `limits.requestsPerMinute`
 * (express-rate-limit, fixed window, `RateLimit` headers of draft-ietf-httpapi-ratelimit-headers-08) and
 * `limits.concurrentPerClient` requests in progress (released when the response closes). Either answers 429.
 */
export function clientLimits(cfg: AuthConfig): RequestHandler[] {
  const lb = compileTrust(cfg.limits.forwardedForCidrs, 'auth.limits.forwardedForCidrs');
  const rate = rateLimit({
    windowMs: 60_000,
    limit: cfg.limits.requestsPerMinute,
    keyGenerator: (req) => clientKey(req, lb),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    validate: false,
    handler: (_req, _res, next) => next(new PodlogError('PODLOG_E_RATE_LIMITED', `more than ${cfg.limits.requestsPerMinute} requests in a minute; slow down`)),
  });
  const inFlight = new Map<string, number>();
  const concurrency: RequestHandler = (req, res, next) => {
    const key = clientKey(req, lb);
    const n = inFlight.get(key) ?? 0;
    if (n >= cfg.limits.concurrentPerClient) throw new PodlogError('PODLOG_E_RATE_LIMITED', `more than ${cfg.limits.concurrentPerClient} requests in progress; close some streams`);
    inFlight.set(key, n + 1);
    let released = false;
    res.once('close', () => {
      if (released) return;
      released = true;
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left <= 0) inFlight.delete(key);
      else inFlight.set(key, left);
    });
    next();
  };
  return [rate, concurrency];
}

/**
 * Server-level timeouts: `headersTimeout` bounds a slow client's headers, `keepAliveTimeout`
 * idle sockets; `requestTimeout` is 0 because follow and search streams are long-lived and each route
 * bounds its own work. `maxRequestsPerSocket` bounds one keep-alive connection.
 */
export function hardenServer(server: Server, opts: { headersTimeoutMs?: number; keepAliveTimeoutMs?: number } = {}): void {
  server.headersTimeout = opts.headersTimeoutMs ?? 30_000;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  server.requestTimeout = 0;
  server.maxRequestsPerSocket = 1000;
  server.timeout = 0;
}
