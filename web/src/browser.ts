/**
 * The browser of the node's logs (left column): a filter box, a running/finished/all switch, and
 * the tree namespaces → jobs → pods → containers → files, each level sorted by last activity.
 * Each pod shows its state, age (or last activity) and, when known, restarts and exit code; the
 * current file of each container is marked and every file shows its size and last modification.
 */
import type { ApiPod } from './api.ts';
import { h, replace } from './dom.ts';
import { fmtAgo, fmtBytes, fmtDuration, fmtTime } from './format.ts';
import { currentFile, groupPods, NO_JOB, sortFiles, type PodView, type StateFilter } from './model.ts';
import { formatRoute, type Route } from './route.ts';
import { snapshot, subscribe } from './store.ts';

/** Badge for a pod's state, with restarts and exit code when known. */
export function podBadges(v: PodView, now: number): HTMLElement {
  return h(
    'span',
    { class: 'badges' },
    h('span', { class: `state st-${v.state}`, title: `State: ${v.state}` }, v.state),
    v.createdAt ? h('span', { class: 'age', title: `Started ${fmtTime(v.createdAt)}` }, fmtDuration(now - v.createdAt)) : null,
    h('span', { class: 'age', title: `Last written ${fmtTime(v.pod.lastActivity)}` }, fmtAgo(v.pod.lastActivity, now)),
    v.restarts !== undefined && v.restarts > 0 ? h('span', { class: 'restarts', title: 'Container restarts' }, `↻${v.restarts}`) : null,
    v.exitCode !== undefined ? h('span', { class: `exit${v.exitCode === 0 ? '' : ' bad'}`, title: 'Exit code' }, `exit ${v.exitCode}`) : null,
    v.pod.priority !== undefined && v.pod.priority !== '' ? h('span', { class: 'prio', title: 'Shipping priority of its job' }, String(v.pod.priority)) : null,
  );
}

/** The sidebar. `current()` is the route on screen (to mark and expand it). */
export class Browser {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly filter: HTMLInputElement;
  private stateFilter: StateFilter = 'all';
  private readonly expanded = new Set<string>();

  private readonly current: () => Route;

  constructor(current: () => Route) {
    this.current = current;
    this.filter = h('input', { type: 'search', class: 'filter', placeholder: 'Filter pods, jobs, files', 'aria-label': 'Filter pods, jobs and files' });
    this.filter.addEventListener('input', () => this.render());
    const seg = h('div', { class: 'seg', role: 'radiogroup', 'aria-label': 'Pod state' });
    for (const s of ['all', 'running', 'finished'] as const) {
      const b = h('button', { type: 'button', role: 'radio', 'aria-checked': String(s === this.stateFilter), text: s[0]!.toUpperCase() + s.slice(1) });
      b.addEventListener('click', () => {
        this.stateFilter = s;
        for (const c of seg.children) c.setAttribute('aria-checked', String(c === b));
        this.render();
      });
      seg.appendChild(b);
    }
    this.list = h('nav', { class: 'tree', 'aria-label': 'Pods on this node' });
    this.el = h('aside', { class: 'sidebar' }, h('div', { class: 'side-controls' }, this.filter, seg), this.list);
    subscribe(() => this.render());
    this.render();
  }

  /** Focus the filter box. */
  focusFilter(): void {
    this.filter.focus();
    this.filter.select();
  }

  private lastKey = '';

