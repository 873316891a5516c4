import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isPodlogError, PodlogError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';

/** Body of every error response: `{"error":{"code","message"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** Render a {@link PodlogError} (or any error, as `PODLOG_E_INTERNAL`) as JSON with its declared status. Never sends a stack trace. */
export function errorHandler(logger: Logger, metrics: Metrics): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const e = toPodlogError(err);
    metrics.errors.inc({ code: e.code });
    if (e.status >= 500) logger.error({ err, reqId: req.id, code: e.code }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body: ErrorBody = { error: { code: e.code, message: e.message } };
    res.status(e.status).type('application/json').send(JSON.stringify(body));
  };
}

/** Map errors thrown by express' body/query parsers and node to podlog codes. */
export function toPodlogError(err: unknown): PodlogError {
  if (isPodlogError(err)) return err;
  const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
  if (status === 400) return new PodlogError('PODLOG_E_BAD_PARAM', (err as Error).message);
  if (status === 416) return new PodlogError('PODLOG_E_RANGE', 'requested range not satisfiable');
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new PodlogError('PODLOG_E_GONE', 'the file vanished while it was being read');
  return new PodlogError('PODLOG_E_INTERNAL', 'internal error; see the agent log');
}

/** 404 for any unmatched `/api` route, in the JSON error shape. */
export const notFoundApi: RequestHandler = (req, _res, next) => {
  next(new PodlogError('PODLOG_E_NOT_FOUND', `no such API route: ${req.method} ${req.path}`));
};
