/**
 * The diagnosis panel of a pod page, from `GET …/pods/{pod}/diagnosis` (src/diagnose): headline,
 * findings with their evidence and fix, past problems, and the timeline of Events and status changes.
 * Log evidence links into the viewer with the quoted text in the find box. Shown only when there is
 * something to say (severity above `info`, or findings).
 */
import type { FileRef } from './api.ts';
import { h } from './dom.ts';
import { fmtTime } from './format.ts';
import { formatRoute } from './route.ts';

/** One quoted piece of evidence (src/diagnose/types.ts `Evidence`). */
export interface Evidence {
  source: 'event' | 'status' | 'spec' | 'log' | string;
  ref: string;
  text: string;
  at?: string;
}

/** One problem (src/diagnose/types.ts `Finding`). */
export interface Finding {
  class?: string;
  severity?: string;
  summary?: string;
  evidence?: Evidence[];
  fix?: string;
  container?: string;
  lastSeen?: string;
}

/** The diagnosis answer (src/diagnose/types.ts `Diagnosis`); every field optional here. */
export interface Diagnosis {
  severity?: string;
  headline?: string;
  findings?: Finding[];
  past?: Finding[];
  timeline?: { at?: string; type?: string; reason?: string; message?: string; count?: number; object?: string; past?: boolean }[];
}

function when(t: string | undefined): string {
  if (!t) return '';
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? fmtTime(ms) : t;
}

/** True when the diagnosis is worth a panel. */
export function worthShowing(d: Diagnosis | null): d is Diagnosis {
  return !!d && ((d.findings?.length ?? 0) > 0 || (d.past?.length ?? 0) > 0 || d.severity === 'warning' || d.severity === 'critical');
}

/**
 * Render the panel. `pod` names the pod generation (for links to log evidence); `containers` are
 * its container names (log evidence of a finding without a container uses the first).
 */
export function diagnosisPanel(d: Diagnosis, pod: Omit<FileRef, 'container' | 'file'>, containers: string[]): HTMLElement {
  const evidence = (f: Finding, e: Evidence) => {
    const container = f.container ?? containers[0];
    const link =
      e.source === 'log' && container
        ? h('a', { href: formatRoute({ kind: 'file', ref: { ...pod, container, file: e.ref }, find: e.text.slice(0, 200) }) }, e.ref)
        : h('span', { class: 'ev-ref' }, e.ref);
    return h('li', { class: `ev ev-${e.source}` }, link, e.at ? h('span', { class: 'muted' }, ` ${when(e.at)}`) : null, h('code', { class: 'ev-text' }, e.text));
  };
  const finding = (f: Finding) =>
    h(
      'li',
      { class: `finding sev-${f.severity ?? 'info'}` },
      h('strong', null, f.summary ?? f.class ?? ''),
      f.fix ? h('div', { class: 'fix' }, h('span', { class: 'kind' }, 'fix'), f.fix) : null,
      f.evidence?.length ? h('ul', { class: 'evidence' }, f.evidence.map((e) => evidence(f, e))) : null,
    );
  const tl = d.timeline ?? [];
  return h(
    'section',
    { class: `card diagnosis sev-${d.severity ?? 'info'}`, 'aria-label': 'Diagnosis' },
    h('h2', null, 'Diagnosis ', h('span', { class: `sev-badge sev-${d.severity ?? 'info'}` }, d.severity ?? 'info')),
    d.headline ? h('p', { class: 'headline' }, d.headline) : null,
    d.findings?.length ? h('ul', { class: 'findings' }, d.findings.map(finding)) : null,
    d.past?.length ? h('details', null, h('summary', null, `Earlier problems (${d.past.length}), since recovered`), h('ul', { class: 'findings' }, d.past.map(finding))) : null,
    tl.length
      ? h(
          'details',
          null,
          h('summary', null, `Timeline (${tl.length})`),
          h(
            'table',
            { class: 'events' },
            h(
              'tbody',
              null,
              tl.map((e) =>
                h(
                  'tr',
                  { class: `${e.type === 'Warning' ? 'warn' : ''}${e.past ? ' past' : ''}` },
                  h('td', null, when(e.at)),
                  h('td', null, e.object ?? ''),
                  h('td', null, e.reason ?? ''),
                  h('td', null, e.message ?? ''),
                  h('td', null, e.count && e.count > 1 ? `×${e.count}` : ''),
                ),
              ),
            ),
          ),
        )
      : null,
  );
}
