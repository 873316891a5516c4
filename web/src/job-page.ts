/**
 * The job view (`#/ns/<ns>/job/<job>`): the Flink job story from `GET …/jobs/{job}/diagnosis` (src/flink) first —
 * headline, what happened with links to the quoted JobManager log lines — then the job's pods with their own
 * one-line diagnoses. And the landing of Flink HistoryServer log links (`#/flink/jobs/<jobid>[/taskmanagers/<tm>]`):
 * resolves the job to the JobManager's log at the job's first line, or to the TaskManager pod's log.
 */
import { ApiError, getJson, getPod, type FileRef } from './api.ts';
import { h, replace } from './dom.ts';
import { explain } from './messages.ts';
import { formatRoute, type Route } from './route.ts';
import { snapshot } from './store.ts';

/** A log place of the story (src/flink/job-log.ts `LogPlace` plus the pod). */
interface Place {
  file?: string;
  offset?: number;
  line?: number;
  at?: string;
  pod?: string;
}

/** The job diagnosis (src/flink/job-story.ts `JobDiagnosis`); every field optional here. */
export interface JobDiagnosis {
  subject?: { namespace?: string; name?: string; jobManagerPod?: string; jobManagerUid?: string; jobManagerContainer?: string };
  severity?: string;
  headline?: string;
  story?: { text?: string; place?: Place }[];
  jobs?: { jobId?: string; name?: string; state?: string; restarts?: number }[];
  pods?: { name?: string; role?: string; phase?: string; severity?: string; headline?: string }[];
  logFiles?: string[];
}

const enc = encodeURIComponent;

/** The viewer route of a story place, when the JobManager's generation is known. */
function placeRoute(d: JobDiagnosis, p: Place | undefined): Route | undefined {
  const s = d.subject;
  if (!p || p.offset === undefined || !p.file || !s?.namespace || !s.jobManagerPod || !s.jobManagerUid || !s.jobManagerContainer) return undefined;
  const ref: FileRef = { namespace: s.namespace, pod: p.pod ?? s.jobManagerPod, uid: s.jobManagerUid, container: s.jobManagerContainer, file: p.file };
  return { kind: 'file', ref, offset: p.offset };
}

function podLink(namespace: string, name: string): HTMLElement {
  const v = snapshot().views.filter((x) => x.pod.namespace === namespace && x.pod.name === name)[0];
  return h('a', { href: formatRoute({ kind: 'pod', namespace, pod: name, uid: v?.pod.uid ?? '' }) }, name);
}

/** Render the job story panel (exported for tests). */
export function jobStoryPanel(d: JobDiagnosis): HTMLElement {
  const sev = d.severity ?? 'info';
  const ns = d.subject?.namespace ?? '';
  return h(
    'section',
    { class: `card diagnosis job-story sev-${sev}`, 'aria-label': 'Job story' },
    h('h2', null, 'What happened to the job ', h('span', { class: `sev-badge sev-${sev}` }, sev)),
    d.headline ? h('p', { class: 'headline' }, d.headline) : null,
    d.story?.length
      ? h('ol', { class: 'story' }, d.story.map((s) => {
          const r = placeRoute(d, s.place);
          return h('li', null, h('span', { class: 'story-text' }, s.text ?? ''), r && s.place
            ? [' ', h('a', { class: 'story-place', href: formatRoute(r) }, `${s.place.file}${s.place.line ? `:${s.place.line}` : ''}`)]
            : null);
        }))
      : null,
    (d.jobs?.length ?? 0) > 1
      ? h('details', null, h('summary', null, `Jobs in the JobManager log (${d.jobs!.length})`), h('ul', null, d.jobs!.map((j) => h('li', null, `${j.name ?? '(unnamed)'} (${j.jobId ?? ''}): ${j.state ?? 'submitted'}, ${j.restarts ?? 0} restarts`))))
      : null,
    d.pods?.length
      ? h('div', { class: 'job-pods' }, h('h3', null, `Pods (${d.pods.length})`), h('ul', { class: 'findings' }, d.pods.map((p) =>
          h('li', { class: `finding sev-${p.severity ?? 'info'}` }, podLink(ns, p.name ?? ''), h('span', { class: 'muted' }, ` ${p.role ?? ''}${p.phase ? ` · ${p.phase}` : ''} · `), p.headline ?? ''))))
      : null,
  );
}

/** Render the job view into a fresh element; loads asynchronously. */
export function jobPage(namespace: string, job: string, signal: AbortSignal): HTMLElement {
  const body = h('div', { class: 'pod-body' }, h('p', { class: 'muted' }, 'Telling the job\'s story…'));
  const el = h('section', { class: 'pod-page job-page', 'aria-label': `Job ${job}` }, h('header', { class: 'pod-head' }, h('div', { class: 'crumbs' }, namespace, ' / '), h('h1', null, job)), body);
  void (async () => {
    try {
      const d = await getJson<JobDiagnosis>(`api/v1/namespaces/${enc(namespace)}/jobs/${enc(job)}/diagnosis`, signal);
      replace(body, jobStoryPanel(d));
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      replace(body, h('div', { class: 'banner error', role: 'alert' }, e instanceof ApiError ? explain(e) : String(e)));
    }
  })();
  return el;
}

/** Where a HistoryServer log link lands: the viewer route, or an explanation. */
export async function resolveFlinkLink(r: Extract<Route, { kind: 'flink' }>, signal: AbortSignal): Promise<Route> {
  if (r.taskManager) {
    const tm = await getJson<{ namespace: string; pod: string }>(`api/v1/flink/jobs/${enc(r.jobId)}/taskmanagers/${enc(r.taskManager)}`, signal);
    const p = await getPod(tm.namespace, tm.pod, '', signal);
    for (const c of p.containers) {
      const f = c.files.find((x) => x.name === 'taskmanager.log') ?? c.files.find((x) => x.live);
      if (f) return { kind: 'file', ref: { namespace: tm.namespace, pod: tm.pod, uid: p.uid, container: c.name, file: f.name } };
    }
    return { kind: 'pod', namespace: tm.namespace, pod: tm.pod, uid: p.uid };
  }
  const loc = await getJson<{ namespace: string; pod: string; uid: string; container: string; place: { file: string; offset: number } }>(`api/v1/flink/jobs/${enc(r.jobId)}`, signal);
  return { kind: 'file', ref: { namespace: loc.namespace, pod: loc.pod, uid: loc.uid, container: loc.container, file: loc.place.file }, offset: loc.place.offset };
}

/** The landing page of a HistoryServer link: resolves, then replaces the location with the log view. */
export function flinkLanding(r: Extract<Route, { kind: 'flink' }>, signal: AbortSignal): HTMLElement {
  const el = h('section', { class: 'pod-page', 'aria-label': 'Flink log link' }, h('p', { class: 'muted' }, `Finding the log of Flink job ${r.jobId}${r.taskManager ? `, TaskManager ${r.taskManager}` : ''}…`));
  void (async () => {
    try {
      const to = await resolveFlinkLink(r, signal);
      location.replace(formatRoute(to));
    } catch (e) {
      if ((e as Error).name === 'AbortError') return;
      replace(el, h('div', { class: 'banner error', role: 'alert' }, e instanceof ApiError ? explain(e) : String(e)));
    }
  })();
  return el;
}
