/**
 * Sign-in of the page when the agent requires authentication (`--auth token|kubernetes`): asks
 * `GET /api/v1/auth/whoami` at start; on 401 `PODLOG_E_UNAUTHENTICATED` (then, or on any later call)
 * shows a modal dialog asking for a bearer token, checks it with whoami and keeps it in
 * `sessionStorage` (`auth.ts`). The top bar shows the user and a "Forget token" button.
 * No inline script or handlers (the agent's CSP): listeners are attached here.
 */
import { ApiError, whoami } from './api.ts';
import { authState, forgetToken, getToken, needToken, onAuth, setToken, signedIn } from './auth.ts';
import { announce, h } from './dom.ts';
import { explain } from './messages.ts';

const input = h('input', {
  type: 'password',
  id: 'token-input',
  name: 'token',
  autocomplete: 'off',
  spellcheck: 'false',
  required: true,
  'aria-describedby': 'token-help token-error',
  class: 'token-input',
});
const error = h('p', { id: 'token-error', class: 'token-error', role: 'alert' });
const reason = h('p', { class: 'muted token-reason' });
const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
const form = h(
  'form',
  { class: 'token-form' },
  h('h2', { id: 'token-title' }, 'Sign in to podlog'),
  reason,
  h('label', { for: 'token-input', id: 'token-help' }, 'Paste a bearer token (e.g. from ', h('code', null, 'kubectl create token <serviceaccount>'), ')'),
  input,
  error,
  h('div', { class: 'token-actions' }, submit),
  h('p', { class: 'muted small' }, 'The token is kept only in this browser tab (session storage) and sent to this agent only.'),
);
const dialog = h('dialog', { class: 'token-dialog', 'aria-labelledby': 'token-title', 'aria-modal': 'true' }, form);

const who = h('span', { class: 'whoami muted' });
const forget = h('button', { type: 'button', class: 'tb forget-token', hidden: true }, 'Forget token');
const signIn = h('button', { type: 'button', class: 'tb sign-in', hidden: true }, 'Sign in');
const control = h('span', { class: 'auth-control' }, who, forget, signIn);

let onSignIn: (first: boolean) => void = () => {};
let started = false;

/** The top bar's sign-in control (user name, "Forget token" / "Sign in"). */
export function authControl(): HTMLElement {
  return control;
}

function render(): void {
  const s = authState();
  const anonymous = !s.who || s.who.mode === 'none';
  who.textContent = s.who && !anonymous ? `Signed in as ${s.who.user}` : '';
  who.title = s.who?.groups.length ? `groups: ${s.who.groups.join(', ')}` : '';
  forget.hidden = !getToken() || s.needToken;
  signIn.hidden = !s.needToken;
  if (s.needToken) openDialog(s.reason);
}

function openDialog(why: string): void {
  reason.textContent = why && why !== 'The token was forgotten.' ? `The agent said: ${why}` : '';
  if (dialog.open) return;
  error.textContent = '';
  input.value = '';
  submit.disabled = false;
  if (!dialog.isConnected) document.body.appendChild(dialog);
  dialog.showModal();
  input.focus();
}

function finish(first: boolean): void {
  if (dialog.open) dialog.close();
  started = true;
  onSignIn(first);
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = input.value.trim().replace(/^Bearer\s+/i, '');
  if (!token) return;
  submit.disabled = true;
  error.textContent = 'Checking the token…';
  whoami(token).then(
    (w) => {
      setToken(token);
      signedIn(w);
      announce(`Signed in as ${w.user}`);
      finish(!started);
    },
    (err: unknown) => {
      submit.disabled = false;
      const a = err instanceof ApiError ? err : new ApiError(0, 'NETWORK', String(err));
      error.textContent = a.status === 401 ? `This token was not accepted: ${a.message}` : explain(a);
      input.select();
    },
  );
});
// The page is of no use without a token: Escape does not dismiss the dialog (the Sign in button reopens it anyway).
dialog.addEventListener('cancel', (e) => e.preventDefault());
forget.addEventListener('click', () => {
  // Reload so nothing read with the token (pod list, lines on screen) stays in the page; the same
  // address opens again once a new token is given.
  forgetToken();
  location.reload();
});
signIn.addEventListener('click', () => openDialog(authState().reason));
onAuth(render);

/**
 * Learn whether a token is needed (whoami with the tab's token, if any). `ready(first)` is called
 * once the page may load (signed in, not needed, or the agent unreachable: the page then shows the
 * outage itself), and again after each later sign-in (`first` false) so the page reloads its data.
 */
export async function startAuth(ready: (first: boolean) => void): Promise<void> {
  onSignIn = ready;
  try {
    signedIn(await whoami(getToken() ?? undefined));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      needToken(getToken() ? e.message : '');
      return; // the dialog calls ready() after sign-in
    }
    // Older agent without whoami (404) or unreachable: carry on; a later 401 still asks for a token.
  }
  finish(true);
}
