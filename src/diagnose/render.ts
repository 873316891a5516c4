/**
 * Plain-text rendering of a {@link Diagnosis} for terminals and `Accept: text/plain`: the headline, then
 * findings root cause first with evidence and fix, then past trouble, then the timeline. Pure.
 */
import type { Diagnosis, Evidence, Finding } from './types.ts';

/** Replaces control characters (C0 except tab and newline, DEL, C1) so pod-written text cannot drive a terminal. */
export function sanitize(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD');
}

function indent(text: string, pad: string): string {
  return text.split('\n').map((l) => pad + l).join('\n');
}

function evidenceLine(e: Evidence): string {
  const at = e.at ? ` [${e.at}]` : '';
  if (e.source === 'event') return `- Event ${e.ref}${at}: "${e.text}"`;
  if (e.source === 'log') return `- Log ${e.ref}:\n${indent(e.text, '    | ')}`;
  return `- ${e.ref} = ${e.text}${at}`;
}

function findingBlock(f: Finding, i: number): string {
  const lines = [`${i + 1}. [${f.severity}] ${f.class}: ${f.summary}`];
  if (f.evidence.length) {
    lines.push('   Evidence:');
    for (const e of f.evidence) lines.push(indent(evidenceLine(e), '     '));
  }
  lines.push(`   Fix: ${f.fix}`);
  return lines.join('\n');
}

/**
 * Renders a diagnosis as plain text (UTF-8, `\n` line ends, ends with a newline).
 * @param d the diagnosis
 * @param opts.timeline include the timeline (default true)
 */
export function renderText(d: Diagnosis, opts: { timeline?: boolean } = {}): string {
  const out: string[] = [`${d.headline}`, ''];
  out.push(`Subject: ${d.subject.kind} ${d.subject.namespace}/${d.subject.name}${d.subject.node ? ` on node ${d.subject.node}` : ''}${d.subject.phase ? `, phase ${d.subject.phase}` : ''}. Severity: ${d.severity}. As of ${d.now}.`);
  if (d.findings.length) {
    out.push('', d.findings.length > 1 ? `Problems (${d.findings.length}, root cause first):` : 'Problem:');
    d.findings.forEach((f, i) => out.push(findingBlock(f, i)));
  }
  if (d.past.length) {
    out.push('', 'Recovered from (past):');
    d.past.forEach((f) => out.push(`- ${f.class}: ${f.summary}${f.lastSeen ? ` (last seen ${f.lastSeen})` : ''}`));
  }
  if (opts.timeline !== false && d.timeline.length) {
    out.push('', 'Timeline (oldest first):');
    for (const t of d.timeline) {
      out.push(`  ${t.at}  ${t.type.padEnd(7)} ${t.reason}${t.count ? ` (x${t.count})` : ''}  ${t.object}${t.message ? `: ${t.message.replace(/\s+/g, ' ')}` : ''}${t.past ? '  (past)' : ''}`);
    }
  }
  return out.map((l) => l.split('\n').map(sanitize).join('\n')).join('\n') + '\n';
}
