import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { parseYaml } from '../config/yaml.ts';
import { z } from 'zod';
import { PodlogError } from '../errors.ts';
import type { Authenticated, Authorizer, Verb } from './types.ts';

/** One entry of the token file: the token itself or its SHA-256 (hex), the user, and the namespaces it may read (`*` = all). */
const Entry = z.strictObject({
  token: z.string().min(16).optional(),
  tokenSha256: z.string().regex(/^[0-9a-f]{64}$/i).optional(),
  user: z.string().min(1),
  groups: z.array(z.string()).default([]),
  namespaces: z.array(z.string().min(1)).min(1),
}).refine((e) => (e.token === undefined) !== (e.tokenSha256 === undefined), { message: 'give exactly one of token, tokenSha256' });

const FileSchema = z.strictObject({ tokens: z.array(Entry) });

interface TokenGrant {
  user: string;
  groups: string[];
  namespaces: ReadonlySet<string>;
}

/** SHA-256 of a token, hex: the map key (lookup by digest, so no secret-dependent string compare). */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Parse a token file's text (YAML or JSON):
 * `tokens: [{token: "…" (≥16 chars) | tokenSha256: "<hex>", user: alice, groups?: [...], namespaces: [team-a, …] | ["*"]}]`.
 * @returns grants by token digest
 * @throws PodlogError `PODLOG_E_CONFIG` naming the bad entry
 */
export function parseTokenFile(text: string, source = 'token file'): Map<string, TokenGrant> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new PodlogError('PODLOG_E_CONFIG', `${source} is not valid YAML/JSON: ${(e as Error).message}`);
  }
  const res = FileSchema.safeParse(doc);
  if (!res.success) {
    const why = res.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw new PodlogError('PODLOG_E_CONFIG', `${source}: ${why}`);
  }
  const out = new Map<string, TokenGrant>();
  for (const e of res.data.tokens) {
    const digest = e.tokenSha256?.toLowerCase() ?? tokenDigest(e.token!);
    out.set(digest, { user: e.user, groups: e.groups, namespaces: new Set(e.namespaces) });
  }
  return out;
}

function grantAuthorizer(g: TokenGrant): Authorizer {
  const all = g.namespaces.has('*');
  const can = (_verb: Verb, ns: string) => all || g.namespaces.has(ns);
  return {
    unrestricted: all,
    can: async (verb, ns) => can(verb, ns),
    allowedNamespaces: async (nss, verb) => new Set([...nss].filter((ns) => can(verb, ns))),
  };
}

/**
 * Static bearer tokens from a mounted file (mode `token`). The file is read at construction and re-read
 * when its mtime or size changes (a Secret update), checked at most every `recheckMs`.
 * A file that becomes invalid keeps the last good table (and the error is reported through `onError`).
 */
export class TokenFileAuthenticator {
  readonly #path: string;
  readonly #recheckMs: number;
  readonly #onError: (e: unknown) => void;
  #grants: Map<string, TokenGrant>;
  #stamp: string;
  #checkedAt = 0;

  /** @throws PodlogError `PODLOG_E_CONFIG` when the file cannot be read or is invalid at start. */
  constructor(path: string, opts: { recheckMs?: number; onError?: (e: unknown) => void } = {}) {
    this.#path = path;
    this.#recheckMs = opts.recheckMs ?? 5000;
    this.#onError = opts.onError ?? (() => {});
    this.#stamp = this.#statStamp();
    this.#grants = this.#read();
    this.#checkedAt = Date.now();
  }

  #statStamp(): string {
    try {
      const s = statSync(this.#path);
      return `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (e) {
      throw new PodlogError('PODLOG_E_CONFIG', `cannot read auth.tokenFile ${this.#path}: ${(e as Error).message}`);
    }
  }

  #read(): Map<string, TokenGrant> {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch (e) {
      throw new PodlogError('PODLOG_E_CONFIG', `cannot read auth.tokenFile ${this.#path}: ${(e as Error).message}`);
    }
    return parseTokenFile(text, `auth.tokenFile ${this.#path}`);
  }

  #maybeReload(): void {
    const now = Date.now();
    if (now - this.#checkedAt < this.#recheckMs) return;
    this.#checkedAt = now;
    try {
      const stamp = this.#statStamp();
      if (stamp === this.#stamp) return;
      this.#grants = this.#read();
      this.#stamp = stamp;
    } catch (e) {
      this.#onError(e);
    }
  }

  /**
   * Authenticate a bearer token.
   * @returns the caller, or undefined when the token is unknown
   */
  authenticate(token: string): Authenticated | undefined {
    this.#maybeReload();
    const g = this.#grants.get(tokenDigest(token));
    if (!g) return undefined;
    return { identity: { user: g.user, groups: g.groups, source: 'token' }, authorizer: grantAuthorizer(g), forward: { bearer: token } };
  }
}
