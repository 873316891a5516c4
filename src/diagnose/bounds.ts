/**
 * Prose bounds of a diagnosis: a headline of at most {@link MAX_HEADLINE} characters, and at most
 * {@link MAX_PROSE} characters of prose before the timeline (the headline, every finding's summary and fix,
 * and the past findings' summaries). Evidence is not prose: it quotes fields and Events verbatim. Pure.
 */
import { clip } from './context.ts';
import type { Diagnosis, Finding } from './types.ts';

/** Longest headline, in characters. */
export const MAX_HEADLINE = 400;
/** Longest prose of one diagnosis before its timeline, in characters. */
export const MAX_PROSE = 3000;

/** Characters of prose in a diagnosis (headline, summaries and fixes of findings, summaries of past findings). */
export function proseLength(d: Pick<Diagnosis, 'headline' | 'findings' | 'past'>): number {
  return d.headline.length + d.findings.reduce((n, f) => n + f.summary.length + f.fix.length, 0) + d.past.reduce((n, f) => n + f.summary.length, 0);
}

/** Clips to `max` characters, at the last sentence end that fits when there is one past half of `max`. */
export function clipAtSentence(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max).lastIndexOf('. ');
  return cut > max / 2 ? text.slice(0, cut + 1) : clip(text, max);
}

function shorten(fs: Finding[], summary: number, fix?: number): Finding[] {
  return fs.map((f) => ({ ...f, summary: clip(f.summary, summary), ...(fix !== undefined ? { fix: clip(f.fix, fix) } : {}) }));
}

/**
 * Brings a diagnosis within the bounds: clips the headline, then summaries and fixes step by step, then
 * names the lowest-ranked findings by class only. Findings keep their order, classes and evidence.
 */
export function boundProse(d: Diagnosis): Diagnosis {
  let out: Diagnosis = { ...d, headline: clipAtSentence(d.headline, MAX_HEADLINE) };
  const steps: [number, number, number][] = [[600, 600, 300], [400, 400, 200], [300, 300, 120], [220, 220, 80]];
  for (const [s, x, p] of steps) {
    if (proseLength(out) <= MAX_PROSE) return out;
    out = { ...out, findings: shorten(out.findings, s, x), past: shorten(out.past, p) };
  }
  if (proseLength(out) > MAX_PROSE && out.past.length > 3) {
    const more = out.past.slice(3);
    out = { ...out, past: [...out.past.slice(0, 3), { ...more[0]!, summary: `And ${more.length} more: ${[...new Set(more.map((f) => f.class))].join(', ')}.` }] };
  }
  const all = out.findings;
  for (let keep = all.length - 1; keep >= 1 && proseLength(out) > MAX_PROSE; keep--) {
    const rest = all.slice(keep);
    const tail: Finding = {
      ...rest[0]!,
      summary: `Also found: ${[...new Set(rest.map((f) => f.class))].join(', ')}.`,
      evidence: rest.flatMap((f) => f.evidence).slice(0, 4),
      fix: 'See the evidence of each.',
    };
    out = { ...out, findings: [...all.slice(0, keep), tail] };
  }
  return out;
}
