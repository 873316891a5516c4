import type { IncomingMessage } from 'node:http';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { PodlogError } from '../errors.ts';
import type { AuthConfig } from './config.ts';
import { KubernetesAuth, type Reviews } from './kubernetes.ts';
import { compileTrust, headerValues, proxyUser } from './proxy-headers.ts';
import { TokenFileAuthenticator } from './token-file.ts';
import { ALLOW_ALL, PEER_GROUP_HEADER, PEER_USER_HEADER, type Authenticated, type Verb } from './types.ts';

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated caller, set by {@link authenticate} on every `/api/v1` request. */
    auth?: Authenticated;
  }
}

/** Authenticates one request; one per agent, built by {@link createAuthGate}. */
export interface AuthGate {
  readonly mode: AuthConfig['mode'];
  /**
   * Who is calling?
   * @throws PodlogError `PODLOG_E_UNAUTHENTICATED` (no or invalid credentials), `PODLOG_E_UPSTREAM` (API server unreachable)
   */
  authenticate(req: IncomingMessage): Promise<Authenticated>;
}

/** Dependencies of {@link createAuthGate}. */
export interface AuthGateDeps {
  /** Mode kubernetes: the TokenReview and SubjectAccessReview calls (`clientReviews` of `kube-reviews.ts` over the cluster link). */
  reviews?: Reviews;
  logger: Logger;
}

/** The bearer token of `Authorization: Bearer <token>` (RFC 6750 §2.1), or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(h);
  return m?.[1];
}

function unauthenticated(why: string): PodlogError {
  return new PodlogError('PODLOG_E_UNAUTHENTICATED', why);
}

/**
 * Build the authentication of an agent from `auth`.
 * - `none`: everyone is `system:anonymous` and may read everything.
 * - `token`: `Authorization: Bearer` checked against `auth.tokenFile`.
 * - `kubernetes`: a trusted proxy's user headers (from `auth.trustedProxy.cidrs` only), else the bearer token
 *   by TokenReview; a peer agent's service account (`auth.peerUsers`) may act for the user it names in
 *   `X-Podlog-Remote-User`/`-Group`. Decisions by SubjectAccessReview.
 * @throws PodlogError `PODLOG_E_CONFIG` when the mode's inputs are missing (token file, cluster link) or invalid
 */
export function createAuthGate(cfg: AuthConfig, deps: AuthGateDeps): AuthGate {
  if (cfg.mode === 'none') {
    const anonymous: Authenticated = { identity: { user: 'system:anonymous', groups: ['system:unauthenticated'], source: 'none' }, authorizer: ALLOW_ALL, forward: {} };
    return { mode: 'none', authenticate: async () => anonymous };
  }
  if (cfg.mode === 'token') {
    if (!cfg.tokenFile) throw new PodlogError('PODLOG_E_CONFIG', 'auth.mode token needs auth.tokenFile (a file of tokens and their namespaces)');
    const tokens = new TokenFileAuthenticator(cfg.tokenFile, { onError: (e) => deps.logger.error({ err: e }, 'token file reload failed; keeping the previous tokens') });
    return {
      mode: 'token',
      async authenticate(req) {
        const token = bearerToken(req);
        if (!token) throw unauthenticated('a bearer token is required (Authorization: Bearer <token>)');
        const a = tokens.authenticate(token);
        if (!a) throw unauthenticated('the bearer token is not valid');
        return a;
      },
    };
  }
  const reviews = deps.reviews;
  if (!reviews) throw new PodlogError('PODLOG_E_CONFIG', 'auth.mode kubernetes needs a cluster link (in-cluster config, --kubeconfig or KUBECONFIG)');
  const kube = new KubernetesAuth({ reviews, audiences: cfg.audiences, cacheTtlMs: cfg.cacheTtlMs, cacheMax: cfg.cacheMax, timeoutMs: cfg.reviewTimeoutMs });
  const trust = compileTrust(cfg.trustedProxy.cidrs);
  const peers = new Set(cfg.peerUsers);
  return {
    mode: 'kubernetes',
    async authenticate(req) {
      const viaProxy = proxyUser(trust, req.socket.remoteAddress, req.headers, cfg.trustedProxy);
      if (viaProxy) {
        const identity = { user: viaProxy.user, groups: viaProxy.groups, source: 'proxy' as const };
        return { identity, authorizer: kube.authorizerFor(identity), forward: { onBehalfOf: viaProxy } };
      }
      const token = bearerToken(req);
      if (!token) throw unauthenticated('a bearer token is required (Authorization: Bearer <token>, e.g. from `kubectl create token`)');
      const who = await kube.authenticate(token);
      if (!who) throw unauthenticated('the bearer token is not valid (TokenReview rejected it)');
      const actingFor = headerValues(req.headers, PEER_USER_HEADER)[0];
      if (actingFor && peers.has(who.user)) {
        const identity = { user: actingFor, groups: headerValues(req.headers, PEER_GROUP_HEADER), source: 'peer' as const };
        return { identity, authorizer: kube.authorizerFor(identity), forward: { onBehalfOf: { user: identity.user, groups: identity.groups } } };
      }
      return { identity: who, authorizer: kube.authorizerFor(who), forward: { bearer: token } };
    },
  };
}

