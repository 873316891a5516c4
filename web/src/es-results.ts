/**
 * Cluster-wide history on the search page: the priority jobs' logs shipped to Elasticsearch,
 * through `GET /api/v1/es/search?q=&namespace=&job=&pod=&size=` (src/ship/routes.ts). Shown only
 * when the agent has Elasticsearch configured (404/503 leave it out). Each hit opens the viewer at
 * its `log.offset`; the file lives on the node named by `host.name`.
 */
import { optional } from './api.ts';
import { h } from './dom.ts';
import { fmtTime } from './format.ts';
import { formatRoute } from './route.ts';
import { markText } from './viewer/row.ts';

/** One hit (src/ship/routes.ts `EsHit`), fields used here. */
interface EsHit {
  '@timestamp': string;
  message: string;
  log: { level?: string; file: { path: string }; offset: number };
  kubernetes: { namespace: string; pod: { name: string; uid: string }; container: { name: string } };
  host?: { name?: string };
}

/** Hits shown. */
const SIZE = 50;

/**
 * Run the Elasticsearch search and fill `into` (left empty when unavailable or on error).
 * `re` marks matches in the messages.
 */
export async function esResults(p: { q: string; namespace: string; job: string; pod: string }, into: HTMLElement, re: RegExp | null, signal: AbortSignal): Promise<void> {
  const q = new URLSearchParams({ q: p.q, size: String(SIZE) });
  if (p.namespace) q.set('namespace', p.namespace);
  if (p.job) q.set('job', p.job);
  if (p.pod) q.set('pod', p.pod);
  let body: { total?: number; relation?: string; hits?: EsHit[] } | null;
  try {
    body = await optional(`api/v1/es/search?${q}`, signal);
  } catch (e) {
    if ((e as Error).name === 'AbortError') return;
    into.replaceChildren(h('h2', null, 'Cluster history (Elasticsearch)'), h('p', { class: 'error' }, (e as Error).message));
    return;
  }
  if (!body) return;
  const hits = body.hits ?? [];
  into.replaceChildren(
    h('h2', null, 'Cluster history (Elasticsearch)'),
    h('p', { class: 'muted' }, `${body.total ?? hits.length}${body.relation === 'gte' ? '+' : ''} shipped records match; newest ${hits.length} shown.`),
    h(
      'ol',
      { class: 'hits' },
      hits.map((x) => {
        const k = x.kubernetes;
        const file = x.log.file.path.slice(x.log.file.path.lastIndexOf('/') + 1);
        const ms = Date.parse(x['@timestamp']);
        const text = h('code', { class: 'hit-line' });
        markText(text, x.message.length > 2000 ? `${x.message.slice(0, 2000)}…` : x.message, re);
        return h(
          'li',
          { class: 'hit' },
          h(
            'a',
            { class: 'hit-where', href: formatRoute({ kind: 'file', ref: { namespace: k.namespace, pod: k.pod.name, uid: k.pod.uid, container: k.container.name, file }, offset: x.log.offset }) },
            `${Number.isFinite(ms) ? fmtTime(ms) : x['@timestamp']} · ${k.namespace} / ${k.pod.name} / ${k.container.name} / ${file} @${x.log.offset}`,
          ),
          x.host?.name ? h('span', { class: 'muted' }, ` on node ${x.host.name}`) : null,
          text,
        );
      }),
    ),
  );
}
