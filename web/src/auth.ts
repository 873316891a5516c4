/**
 * The page's bearer token and who it belongs to (contract of `GET /api/v1/auth/whoami`, src/auth/middleware.ts).
 * The token lives only in `sessionStorage` (gone with the tab; never localStorage or cookies) and is sent
 * as `Authorization: Bearer <token>` (RFC 6750 §2.1) by the single fetch wrapper in `api.ts`.
 * While the agent has refused the page (401) and no new token was given, calls are not sent at all, so
 * a waiting page does not spend the agent's per-address budget of failed authentications.
 */

const KEY = 'podlog.token';

/** `GET /api/v1/auth/whoami` → `{mode, user, groups}`. `mode` is `none`, `token` or `kubernetes`. */
export interface WhoAmI {
  mode: string;
  user: string;
  groups: string[];
}

/** What the page knows about its sign-in. */
export interface AuthState {
  /** Answer of the last successful whoami (null until known or after forgetting the token). */
  who: WhoAmI | null;
  /** True while the agent wants a (new) token and none was given yet. */
  needToken: boolean;
  /** Why a token is asked for (the agent's message), for the dialog. */
  reason: string;
}

type Listener = (s: AuthState) => void;

const state: AuthState = { who: null, needToken: false, reason: '' };
const listeners = new Set<Listener>();

function storage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage disabled by the browser
  }
}

/** The token of this tab, or null. */
export function getToken(): string | null {
  return storage()?.getItem(KEY) || null;
}

/** Keep `token` (trimmed; a leading `Bearer ` is dropped) for this tab and allow calls again. */
export function setToken(token: string): void {
  const t = token.trim().replace(/^Bearer\s+/i, '');
  storage()?.setItem(KEY, t);
  state.needToken = false;
  state.reason = '';
  emit();
}

/** Forget the token and ask for a new one. */
export function forgetToken(): void {
  storage()?.removeItem(KEY);
  state.who = null;
  needToken('The token was forgotten.');
}

/** Headers carrying the token (empty object when there is none). */
export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** True while calls must wait for a token (the agent answered 401 and none was entered since). */
export function blocked(): boolean {
  return state.needToken;
}

/** The agent refused the page's credentials (401 `PODLOG_E_UNAUTHENTICATED`): ask for a token. */
export function needToken(reason: string): void {
  if (state.needToken && state.reason === reason) return;
  state.needToken = true;
  state.reason = reason;
  emit();
}

/** Record a successful whoami. */
export function signedIn(who: WhoAmI): void {
  state.who = who;
  state.needToken = false;
  state.reason = '';
  emit();
}

/** Current state. */
export function authState(): AuthState {
  return state;
}

/** Subscribe to changes; returns the unsubscribe function. */
export function onAuth(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(): void {
  for (const fn of listeners) fn(state);
}
