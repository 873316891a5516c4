/**
 * One pod generation: identity, state, age, restarts, exit codes, its containers and files, other
 * generations of the same name, and the optional panels other units add later (`/diagnosis`,
 * `/events`): each panel appears only when its endpoint answers (404/503 hide it).
 */
import { ApiError, getPod, optional, podUrl, type ApiPod } from './api.ts';
import { explain } from './messages.ts';
import { h, replace } from './dom.ts';
import { fmtBytes, fmtTime } from './format.ts';
import { currentFile, NO_JOB, sortFiles, viewPods } from './model.ts';
import { formatRoute } from './route.ts';
import { podBadges } from './browser.ts';
import { diagnosisPanel, worthShowing, type Diagnosis } from './diagnosis.ts';
import { snapshot } from './store.ts';

/** A core/v1 Event as `GET …/pods/{pod}/events` returns it (`{events: Event[]}`, oldest first). */
interface PodEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | number;
  eventTime?: string;
  firstTimestamp?: string;
  series?: { count?: number; lastObservedTime?: string };
  metadata?: { creationTimestamp?: string };
}

function eventTime(e: PodEvent): string {
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  if (t === undefined) return '';
  const ms = typeof t === 'number' ? t : Date.parse(t);
  return Number.isFinite(ms) ? fmtTime(ms) : String(t);
}

/** Render the pod page into a fresh element; loads asynchronously. */
export function podPage(namespace: string, pod: string, uid: string, signal: AbortSignal): HTMLElement {
  const body = h('div', { class: 'pod-body' }, h('p', { class: 'muted' }, 'Loading pod…'));
  const el = h('section', { class: 'pod-page', 'aria-label': `Pod ${pod}` }, body);
  void (async () => {
    let p: ApiPod;
    try {
      p = await getPod(namespace, pod, uid, signal);
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      const why = e instanceof ApiError && e.status !== 404 && e.status !== 410 ? explain(e) : `This pod is not on the node: ${(e as Error).message}`;
      replace(body, h('div', { class: 'banner error', role: 'alert' }, why), h('p', null, h('a', { href: '#/' }, 'Back to all pods')));
      return;
    }
    const now = Date.now();
    const v = viewPods([p], now)[0]!;
    const listed = snapshot().views.find((x) => x.pod.uid === p.uid);
    const job = listed?.job ?? v.job;
    const others = snapshot().views.filter((x) => x.pod.namespace === namespace && x.pod.name === pod && x.pod.uid !== p.uid);
    const diag = h('div', { class: 'panel-slot' });
    const events = h('div', { class: 'panel-slot' });
    replace(
      body,
      h('header', { class: 'pod-head' }, h('div', { class: 'crumbs' }, namespace, ' / ', job === NO_JOB ? job : h('a', { href: formatRoute({ kind: 'job', namespace, job }), title: 'What happened to this job' }, job), ' / '), h('h1', null, p.name), podBadges(listed ?? v, now), h('div', { class: 'uid' }, `uid ${p.uid}`, p.node ? ` · node ${p.node}` : '')),
      diag,
      p.containers.map((c) =>
        h(
          'section',
          { class: 'card' },
          h('h2', null, 'Container ', h('code', null, c.name)),
          c.files.length === 0
            ? h('p', { class: 'muted' }, 'No files yet.')
            : h(
                'table',
                { class: 'files-table' },
                h('thead', null, h('tr', null, h('th', null, 'File'), h('th', null, 'Size'), h('th', null, 'Last modified'), h('th', null, h('span', { class: 'sr-only' }, 'Actions')))),
                h(
                  'tbody',
                  null,
                  sortFiles(c.files).map((f) => {
                    const ref = { namespace, pod, uid: p.uid, container: c.name, file: f.name };
                    return h(
                      'tr',
                      null,
                      h('td', null, h('a', { href: formatRoute({ kind: 'file', ref }) }, f.name), f === currentFile(c.files) && f.live ? h('span', { class: 'badge current' }, 'current') : null, f.kind === 'compressed' ? h('span', { class: 'badge' }, 'gzip') : null),
                      h('td', null, fmtBytes(f.size)),
                      h('td', null, fmtTime(f.mtime)),
                      h('td', null, h('a', { href: `${podUrl(namespace, pod)}/containers/${encodeURIComponent(c.name)}/files/${encodeURIComponent(f.name)}?uid=${encodeURIComponent(p.uid)}&download=1`, download: f.name, 'aria-label': `Download ${f.name}` }, 'Download')),
                    );
                  }),
                ),
              ),
        ),
      ),
      events,
      others.length
        ? h(
            'section',
            { class: 'card' },
            h('h2', null, 'Other generations of this pod'),
            h('ul', null, others.map((o) => h('li', null, h('a', { href: formatRoute({ kind: 'pod', namespace, pod, uid: o.pod.uid }) }, o.pod.uid), ' ', podBadges(o, now)))),
          )
        : null,
    );
    const q = `?uid=${encodeURIComponent(p.uid)}`;
    const [d, ev] = await Promise.all([
      optional<Diagnosis>(`${podUrl(namespace, pod)}/diagnosis${q}`, signal).catch(() => null),
      optional<{ events?: PodEvent[]; items?: PodEvent[] } | PodEvent[]>(`${podUrl(namespace, pod)}/events${q}`, signal).catch(() => null),
    ]);
    if (worthShowing(d)) replace(diag, diagnosisPanel(d, { namespace, pod, uid: p.uid }, p.containers.map((c) => c.name)));
    const list = Array.isArray(ev) ? ev : (ev?.events ?? ev?.items);
    if (list && list.length) {
      replace(
        events,
        h(
          'section',
          { class: 'card', 'aria-label': 'Kubernetes events' },
          h('h2', null, 'Events'),
          h(
            'table',
            { class: 'events' },
            h('tbody', null, list.map((e) => h('tr', { class: e.type === 'Warning' ? 'warn' : '' }, h('td', null, eventTime(e)), h('td', null, e.reason ?? ''), h('td', null, e.message ?? ''), h('td', null, (e.series?.count ?? e.count ?? 0) > 1 ? `×${e.series?.count ?? e.count}` : '')))),
          ),
        ),
      );
    }
  })();
  return el;
}
