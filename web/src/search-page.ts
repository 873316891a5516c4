/**
 * Search page: a query (literal or RE2 regex) over a namespace, a job (its pods) or one pod, via
 * `GET /api/v1/search` (NDJSON). Hits are shown as they stream in; each opens the viewer at its
 * byte offset with the line highlighted. A job is searched as one request per pod of the job.
 */
import { ApiError, searchUrl, streamNdjson, type SearchDone, type SearchHit } from './api.ts';
import { h, replace } from './dom.ts';
import { fmtBytes } from './format.ts';
import { formatRoute, type Route } from './route.ts';
import { snapshot, subscribe, whenLoaded } from './store.ts';
import { findRegExp } from './viewer/find.ts';
import { markText } from './viewer/row.ts';
import { esResults } from './es-results.ts';
import { explain, incompleteText } from './messages.ts';

/** Most hits shown per search. */
export const HIT_LIMIT = 1000;

/** What each `stopped_by` of the search summary means to a user. */
const STOP_WORDS: Record<string, string> = {
  limit: `the first ${HIT_LIMIT} matches are shown`,
  budget: 'the agent\'s byte budget per search was used up',
  deadline: 'the agent\'s time limit per search was reached',
  aborted: 'cancelled',
};

type SearchRoute = Extract<Route, { kind: 'search' }>;

/** Render the search page for `r`; runs the search when `r.q` is set. Stops when `signal` aborts. */
export function searchPage(r: SearchRoute, signal: AbortSignal, navigate: (r: Route) => void): HTMLElement {
  const q = h('input', { type: 'search', name: 'q', class: 'q', value: r.q, placeholder: 'Text to find, e.g. OutOfMemoryError', 'aria-label': 'Search text', required: true, id: 'search-q' });
  const regex = h('input', { type: 'checkbox', name: 'regex', checked: r.regex, id: 'search-regex' });
  const cs = h('input', { type: 'checkbox', name: 'cs', checked: !!r.cs, id: 'search-cs' });
  const ns = h('select', { 'aria-label': 'Namespace' });
  const job = h('select', { 'aria-label': 'Job' });
  /** Fill the namespace and job lists from the pod list (it may arrive after the page). */
  const fill = () => {
    const views = snapshot().views;
    const nsVal = ns.value || r.namespace;
    const jobVal = job.value || r.job;
    const namespaces = [...new Set([...views.map((v) => v.pod.namespace), r.namespace].filter(Boolean))].sort();
    ns.replaceChildren(h('option', { value: '' }, 'All namespaces'), ...namespaces.map((n) => h('option', { value: n }, n)));
    ns.value = nsVal;
    const jobs = [...new Set([...views.filter((v) => !ns.value || v.pod.namespace === ns.value).map((v) => v.job), r.job].filter(Boolean))].sort();
    job.replaceChildren(h('option', { value: '' }, 'All jobs'), ...jobs.map((j) => h('option', { value: j }, j)));
    job.value = jobs.includes(jobVal) ? jobVal : '';
  };
  fill();
  ns.addEventListener('change', fill);
  const off = subscribe(fill);
  signal.addEventListener('abort', off);
  const pod = h('input', { type: 'text', value: r.pod, placeholder: 'Pod name (optional)', 'aria-label': 'Pod name', list: 'pod-names' });
  const podNames = h('datalist', { id: 'pod-names' }, [...new Set(snapshot().views.map((v) => v.pod.name))].sort().map((n) => h('option', { value: n })));
  const form = h(
    'form',
    { class: 'search-form', role: 'search' },
    q,
    h('label', { class: 'check', title: 'RE2 syntax' }, regex, ' Regex'),
    h('label', { class: 'check' }, cs, ' Match case'),
    ns,
    job,
    pod,
    podNames,
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate({ kind: 'search', q: q.value, regex: regex.checked, cs: cs.checked, namespace: ns.value, job: job.value, pod: pod.value.trim() });
  });
  const status = h('p', { class: 'search-status', role: 'status' });
  const results = h('ol', { class: 'hits', 'aria-label': 'Search results' });
  const history = h('section', { class: 'es-results', 'aria-label': 'Cluster history' });
  const el = h('section', { class: 'search-page', 'aria-label': 'Search' }, h('h1', null, 'Search'), form, status, results, history);
  if (r.q) {
    void run(r, status, results, signal);
    void esResults(r, history, highlighter(r), signal);
  }
  else status.textContent = 'Search the log files of this node. Results stream in as they are found.';
  queueMicrotask(() => q.focus());
  return el;
}

