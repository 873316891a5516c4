import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { PodlogError } from '../errors.ts';
import type { Authorizer, Identity, Verb } from './types.ts';

/** A TokenReview answer (authentication.k8s.io/v1, PROTOCOLS.md B5). */
export type TokenReviewResult =
  | { authenticated: true; user: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> } }
  | { authenticated: false };

/** The two review calls, as podlog uses them; tests may pass their own. */
export interface Reviews {
  /** POST tokenreviews: is this bearer token valid, and whose is it? */
  tokenReview(token: string, audiences: string[]): Promise<TokenReviewResult>;
  /** POST subjectaccessreviews: may `who` do `attrs`? */
  accessReview(who: Identity, attrs: ResourceAttributes): Promise<boolean>;
}

/** SubjectAccessReview `spec.resourceAttributes` (`namespace: ''` = all namespaces). */
export interface ResourceAttributes {
  namespace: string;
  verb: 'get' | 'list';
  group: '';
  resource: 'pods';
  subresource?: 'log';
}

/** Options of {@link KubernetesAuth}. */
export interface KubernetesAuthOptions {
  reviews: Reviews;
  audiences: string[];
  /** Reuse answers this long (ms). */
  cacheTtlMs: number;
  /** Most answers kept per cache (LRU). */
  cacheMax: number;
  /** Deadline of one review call (ms). */
  timeoutMs: number;
}

/**
 * The Kubernetes verbs podlog asks about: reading, following and searching logs is
 * `get pods/log`; listings are `list pods`. Same attributes as `kubectl logs` / `kubectl get pods`.
 */
export function attributesFor(verb: Verb, namespace: string): ResourceAttributes {
  return verb === 'read'
    ? { namespace, verb: 'get', group: '', resource: 'pods', subresource: 'log' }
    : { namespace, verb: 'list', group: '', resource: 'pods' };
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PodlogError('PODLOG_E_UPSTREAM', `the Kubernetes API server did not answer the ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function upstream(what: string) {
  return (e: unknown): never => {
    if (e instanceof PodlogError) throw e;
    const code = (e as { code?: unknown })?.code;
    throw new PodlogError('PODLOG_E_UPSTREAM', `the ${what} failed${typeof code === 'number' ? ` (HTTP ${code})` : ''}; see the agent log`, { cause: e });
  };
}

/**
 * Mode `kubernetes`: TokenReview for the caller's bearer token, SubjectAccessReview per decision, both
 * cached (TTL `cacheTtlMs`, LRU bounded by `cacheMax`; concurrent identical questions share one call).
 * Failures of the API server are not cached and surface as `PODLOG_E_UPSTREAM` (502).
 * The agent's service account needs ClusterRole `system:auth-delegator` (PROTOCOLS.md B5).
 */
export class KubernetesAuth {
  readonly #tokens: LRUCache<string, TokenReviewResult, string>;
  readonly #decisions: LRUCache<string, boolean, { who: Identity; attrs: ResourceAttributes }>;
  readonly #limit = pLimit(8);

  constructor(opts: KubernetesAuthOptions) {
    this.#tokens = new LRUCache({
      max: opts.cacheMax,
      ttl: opts.cacheTtlMs,
      fetchMethod: (_key, _stale, { context }) =>
        timeout(opts.reviews.tokenReview(context, opts.audiences), opts.timeoutMs, 'TokenReview').catch(upstream('TokenReview')),
    });
    this.#decisions = new LRUCache({
      max: opts.cacheMax,
      ttl: opts.cacheTtlMs,
      fetchMethod: (_key, _stale, { context }) =>
        timeout(opts.reviews.accessReview(context.who, context.attrs), opts.timeoutMs, 'SubjectAccessReview').catch(upstream('SubjectAccessReview')),
    });
  }

  /**
   * Authenticate a bearer token with a TokenReview (cached by the token's SHA-256).
   * @returns the identity, or undefined when the API server says the token is not valid
   * @throws PodlogError `PODLOG_E_UPSTREAM` when the API server cannot be asked
   */
  async authenticate(token: string): Promise<Identity | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const r = await this.#tokens.fetch(key, { context: token });
    if (!r?.authenticated) return undefined;
    return { user: r.user.username, groups: r.user.groups, uid: r.user.uid, extra: r.user.extra, source: 'kubernetes' };
  }

  /** May `who` do `verb` in `namespace` (`''` = in every namespace)? Cached. @throws PodlogError `PODLOG_E_UPSTREAM` */
  async can(who: Identity, verb: Verb, namespace: string): Promise<boolean> {
    const attrs = attributesFor(verb, namespace);
    const key = JSON.stringify([who.user, who.uid ?? '', [...who.groups].sort(), who.extra ?? {}, attrs]);
    return (await this.#decisions.fetch(key, { context: { who, attrs } })) === true;
  }

  /** The per-request {@link Authorizer} for `who`: a cluster-wide permission short-cuts per-namespace reviews. */
  authorizerFor(who: Identity): Authorizer {
    return {
      unrestricted: false,
      can: (verb, ns) => this.can(who, verb, ns),
      allowedNamespaces: async (namespaces, verb) => {
        const all = [...new Set(namespaces)];
        if (all.length === 0) return new Set();
        if (await this.can(who, verb, '')) return new Set(all);
        const ok = await Promise.all(all.map((ns) => this.#limit(() => this.can(who, verb, ns))));
        return new Set(all.filter((_, i) => ok[i]));
      },
    };
  }
}
