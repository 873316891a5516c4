/**
 * Plain-text rendering of a {@link JobDiagnosis} for terminals and `Accept: text/plain`: the headline, the
 * story (each quoted log place as `file:line @offset`), the jobs the log names, then the pods. Pure.
 */
import { sanitize } from '../diagnose/render.ts';
import type { JobDiagnosis } from './job-story.ts';

/** Renders a job diagnosis as plain text (`\n` line ends, ends with a newline); control characters are replaced. */
export function renderJobText(d: JobDiagnosis): string {
  const out: string[] = [d.headline, ''];
  out.push(`Subject: Flink job ${d.subject.namespace}/${d.subject.name}${d.subject.jobManagerPod ? `, JobManager pod ${d.subject.jobManagerPod}` : ''}. Severity: ${d.severity}. As of ${d.now}.`);
  if (d.story.length) {
    out.push('', 'What happened:');
    for (const s of d.story) {
      const p = s.place;
      const where = p ? `  [${p.pod ? `${p.pod} ` : ''}${p.file}${p.line ? `:${p.line}` : ''} @${p.offset}]` : '';
      out.push(`- ${s.text}${where}`);
    }
  }
  if (d.jobs.length > 1) {
    out.push('', `Jobs in the JobManager log (${d.jobs.length}):`);
    for (const j of d.jobs) out.push(`- ${j.name ?? '(unnamed)'} (${j.jobId}): ${j.state ?? 'submitted'}, ${j.restarts} restart${j.restarts === 1 ? '' : 's'}`);
  }
  if (d.pods.length) {
    out.push('', 'Pods:');
    for (const p of d.pods) out.push(`- [${p.severity}] ${p.name} (${p.role}${p.phase ? `, ${p.phase}` : ''}): ${p.headline}`);
  }
  if (d.logFiles.length) out.push('', `JobManager log read: ${d.logFiles.join(', ')}`);
  return out.map((l) => l.split('\n').map(sanitize).join('\n')).join('\n') + '\n';
}
