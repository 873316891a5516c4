/** The start page: what is on this node, and what to do when nothing is. */
import { h, replace } from './dom.ts';
import { fmtAgo } from './format.ts';
import { formatRoute } from './route.ts';
import { snapshot, subscribe } from './store.ts';

/** Render the home page; it follows the store until `signal` aborts. */
export function homePage(signal: AbortSignal): HTMLElement {
  const el = h('section', { class: 'home', 'aria-label': 'Overview' });
  const render = () => {
    const s = snapshot();
    if (s.pods === null) {
      replace(el, s.error ? h('div', { class: 'banner warn', role: 'alert' }, 'Cannot reach the agent yet. Retrying…') : h('p', { class: 'muted' }, 'Loading…'));
      return;
    }
    if (s.pods.length === 0) {
      replace(
        el,
        h('h1', null, 'No pod logs on this node yet'),
        h('p', null, 'podlog shows files that pods write under its root, laid out as ', h('code', null, '<namespace>_<pod>_<uid>/<container>/<file>'), '.'),
        h('p', null, 'Mount the log directory of your Flink pods there (see the manifests) and they appear here within seconds.'),
      );
      return;
    }
    const now = Date.now();
    const count = (st: string[]) => s.views.filter((v) => st.includes(v.state)).length;
    const recent = [...s.views].sort((a, b) => b.pod.lastActivity - a.pod.lastActivity).slice(0, 12);
    replace(
      el,
      h('h1', null, 'This node'),
      h(
        'p',
        { class: 'summary' },
        `${s.pods.length} pod generations: ${count(['running', 'pending'])} running, ${count(['exited'])} exited, ${count(['failed'])} failed, ${count(['deleted'])} deleted. `,
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
      h('p', { class: 'muted' }, 'Keys: / search · g / G start / end · f follow · w wrap · n / N next / previous match.'),
    );
  };
  const off = subscribe(render);
  signal.addEventListener('abort', off);
  render();
  return el;
}
