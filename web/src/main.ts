/**
 * podlog's page: the shell (top bar, sidebar browser, main area), hash routing, global keys and
 * theme. Routes are described in `route.ts`.
 */
import { h, replace } from './dom.ts';
import { Browser } from './browser.ts';
import { homePage } from './home.ts';
import { podPage } from './pod-page.ts';
import { flinkLanding, jobPage } from './job-page.ts';
import { formatRoute, parseRoute, type Route } from './route.ts';
import { searchPage } from './search-page.ts';
import { findFile, findPod, refresh, retryDelayMs, snapshot, subscribe } from './store.ts';
import { NO_JOB } from './model.ts';
import { initTheme, themeButton } from './theme.ts';
import { authControl, startAuth } from './auth-ui.ts';
import { installDownloads } from './download.ts';
import { explain, incompleteText, scanningText } from './messages.ts';
import { Viewer } from './viewer/viewer.ts';
import type { FileRef } from './api.ts';

let route: Route = parseRoute(location.hash);
let viewer: Viewer | null = null;
let pageCtrl = new AbortController();

const main = h('main', { class: 'content', id: 'content', tabindex: '-1' });
const browser = new Browser(() => route);
const sideToggle = h('button', { type: 'button', class: 'tb side-toggle', 'aria-label': 'Show or hide the pod list', 'aria-expanded': 'true', text: '☰' });
const topbar = h(
  'header',
  { class: 'topbar' },
  sideToggle,
  h('a', { class: 'brand', href: '#/' }, 'podlog'),
  h('nav', { class: 'topnav', 'aria-label': 'Pages' }, h('a', { href: '#/' }, 'Pods'), h('a', { href: '#/search', 'aria-keyshortcuts': '/' }, 'Search')),
  h('span', { class: 'spacer-flex' }),
  h('span', { class: 'keys-hint muted' }, '/ search · g G start/end · f follow'),
  authControl(),
  themeButton(),
);
const shell = h('div', { class: 'shell' }, browser.el, main);
/** Page-wide connection state: shown under the top bar while the agent cannot be reached. */
const note = h('div', { class: 'note', role: 'status' });
subscribe((s) => {
  const e = s.error;
  note.textContent = !e
    ? incompleteText(s.failedNodes) || scanningText(s.scanning)
    : e.status === 0
      ? `Lost connection to the agent. Retrying every ${Math.round(retryDelayMs() / 1000)} s…`
      : e.status === 401
        ? 'Sign in with a bearer token to see the pods.'
        : `Could not list pods: ${explain(e, s.retryInMs)}`;
});
sideToggle.addEventListener('click', () => {
  const hidden = shell.classList.toggle('no-side');
  sideToggle.setAttribute('aria-expanded', String(!hidden));
});

/** Breadcrumbs of a file for the viewer header. */
function crumbs(ref: FileRef): Node {
  const v = findPod(ref.namespace, ref.pod, ref.uid);
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumbs' },
    h('span', null, ref.namespace),
    ' / ',
    v && v.job !== NO_JOB ? h('a', { href: formatRoute({ kind: 'job', namespace: ref.namespace, job: v.job }) }, v.job) : h('span', null, v?.job ?? '…'),
    ' / ',
    h('a', { href: formatRoute({ kind: 'pod', namespace: ref.namespace, pod: ref.pod, uid: ref.uid }) }, ref.pod),
    v ? h('span', { class: `state st-${v.state}` }, v.state) : null,
    ' / ',
    h('span', null, ref.container),
    ' / ',
    h('strong', null, ref.file),
  );
}

function sameFile(a: FileRef, b: FileRef): boolean {
  return a.namespace === b.namespace && a.pod === b.pod && a.uid === b.uid && a.container === b.container && a.file === b.file;
}

function show(r: Route): void {
  const prev = route;
  route = r;
  if (r.kind === 'file' && viewer && prev.kind === 'file' && sameFile(prev.ref, r.ref)) {
    void viewer.apply(r);
    browser.render();
    return;
  }
  viewer?.destroy();
  viewer = null;
  pageCtrl.abort();
  pageCtrl = new AbortController();
  switch (r.kind) {
    case 'home':
      replace(main, homePage(pageCtrl.signal));
      document.title = 'podlog';
      break;
    case 'pod':
      replace(main, podPage(r.namespace, r.pod, r.uid, pageCtrl.signal));
      document.title = `${r.pod} · podlog`;
      break;
    case 'job':
      replace(main, jobPage(r.namespace, r.job, pageCtrl.signal));
      document.title = `${r.job} · podlog`;
      break;
    case 'flink':
      replace(main, flinkLanding(r, pageCtrl.signal));
      document.title = 'Flink job · podlog';
      break;
    case 'search':
      replace(main, searchPage(r, pageCtrl.signal, navigate));
      document.title = 'Search · podlog';
      break;
    case 'file':
      viewer = new Viewer(r, { fileMeta: (ref) => findFile(ref), crumbs });
      replace(main, viewer.el);
      viewer.focus();
      document.title = `${r.ref.file} · ${r.ref.pod} · podlog`;
      break;
  }
  browser.render();
}

/** Go to a route (adds a history entry). */
export function navigate(r: Route): void {
  const hash = formatRoute(r);
  if (location.hash === hash) show(r);
  else location.hash = hash;
}

window.addEventListener('hashchange', () => show(parseRoute(location.hash)));
subscribe(() => viewer?.refreshMeta());

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
  if (viewer && viewer.key(e)) {
    e.preventDefault();
    return;
  }
  if (e.key === '/') {
    e.preventDefault();
    if (route.kind === 'search') document.getElementById('search-q')?.focus();
    else navigate({ kind: 'search', q: '', regex: false, namespace: '', job: '', pod: route.kind === 'pod' ? route.pod : '' });
  }
});

initTheme();
document.getElementById('app')!.append(topbar, note, shell, h('div', { id: 'announcer', class: 'sr-only', 'aria-live': 'polite' }));
installDownloads();
// First paint: the pod list is asked for at once, beside the sign-in check (a 401 just waits for the
// token), and the start page, which reads only that list and its own optional panels, does not wait
// for the check either. Other pages are shown once it is known whether a token is needed.
void refresh();
const shownEarly = route.kind === 'home';
if (shownEarly) show(route);
void startAuth((first) => {
  if (!first) {
    // Signed in again (token expired, revoked or forgotten): reload the list and the page shown.
    const r = route;
    route = { kind: 'home' };
    viewer?.destroy();
    viewer = null;
    show(r);
    void refresh();
    return;
  }
  const refused = snapshot().error?.status === 401;
  if (!shownEarly || refused) show(route);
  if (refused) void refresh();
});
