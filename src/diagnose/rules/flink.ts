/**
 * Flink / JVM failures recognisable in the last lines of a container's log (podlog's store). Sources:
 * JVM messages (java.lang.OutOfMemoryError "Java heap space", "Metaspace", "Direct buffer memory", "GC overhead
 * limit exceeded", "unable to create native thread"; java.io.IOException "No space left on device"), Flink
 * runtime (flink-runtime: HeartbeatMonitorImpl / JobMaster "Heartbeat of TaskManager with id %s timed out." and
 * older "The heartbeat of TaskManager with id %s timed out.", "TaskManager with id %s is no longer reachable.";
 * org.apache.flink.runtime.jobmanager.scheduler.NoResourceAvailableException "Could not acquire the minimum
 * required resources." / "Slot request bulk is not fulfillable!"), and the JobManager's
 * KubernetesResourceManagerDriver, whose pod creation errors from the fabric8 client quote the API's
 * `pods "<tm>" is forbidden: exceeded quota: …` (seen only in the JobManager log). Memory options:
 * https://nightlies.apache.org/flink/flink-docs-stable/docs/deployment/memory/mem_trouble/
 */
import { clip, type RuleContext } from '../context.ts';
import { explainForbidden } from './controllers.ts';
import type { Evidence, Finding, FindingClass } from '../types.ts';

interface Pattern {
  re: RegExp;
  cls: FindingClass;
  what: (m: RegExpExecArray, role: string) => string;
  fix: (role: string) => string;
}

/** Longest part of a log line the patterns look at, in characters (log lines are untrusted and may be huge). */
export const MAX_LINE_CHARS = 16 * 1024;

const mem = (role: string) => (role === 'JobManager' ? 'jobmanager' : 'taskmanager');

const PATTERNS: Pattern[] = [
  {
    re: /java\.lang\.OutOfMemoryError: Java heap space/,
    cls: 'JvmOutOfMemory',
    what: () => 'the JVM ran out of heap (java.lang.OutOfMemoryError: Java heap space)',
    fix: (r) => r === 'JobManager' ? 'Raise jobmanager.memory.heap.size (or jobmanager.memory.process.size together with resources.limits.memory).' : 'Raise taskmanager.memory.task.heap.size (or taskmanager.memory.process.size together with the pod\'s resources.limits.memory), or lower the state kept on heap.',
  },
  {
    re: /java\.lang\.OutOfMemoryError: Metaspace/,
    cls: 'JvmOutOfMemory',
    what: () => 'the JVM ran out of metaspace (java.lang.OutOfMemoryError: Metaspace), often from loading job classes again on every restart',
    fix: (r) => `Raise ${mem(r)}.memory.jvm-metaspace.size, and check for class-loader leaks across job restarts.`,
  },
  {
    re: /java\.lang\.OutOfMemoryError: Direct buffer memory/,
    cls: 'JvmOutOfMemory',
    what: () => 'the JVM ran out of direct (off-heap) memory (java.lang.OutOfMemoryError: Direct buffer memory)',
    fix: (r) => r === 'JobManager' ? 'Raise jobmanager.memory.off-heap.size.' : 'Raise taskmanager.memory.task.off-heap.size (or taskmanager.memory.framework.off-heap.size; network buffers use taskmanager.memory.network.*).',
  },
  {
    re: /java\.lang\.OutOfMemoryError: GC overhead limit exceeded/,
    cls: 'JvmOutOfMemory',
    what: () => 'the JVM spent almost all its time collecting garbage (OutOfMemoryError: GC overhead limit exceeded)',
    fix: (r) => `Raise the heap (${r === 'JobManager' ? 'jobmanager.memory.heap.size' : 'taskmanager.memory.task.heap.size'}) or lower the data kept in memory.`,
  },
  {
    re: /java\.lang\.OutOfMemoryError: unable to create (?:new )?native thread/,
    cls: 'JvmOutOfMemory',
    what: () => 'the JVM could not start another thread (OutOfMemoryError: unable to create native thread)',
    fix: () => 'Lower the number of threads (parallelism, slots, client pools) or raise the node\'s PID limit; check resources.limits.memory too.',
  },
  {
    re: /No space left on device/,
    cls: 'DiskFull',
    what: () => 'a write failed because the disk is full (No space left on device)',
    fix: () => 'Give the directory more room: a larger volume or resources.limits.ephemeral-storage / emptyDir.sizeLimit; for Flink point io.tmp.dirs and state.backend.rocksdb.localdir at a volume with space, and clean old checkpoints.',
  },
  {
    re: /(?:The )?[Hh]eartbeat of TaskManager with id (\S+?)\.? timed out|TaskManager with id (\S+?)\.? is no longer reachable/,
    cls: 'FlinkHeartbeatTimeout',
    what: (m) => `the JobManager lost contact with TaskManager ${m[1] ?? m[2]} (heartbeat timeout)`,
    fix: () => 'Find out why that TaskManager stopped answering: look at its pod (OOMKilled, evicted, long GC pauses, node lost). If it only pauses, raise heartbeat.timeout (default 50s) or fix the GC pauses.',
  },
  {
    re: /[Hh]eartbeat of JobManager with id (\S+?)\.? timed out|JobManager with id (\S+?)\.? is no longer reachable/,
    cls: 'FlinkHeartbeatTimeout',
    what: () => 'the TaskManager lost contact with the JobManager (heartbeat timeout)',
    fix: () => 'Check the JobManager pod (restarts, GC pauses, CPU limits) and the network between the pods; raise heartbeat.timeout only if pauses are expected.',
  },
  {
    re: /NoResourceAvailableException(?::\s*(.*))?/,
    cls: 'FlinkNoResources',
    what: (m) => `the job could not get enough task slots (NoResourceAvailableException${m[1] ? `: ${clip(m[1], 120)}` : ''})`,
    fix: () => 'Make enough slots available: lower the job\'s parallelism, raise taskmanager.numberOfTaskSlots, or let the JobManager create more TaskManager pods (check quota, pending TaskManager pods and node capacity).',
  },
];

