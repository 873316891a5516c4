/**
 * Hash routes (the agent serves one `index.html`, so no server-side fallback is needed):
 *   `#/`                                               node overview (browser)
 *   `#/ns/<ns>/pod/<pod>/<uid>`                          one pod generation
 *   `#/ns/<ns>/pod/<pod>/<uid>/<container>/<file>?…`     the viewer; query: `offset` (highlighted line,
 *        byte offset of its start), `top` (byte offset of the first line on screen), `end=1`, `follow=1`,
 *        `time=<ISO>` (first line at or after a timestamp), `find=<text>`
 *   `#/search?q=&regex=1&cs=1&namespace=&job=&pod=`      search page (`cs=1`: match case)
 *   `#/ns/<ns>/job/<job>`                                the job view: the Flink job story, then the pods
 *   `#/flink/jobs/<jobid>[/taskmanagers/<tmid>]`         landing of Flink HistoryServer log links: resolves
 *        the job to its JobManager's log (first line of the job) or the TaskManager pod's log
 * Segments are `encodeURIComponent`-encoded. Pure: no DOM access.
 */
import type { FileRef } from './api.ts';

/** What the page shows; {@link parseRoute} and {@link formatRoute} convert it from and to `location.hash`. */
export type Route =
  | { kind: 'home' }
  | { kind: 'pod'; namespace: string; pod: string; uid: string }
  | {
      kind: 'file';
      ref: FileRef;
      /** Highlighted line (byte offset of its start). */
      offset?: number;
      /** First line on screen (byte offset). */
      top?: number;
      end?: boolean;
      follow?: boolean;
      time?: string;
      find?: string;
    }
  | { kind: 'search'; q: string; regex: boolean; namespace: string; job: string; pod: string; /** Match case. */ cs?: boolean }
  | { kind: 'job'; namespace: string; job: string }
  | { kind: 'flink'; jobId: string; taskManager?: string };

function num(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function dec(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Parse `location.hash` (with or without the leading `#`). Unknown shapes give `home`. */
export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const qi = h.indexOf('?');
  const path = qi >= 0 ? h.slice(0, qi) : h;
  const q = new URLSearchParams(qi >= 0 ? h.slice(qi + 1) : '');
  const seg = path.split('/').filter((s) => s !== '').map(dec);
  if (seg[0] === 'search') {
    const r: Route = {
      kind: 'search',
      q: q.get('q') ?? '',
      regex: q.get('regex') === '1' || q.get('regex') === 'true',
      namespace: q.get('namespace') ?? '',
      job: q.get('job') ?? '',
      pod: q.get('pod') ?? '',
    };
    if (q.get('cs') === '1') r.cs = true;
    return r;
  }
  if (seg[0] === 'ns' && seg[2] === 'job' && seg[1] && seg[3]) return { kind: 'job', namespace: seg[1], job: seg[3] };
  if (seg[0] === 'flink' && seg[1] === 'jobs' && seg[2] && /^[0-9a-fA-F]{32}$/.test(seg[2])) {
    const r: Route = { kind: 'flink', jobId: seg[2].toLowerCase() };
    if (seg[3] === 'taskmanagers' && seg[4]) r.taskManager = seg[4];
    return r;
  }
  if (seg[0] === 'ns' && seg[2] === 'pod' && seg[1] && seg[3]) {
    const namespace = seg[1];
    const pod = seg[3];
    const uid = seg[4] ?? '';
    if (seg[5] && seg[6]) {
      const r: Route = { kind: 'file', ref: { namespace, pod, uid, container: seg[5], file: seg.slice(6).join('/') } };
      const offset = num(q.get('offset'));
      const top = num(q.get('top'));
      if (offset !== undefined) r.offset = offset;
      if (top !== undefined) r.top = top;
      if (q.get('end') === '1') r.end = true;
      if (q.get('follow') === '1') r.follow = true;
      const time = q.get('time');
      if (time) r.time = time;
      const find = q.get('find');
      if (find) r.find = find;
      return r;
    }
    return { kind: 'pod', namespace, pod, uid };
  }
  return { kind: 'home' };
}

const enc = encodeURIComponent;

/** Format a route as a hash (`#/…`). Inverse of {@link parseRoute}. */
export function formatRoute(r: Route): string {
  switch (r.kind) {
    case 'home':
      return '#/';
    case 'pod':
      return `#/ns/${enc(r.namespace)}/pod/${enc(r.pod)}/${enc(r.uid)}`;
    case 'job':
      return `#/ns/${enc(r.namespace)}/job/${enc(r.job)}`;
    case 'flink':
      return `#/flink/jobs/${enc(r.jobId)}${r.taskManager ? `/taskmanagers/${enc(r.taskManager)}` : ''}`;
    case 'search': {
      const q = new URLSearchParams();
      if (r.q) q.set('q', r.q);
      if (r.regex) q.set('regex', '1');
      if (r.cs) q.set('cs', '1');
      if (r.namespace) q.set('namespace', r.namespace);
      if (r.job) q.set('job', r.job);
      if (r.pod) q.set('pod', r.pod);
      const s = q.toString();
      return `#/search${s ? `?${s}` : ''}`;
    }
    case 'file': {
      const f = r.ref;
      const q = new URLSearchParams();
      if (r.offset !== undefined) q.set('offset', String(r.offset));
      if (r.top !== undefined) q.set('top', String(r.top));
      if (r.end) q.set('end', '1');
      if (r.follow) q.set('follow', '1');
      if (r.time) q.set('time', r.time);
      if (r.find) q.set('find', r.find);
      const s = q.toString();
      return `#/ns/${enc(f.namespace)}/pod/${enc(f.pod)}/${enc(f.uid)}/${enc(f.container)}/${enc(f.file)}${s ? `?${s}` : ''}`;
    }
  }
}