/** Expression marking matches in results (null when the query is not a valid JS regex). */
function highlighter(r: SearchRoute): RegExp | null {
  try {
    const flags = r.cs ? 'g' : 'gi';
    return r.regex ? new RegExp(r.q, flags) : new RegExp(findRegExp(r.q).source, flags);
  } catch {
    return null;
  }
}

async function run(r: SearchRoute, status: HTMLElement, results: HTMLElement, signal: AbortSignal): Promise<void> {
  if (r.job) {
    status.textContent = 'Loading the pods of the job…';
    await whenLoaded();
    if (signal.aborted) return;
  }
  const views = snapshot().views;
  let scopes: { namespace?: string; pod?: string }[];
  if (r.pod) scopes = [{ namespace: r.namespace || undefined, pod: r.pod }];
  else if (r.job) {
    const pods = views.filter((v) => v.job === r.job && (!r.namespace || v.pod.namespace === r.namespace));
    scopes = [...new Map(pods.map((v) => [`${v.pod.namespace}/${v.pod.name}`, { namespace: v.pod.namespace, pod: v.pod.name }])).values()];
    if (scopes.length === 0) {
      status.textContent = `No pods of job ${r.job} on this node.`;
      return;
    }
  } else scopes = [{ namespace: r.namespace || undefined }];
  let hits = 0;
  let scanned = 0;
  const stops = new Set<string>();
  const failed = new Set<string>();
  const re = highlighter(r);
  let pending: HTMLElement[] = [];
  let frame = 0;
  const flush = () => {
    frame = 0;
    for (const li of pending) results.appendChild(li);
    pending = [];
  };
  const show = () => {
    status.textContent = `Searching… ${hits} match${hits === 1 ? '' : 'es'} so far, ${fmtBytes(scanned)} scanned.`;
  };
  show();
  try {
    await Promise.all(
      scopes.map((sc) =>
        streamNdjson(
          searchUrl({ q: r.q, regex: r.regex, caseSensitive: !!r.cs, namespace: sc.namespace, pod: sc.pod, limit: HIT_LIMIT }),
          (item) => {
            const d = item as Partial<SearchDone> & Partial<SearchHit>;
            if (d.done) {
              scanned += d.bytes_scanned ?? 0;
              if (d.stopped_by && d.stopped_by !== 'done') stops.add(d.stopped_by);
              for (const n of d.failed_nodes ?? []) failed.add(n);
              if (d.partial && !d.failed_nodes?.length) failed.add('some nodes');
              show();
              return;
            }
            if (hits >= HIT_LIMIT) return;
            hits++;
            pending.push(hitItem(d as SearchHit, re));
            if (!frame) frame = requestAnimationFrame(flush);
            if (hits % 50 === 1) show();
          },
          signal,
        ),
      ),
    );
    flush();
    status.textContent = `${hits} match${hits === 1 ? '' : 'es'}${hits === 0 ? '' : ''}, ${fmtBytes(scanned)} scanned.${stops.size ? ` Stopped early (${[...stops].map((x) => STOP_WORDS[x] ?? x).join(', ')}); narrow the search to see more.` : ''}`;
    if (failed.size) status.appendChild(h('strong', { class: 'incomplete' }, ` ${incompleteText([...failed].sort())}`));
    if (hits === 0) results.appendChild(h('li', { class: 'muted' }, 'No matches.'));
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    const msg = e instanceof ApiError ? (e.status === 0 ? 'Lost connection to the agent; search again when it is back.' : explain(e)) : String(e);
    replace(status, h('span', { class: 'error' }, msg));
  }
}

function hitItem(hit: SearchHit, re: RegExp | null): HTMLElement {
  const route: Route = { kind: 'file', ref: { namespace: hit.namespace, pod: hit.pod, uid: hit.uid, container: hit.container, file: hit.file }, offset: hit.offset };
  const text = h('code', { class: 'hit-line' });
  markText(text, hit.line.length > 2000 ? `${hit.line.slice(0, 2000)}…` : hit.line, re);
  return h(
    'li',
    { class: 'hit' },
    h('a', { href: formatRoute(route), class: 'hit-where' }, `${hit.namespace} / ${hit.pod} / ${hit.container} / ${hit.file}`, hit.line_number !== undefined ? `:${hit.line_number}` : ` @${hit.offset}`),
    hit.node ? h('span', { class: 'badge node', title: 'Node' }, hit.node) : null,
    text,
  );
}