  /** Re-render from the store (skipped when nothing shown would change, so focus stays put). */
  render(): void {
    const s = snapshot();
    const now = Date.now();
    const key = `${Math.floor(now / 30_000)}|${this.filter.value}|${this.stateFilter}|${location.hash.split('?')[0]}|${s.error?.code ?? ''}|${[...this.expanded].join(',')}|${JSON.stringify(s.pods)}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (s.pods === null) {
      if (!s.error) replace(this.list, h('p', { class: 'muted' }, 'Loading pods…'));
      return;
    }
    if (s.pods.length === 0) {
      replace(this.list, h('p', { class: 'muted empty' }, 'No pod logs on this node yet.'));
      return;
    }
    const groups = groupPods(s.views, this.filter.value, this.stateFilter);
    if (groups.length === 0) {
      replace(this.list, h('p', { class: 'muted' }, 'Nothing matches the filter.'));
      return;
    }
    const cur = this.current();
    const curPod = cur.kind === 'file' ? cur.ref : cur.kind === 'pod' ? { namespace: cur.namespace, pod: cur.pod, uid: cur.uid } : null;
    const filtering = this.filter.value.trim() !== '';
    replace(
      this.list,
      groups.map((ns) =>
        h(
          'section',
          { class: 'ns' },
          h('h2', { class: 'ns-name' }, h('span', { class: 'kind' }, 'namespace'), ns.name),
          ns.jobs.map((job) =>
            h(
              'section',
              { class: 'job' },
              h(
                'h3',
                { class: 'job-name' },
                h('span', { class: 'kind' }, 'job'),
                job.name === NO_JOB ? job.name : h('a', { class: 'job-link', href: formatRoute({ kind: 'job', namespace: ns.name, job: job.name }), title: 'What happened to this job' }, job.name),
                h('a', { class: 'job-search', href: formatRoute({ kind: 'search', q: '', regex: false, namespace: ns.name, job: job.name, pod: '' }), 'aria-label': `Search job ${job.name}`, title: 'Search this job' }, '⌕'),
              ),
              h(
                'ul',
                { class: 'pods' },
                job.pods.map((v) => this.podItem(v, now, curPod, filtering)),
              ),
            ),
          ),
        ),
      ),
    );
  }

  private podItem(v: PodView, now: number, cur: { namespace: string; pod: string; uid: string } | null, filtering: boolean): HTMLElement {
    const p = v.pod;
    const key = `${p.namespace}/${p.name}/${p.uid}`;
    const isCur = !!cur && cur.namespace === p.namespace && cur.pod === p.name && (cur.uid === p.uid || cur.uid === '');
    // The pod on screen starts open; the set records pods whose default the user flipped.
    const open = filtering || this.expanded.has(key) !== isCur;
    const toggle = h('button', { type: 'button', class: 'twisty', 'aria-expanded': String(open), 'aria-label': `${open ? 'Collapse' : 'Expand'} ${p.name}`, text: open ? '▾' : '▸' });
    toggle.addEventListener('click', () => {
      if (this.expanded.has(key)) this.expanded.delete(key);
      else this.expanded.add(key);
      this.render();
    });
    return h(
      'li',
      { class: `pod${isCur ? ' current' : ''}` },
      h(
        'div',
        { class: 'pod-line' },
        toggle,
        h('a', { class: 'pod-name', href: formatRoute({ kind: 'pod', namespace: p.namespace, pod: p.name, uid: p.uid }), 'aria-current': isCur ? 'page' : false, title: `${p.name} (uid ${p.uid})` }, p.name),
        v.component ? h('span', { class: 'comp' }, v.component === 'jobmanager' ? 'JM' : v.component === 'taskmanager' ? 'TM' : v.component) : null,
        p.node ? h('span', { class: 'badge node', title: `On node ${p.node}` }, p.node) : null,
      ),
      podBadges(v, now),
      open ? this.containers(p, cur) : null,
    );
  }

  private containers(p: ApiPod, cur: unknown): HTMLElement {
    const c0 = cur as { container?: string; file?: string } | null;
    return h(
      'ul',
      { class: 'containers' },
      p.containers.map((c) => {
        const curFile = currentFile(c.files);
        return h(
          'li',
          { class: 'container' },
          h('span', { class: 'cname' }, h('span', { class: 'kind' }, 'container'), c.name),
          h(
            'ul',
            { class: 'files' },
            sortFiles(c.files).map((f) => {
              const isOpen = c0?.container === c.name && c0?.file === f.name;
              return h(
                'li',
                { class: `file${f === curFile ? ' is-current' : ''}${isOpen ? ' open' : ''}` },
                h('a', { href: formatRoute({ kind: 'file', ref: { namespace: p.namespace, pod: p.name, uid: p.uid, container: c.name, file: f.name } }), 'aria-current': isOpen ? 'page' : false }, f.name),
                f === curFile && f.live ? h('span', { class: 'badge current', title: 'The file the container writes to now' }, 'current') : null,
                h('span', { class: 'fmeta', title: `Modified ${fmtTime(f.mtime)}` }, `${fmtBytes(f.size)} · ${fmtTime(f.mtime)}`),
              );
            }),
          ),
        );
      }),
    );
  }
}