/**
 * Express middleware: authenticate the request with `gate` and set `req.auth`. On failure it answers
 * 401 with `WWW-Authenticate: Bearer realm="podlog"` (RFC 6750 §3), after `onFailure` counted it
 * (the failed-authentication limit; it may turn the answer into 429).
 */
export function authenticate(gate: AuthGate, onFailure?: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return async (req, res, next) => {
    try {
      req.auth = await gate.authenticate(req);
    } catch (e) {
      if (e instanceof PodlogError && e.code === 'PODLOG_E_UNAUTHENTICATED') {
        await onFailure?.(req, res);
        res.setHeader('WWW-Authenticate', 'Bearer realm="podlog"');
      }
      throw e;
    }
    next();
  };
}

function authOf(req: Request): Authenticated {
  // Fail closed: a route reached without the authentication middleware is a wiring bug, not an open door.
  if (!req.auth) throw new PodlogError('PODLOG_E_INTERNAL', 'request reached an API route without authentication');
  return req.auth;
}

/**
 * Express middleware for routes under `/namespaces/:ns`: 403 unless the caller may read (`get pods/log`) there.
 * @throws PodlogError `PODLOG_E_FORBIDDEN`, `PODLOG_E_UPSTREAM`
 */
export const requireNamespaceRead: RequestHandler = async (req, _res, next) => {
  const ns = (req.params as Record<string, string>).ns ?? '';
  await assertCan(req, 'read', ns);
  next();
};

/**
 * Throw unless the caller may do `verb` in `namespace`.
 * @throws PodlogError `PODLOG_E_FORBIDDEN`, `PODLOG_E_UPSTREAM`
 */
export async function assertCan(req: Request, verb: Verb, namespace: string): Promise<void> {
  const a = authOf(req);
  if (a.authorizer.unrestricted || (await a.authorizer.can(verb, namespace))) return;
  const what = verb === 'read' ? 'get pods/log' : 'list pods';
  throw new PodlogError('PODLOG_E_FORBIDDEN', `${a.identity.user} may not ${what} in namespace ${namespace}`);
}

/**
 * A predicate keeping the namespaces, among `namespaces`, in which the caller may do `verb`
 * (for listings and searches: what is not allowed is left out, not refused).
 * @throws PodlogError `PODLOG_E_UPSTREAM`
 */
export async function namespaceFilter(req: Request, namespaces: Iterable<string>, verb: Verb): Promise<(ns: string) => boolean> {
  const a = authOf(req);
  if (a.authorizer.unrestricted) return () => true;
  const allowed = await a.authorizer.allowedNamespaces(namespaces, verb);
  return (ns) => allowed.has(ns);
}

/** `GET /auth/whoami` → `{"mode","user","groups"}`: lets the page show who it is and learn whether a token is needed. */
export function authRoutes(gate: AuthGate): Router {
  const r = Router();
  r.get('/auth/whoami', (req, res) => {
    const a = authOf(req);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ mode: gate.mode, user: a.identity.user, groups: a.identity.groups });
  });
  return r;
}