/** The rule. */
export function flinkRule(ctx: RuleContext): Finding[] {
  if (ctx.historical) return [];
  const out: Finding[] = [];
  const containers = [...new Set(ctx.logTails.map((t) => t.container))];
  for (const container of containers) {
    const tails = ctx.logTails.filter((t) => t.container === container);
    const role = /jobmanager/i.test(`${ctx.name} ${container} ${ctx.pod?.metadata?.labels?.['component'] ?? ''}`) ? 'JobManager' : /taskmanager/i.test(`${ctx.name} ${container} ${ctx.pod?.metadata?.labels?.['component'] ?? ''}`) ? 'TaskManager' : 'process';
    const seen = new Set<string>();
    // A container that is ready now survived what its log shows: warn, do not alarm.
    const readyNow = !!ctx.pod?.status?.containerStatuses?.find((s) => s.name === container)?.ready;
    for (const tail of tails) {
      for (let i = tail.lines.length - 1; i >= 0; i--) {
        // Pod-written text is untrusted: bound the work per line.
        const line = tail.lines[i]!.slice(0, MAX_LINE_CHARS);
        // Quota denial of TaskManager pods, in the JobManager's log.
        if (/is forbidden: (?:exceeded quota|failed quota)/.test(line) && !seen.has('quota')) {
          seen.add('quota');
          const ex = explainForbidden(line);
          const tm = /pods "([^"]+)" is forbidden/.exec(line)?.[1];
          out.push({
            class: 'FlinkQuotaDenied',
            severity: 'critical',
            summary: `The Flink JobManager in pod ${ctx.ref} cannot create TaskManager pod${tm ? ` ${tm}` : 's'}: ${ex?.what ?? 'a ResourceQuota refuses it'}. This shows only in the JobManager's log, not in Events.`,
            evidence: [{ source: 'log', ref: tail.file, text: clip(line, 1000) }],
            fix: (ex?.fix ?? 'Raise the ResourceQuota.') + ' For Flink, the TaskManager pod size comes from taskmanager.memory.process.size and kubernetes.taskmanager.cpu.',
            container,
          });
          continue;
        }
        for (const p of PATTERNS) {
          const m = p.re.exec(line);
          if (!m || seen.has(p.cls + p.re.source)) continue;
          seen.add(p.cls + p.re.source);
          const who = role === 'process' ? `Container ${container} of pod ${ctx.ref}` : `The Flink ${role} in pod ${ctx.ref}`;
          const evidence: Evidence[] = [{ source: 'log', ref: tail.file, text: clip(line, 1000) }];
          out.push({
            class: p.cls,
            severity: p.cls === 'FlinkHeartbeatTimeout' || p.cls === 'FlinkNoResources' || readyNow ? 'warning' : 'critical',
            summary: `${who}: ${p.what(m, role)}.`,
            evidence,
            fix: p.fix(role),
            container,
          });
        }
      }
    }
  }
  return out;
}
