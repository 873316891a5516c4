/**
 * The start page: this node (name, disk, from `GET /api/v1/node` when mounted), pods with problems
 * (`GET /api/v1/problems`, when mounted), recently active pods, and what to do when there are none.
 * Optional endpoints that answer 404/503 simply leave their section out.
 */
import { optional } from './api.ts';
import { h, replace } from './dom.ts';
import { fmtAgo, fmtBytes } from './format.ts';
import { formatRoute } from './route.ts';
import { snapshot, subscribe } from './store.ts';

/** `GET /api/v1/node` (src/retention/routes.ts `NodeView`), fields used here. */
interface NodeInfo {
  node?: string;
  roots?: { path: string; fsTotal: number; fsFree: number; bytes: number }[];
}

/** One item of `GET /api/v1/problems`. */
interface Problem {
  namespace: string;
  name: string;
  uid: string;
  severity: string;
  headline: string;
}

/** Render the home page; it follows the store until `signal` aborts. */
export function homePage(signal: AbortSignal): HTMLElement {
  const nodeEl = h('div', { class: 'node-info' });
  const problemsEl = h('div');
  const podsEl = h('div');
  const el = h('section', { class: 'home', 'aria-label': 'Overview' }, h('h1', null, 'This node'), nodeEl, problemsEl, podsEl);
  const render = () => {
    const s = snapshot();
    if (s.pods === null) {
      replace(podsEl, s.error ? h('div', { class: 'banner warn', role: 'alert' }, 'Cannot reach the agent yet. Retrying…') : h('p', { class: 'muted' }, 'Loading…'));
      return;
    }
    if (s.pods.length === 0) {
      replace(
        podsEl,
        h('h2', null, 'No pod logs on this node yet'),
        h('p', null, 'podlog shows the files pods write under its root, laid out as ', h('code', null, '<namespace>_<pod>_<uid>/<container>/<file>'), '.'),
        h('p', null, 'Mount the log directory of your Flink pods there (see the manifests) and they appear here within seconds.'),
      );
      return;
    }
    const now = Date.now();
    const count = (st: string[]) => s.views.filter((v) => st.includes(v.state)).length;
    const recent = [...s.views].sort((a, b) => b.pod.lastActivity - a.pod.lastActivity).slice(0, 12);
    replace(
      podsEl,
      h(
        'p',
        { class: 'summary' },
        `${s.pods.length} pod generations: ${count(['running', 'pending'])} running, ${count(['exited'])} exited, ${count(['failed'])} failed, ${count(['deleted'])} deleted; `,
        `${new Set(s.views.map((v) => `${v.pod.namespace}/${v.job}`)).size} jobs.`,
      ),
      h('h2', null, 'Recently active'),
      h(
        'ul',
        { class: 'recent' },
        recent.map((v) =>
          h(
            'li',
            null,
            h('a', { href: formatRoute({ kind: 'pod', namespace: v.pod.namespace, pod: v.pod.name, uid: v.pod.uid }) }, `${v.pod.namespace} / ${v.pod.name}`),
            ` — ${v.state}, ${fmtAgo(v.pod.lastActivity, now)}`,
          ),
        ),
      ),
      h('p', { class: 'muted' }, 'Keys: / search · g / G start / end · f follow · w wrap · z fold traces · n / N next / previous match.'),
    );
  };
  const off = subscribe(render);
  signal.addEventListener('abort', off);
  render();
  void optional<NodeInfo>('api/v1/node', signal)
    .then((n) => {
      if (!n?.node) return;
      replace(
        nodeEl,
        h('p', null, 'Node ', h('strong', null, n.node)),
        (n.roots ?? []).map((r) => h('p', { class: 'muted' }, `${r.path}: ${fmtBytes(r.bytes)} of logs, ${fmtBytes(r.fsFree)} free of ${fmtBytes(r.fsTotal)}`)),
      );
    })
    .catch(() => undefined);
  void optional<{ items?: Problem[] }>('api/v1/problems', signal)
    .then((p) => {
      const items = p?.items ?? [];
      if (items.length === 0) return;
      replace(
        problemsEl,
        h('h2', null, 'Pods with problems'),
        h(
          'ul',
          { class: 'problems' },
          items.map((x) =>
            h(
              'li',
              null,
              h('span', { class: `sev-badge sev-${x.severity}` }, x.severity),
              ' ',
              h('a', { href: formatRoute({ kind: 'pod', namespace: x.namespace, pod: x.name, uid: x.uid }) }, `${x.namespace} / ${x.name}`),
              ` — ${x.headline}`,
            ),
          ),
        ),
      );
    })
    .catch(() => undefined);
  return el;
}
