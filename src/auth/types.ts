/**
 * Who is calling, and what they may read. Verbs follow Kubernetes RBAC: reading, following
 * and searching a pod's logs is `get pods/log` in its namespace; listing pods is `list pods`.
 */

/** How the caller was authenticated. */
export type IdentitySource = 'none' | 'token' | 'kubernetes' | 'proxy' | 'peer';

/** The authenticated caller. */
export interface Identity {
  /** User name (`system:anonymous` in mode none). */
  user: string;
  /** Groups (Kubernetes groups in mode kubernetes). */
  groups: string[];
  uid?: string;
  /** Extra attributes from TokenReview (`user.extra`), passed on to SubjectAccessReview. */
  extra?: Record<string, string[]>;
  source: IdentitySource;
}

/** What a caller wants to do in a namespace. `read`: get pods/log; `list`: list pods. */
export type Verb = 'read' | 'list';

/** Decisions for one caller. Every method may throw `PODLOG_E_UPSTREAM` when the API server cannot be asked. */
export interface Authorizer {
  /** True when this caller may do everything (mode none): callers may skip filtering. */
  readonly unrestricted: boolean;
  /** May the caller do `verb` in `namespace`? */
  can(verb: Verb, namespace: string): Promise<boolean>;
  /** The subset of `namespaces` in which the caller may do `verb`. */
  allowedNamespaces(namespaces: Iterable<string>, verb: Verb): Promise<Set<string>>;
}

/** How to pass the caller on when this agent proxies the request to the agent holding the files. */
export interface ForwardCredentials {
  /** The caller's own bearer token (the owner re-runs TokenReview on it). */
  bearer?: string;
  /** A caller without a token (trusted proxy): the owner is told the user and groups, signed by our service account. */
  onBehalfOf?: { user: string; groups: string[] };
}

/** The result of authenticating one request. */
export interface Authenticated {
  identity: Identity;
  authorizer: Authorizer;
  forward: ForwardCredentials;
}

/** Authorizer for mode none: everything allowed. */
export const ALLOW_ALL: Authorizer = {
  unrestricted: true,
  can: async () => true,
  allowedNamespaces: async (namespaces) => new Set(namespaces),
};

/** Headers peers use to pass on a proxy-authenticated caller (believed only from a peer service account). */
export const PEER_USER_HEADER = 'x-podlog-remote-user';
/** See {@link PEER_USER_HEADER}; repeated or comma-separated. */
export const PEER_GROUP_HEADER = 'x-podlog-remote-group';
