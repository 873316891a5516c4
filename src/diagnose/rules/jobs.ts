/**
 * Jobs and CronJobs that failed or missed their runs, from the controllers' Warning Events and the Job's
 * `Failed` / `FailureTarget` condition. Sources: kubernetes/kubernetes pkg/controller/job/job_controller.go
 * (the Job's finished condition is also recorded as a Warning Event with the same reason and message:
 * `DeadlineExceeded` "Job was active longer than specified deadline", `BackoffLimitExceeded` "Job has reached
 * the specified backoff limit", `MaxFailedIndexesExceeded` "Job has exceeded the specified maximal number of
 * failed indexes", `FailedIndexes` "Job has failed indexes"; Normal `SuccessfulDelete` "Deleted pod: %v" when
 * it removes the pods of a failed Job), pkg/controller/job/pod_failure_policy.go (`PodFailurePolicy`
 * "Container %s for pod %s/%s failed with exit code %v matching %v rule at index %d", "Pod %s/%s has condition
 * %v matching %v rule at index %d"), pkg/controller/cronjob/cronjob_controllerv2.go (`MissSchedule` "Missed
 * scheduled time to start a job: %s", `TooManyMissedTimes` "too many missed start times. Set or decrease
 * .spec.startingDeadlineSeconds or check clock skew"). Docs:
 * https://kubernetes.io/docs/concepts/workloads/controllers/job/#job-termination-and-cleanup
 */
import {
  clip,
  eventsEvidence,
  humanDuration,
  lastSeen,
  objectsOf,
  statusEvidence,
  times,
  type RuleContext,
} from '../context.ts';
import { explainExitCode } from '../exit-codes.ts';
import { iso, parseTime } from '../events.ts';
import type { Evidence, Finding, KubeObjectJson, NormEvent } from '../types.ts';
import { joinAnd } from './scheduling.ts';

/** Warning reasons the Job controller records when it fails a Job (the `Failed` condition's reasons). */
export const JOB_FAILURE_REASONS = ['DeadlineExceeded', 'BackoffLimitExceeded', 'PodFailurePolicy', 'MaxFailedIndexesExceeded', 'FailedIndexes'];

/** A parsed `PodFailurePolicy` message. */
export interface PodFailurePolicyMatch {
  pod: string;
  container?: string;
  exitCode?: number;
  condition?: string;
  action: string;
  index: number;
}

/** Parses the Job controller's `PodFailurePolicy` message; undefined when it is not one. */
export function parsePodFailurePolicy(msg: string): PodFailurePolicyMatch | undefined {
  let m = /Container (\S+) for pod ([^/\s]+)\/(\S+) failed with exit code (-?\d+) matching (\w+) rule at index (\d+)/.exec(msg);
  if (m) return { container: m[1]!, pod: m[3]!, exitCode: Number(m[4]), action: m[5]!, index: Number(m[6]) };
  m = /Pod ([^/\s]+)\/(\S+) has condition (\S+) matching (\w+) rule at index (\d+)/.exec(msg);
  if (m) return { pod: m[2]!, condition: m[3]!, action: m[4]!, index: Number(m[5]) };
  return undefined;
}

/** Names of the Jobs this diagnosis is about: the pod's Job owners, else the diagnosed Job, else every Job with Events. */
function jobNames(ctx: RuleContext): Set<string> {
  const owners = ctx.pod?.metadata?.ownerReferences?.filter((o) => o.kind === 'Job').map((o) => o.name);
  if (ctx.pod) return new Set(owners ?? []);
  return new Set(ctx.ownerEvents.filter((e) => e.kind === 'Job' && (e.name === ctx.name || !ctx.ownerEvents.some((x) => x.kind === 'Job' && x.name === ctx.name))).map((e) => e.name));
}

/** CronJobs owning those Jobs: from the Job objects' ownerReferences, else the `<cronjob>-<minutes>` naming. */
function cronJobNames(ctx: RuleContext, jobs: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const j of jobs) {
    const obj = objectsOf(ctx, 'Job', j)[0];
    const cj = obj?.metadata?.ownerReferences?.find((o) => o.kind === 'CronJob')?.name ?? /^(.+)-\d{8,}$/.exec(j)?.[1];
    if (cj) out.add(cj);
  }
  if (!ctx.pod) for (const e of ctx.ownerEvents) if (e.kind === 'CronJob' && (e.name === ctx.name || !jobs.size)) out.add(e.name);
  return out;
}

function jobSpecNumber(job: KubeObjectJson | undefined, field: string): number | undefined {
  const v = job?.spec?.[field];
  return typeof v === 'number' ? v : undefined;
}

/** Plain words for one Job failure reason and its fix. */
function explainJobFailure(job: string, reason: string, msg: string, obj: KubeObjectJson | undefined): { cls: Finding['class']; what: string; fix: string } {
  if (reason === 'DeadlineExceeded') {
    const ads = jobSpecNumber(obj, 'activeDeadlineSeconds');
    return {
      cls: 'DeadlineExceeded',
      what: `Job ${job} ran longer than its deadline${ads !== undefined ? ` of ${ads}s` : ''} (spec.activeDeadlineSeconds), so the Job controller failed it and stopped its running pods`,
      fix: `Raise the Job's spec.activeDeadlineSeconds${ads !== undefined ? ` (now ${ads}s)` : ''} or make the work finish sooner; the deadline counts from the Job's start, across all retries.`,
    };
  }
  if (reason === 'BackoffLimitExceeded') {
    const bl = jobSpecNumber(obj, 'backoffLimit');
    const failed = typeof obj?.status?.['failed'] === 'number' ? (obj.status['failed'] as number) : undefined;
    return {
      cls: 'JobFailed',
      what: `Job ${job} failed: its pods failed${failed !== undefined ? ` ${times(failed)}` : ''}, past spec.backoffLimit (${bl ?? 'default 6'}), so it starts no more pods`,
      fix: `Fix why the Job's pods fail (\`kubectl logs job/${job}\`, the pod findings); raise spec.backoffLimit only for failures that are transient.`,
    };
  }
  if (reason === 'PodFailurePolicy') {
    const p = parsePodFailurePolicy(msg);
    if (p?.container !== undefined && p.exitCode !== undefined) {
      return {
        cls: 'JobFailed',
        what: `Job ${job} failed at once: container ${p.container} of pod ${p.pod} ${explainExitCode(p.exitCode).phrase}, which matches rule ${p.index} (action ${p.action}) of spec.podFailurePolicy`,
        fix: `Fix why container ${p.container} exits with code ${p.exitCode}; if that code should be retried, change spec.podFailurePolicy.rules[${p.index}] (action Count or Ignore).`,
      };
    }
    if (p?.condition) {
      return {
        cls: 'JobFailed',
        what: `Job ${job} failed at once: pod ${p.pod} got condition ${p.condition}, which matches rule ${p.index} (action ${p.action}) of spec.podFailurePolicy`,
        fix: `See why pod ${p.pod} got ${p.condition}; change spec.podFailurePolicy.rules[${p.index}] if that should be retried.`,
      };
    }
    return { cls: 'JobFailed', what: `Job ${job} failed by its spec.podFailurePolicy: ${clip(msg, 200)}`, fix: 'Fix the failure the rule matched, or change spec.podFailurePolicy.' };
  }
  if (reason === 'MaxFailedIndexesExceeded' || reason === 'FailedIndexes') {
    return {
      cls: 'JobFailed',
      what: `Job ${job} failed: ${reason === 'MaxFailedIndexesExceeded' ? 'more indexes failed than spec.maxFailedIndexes allows' : 'some of its indexes used up spec.backoffLimitPerIndex'}`,
      fix: `Fix why the failed indexes' pods fail (\`kubectl logs job/${job}\`); raise spec.backoffLimitPerIndex / maxFailedIndexes only for transient failures.`,
    };
  }
  return { cls: 'JobFailed', what: `Job ${job} failed (${reason}): ${clip(msg, 200)}`, fix: `See \`kubectl describe job ${job}\`.` };
}

/** Pods the Job controller deleted (`SuccessfulDelete` "Deleted pod: x"), newest first. */
function deletedPods(events: NormEvent[]): string[] {
  return [...new Set(events.map((e) => /^Deleted pod: (\S+)/.exec(e.message)?.[1]).filter((x): x is string => !!x))];
}

/** The rule. */
export function jobsRule(ctx: RuleContext): Finding[] {
  if (ctx.historical) return [];
  const out: Finding[] = [];
  const jobs = jobNames(ctx);
  for (const job of jobs) {
    const evs = ctx.ownerEvents.filter((e) => e.kind === 'Job' && e.name === job);
    const obj = objectsOf(ctx, 'Job', job)[0];
    const failEv = evs.find((e) => e.type === 'Warning' && JOB_FAILURE_REASONS.includes(e.reason));
    const cond = obj?.status?.conditions?.find((c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True');
    const reason = failEv?.reason ?? cond?.reason;
    if (!reason) continue;
    const msg = failEv?.message ?? cond?.message ?? '';
    const ex = explainJobFailure(job, reason, msg, obj);
    const deletes = evs.filter((e) => e.reason === 'SuccessfulDelete');
    const deleted = deletedPods(deletes);
    let summary = ex.what;
    if (deleted.length && !ctx.pod) summary += ` (deleted ${joinAnd(deleted.slice(0, 3))}${deleted.length > 3 ? ` and ${deleted.length - 3} more` : ''})`;
    const when = failEv?.lastMs ?? parseTime(cond?.lastTransitionTime);
    if (when !== undefined) summary += `, ${humanDuration(Math.max(0, ctx.now - when))} ago`;
    // The pod itself: deleted by the Job controller and maybe still terminating (its kubelet has not confirmed the stop).
    const delMs = parseTime(ctx.pod?.metadata?.deletionTimestamp);
    if (ctx.pod) {
      if (delMs !== undefined) {
        summary += `. Pod ${ctx.ref} is one of the pods it stopped${deleted.includes(ctx.name) ? ' (SuccessfulDelete)' : ''}; it has been terminating for ${humanDuration(Math.max(0, ctx.now - delMs))}, waiting for its kubelet to confirm the containers stopped`;
      } else if (deleted.includes(ctx.name)) {
        summary += `; it deleted pod ${ctx.ref}`;
      }
    }
    summary += '.';
    const evidence: Evidence[] = eventsEvidence(failEv ? [failEv] : [], 1);
    if (cond) evidence.push(statusEvidence(`Job/${job} status.conditions[${cond.type}].reason`, cond.reason, cond.lastTransitionTime), statusEvidence(`Job/${job} status.conditions[${cond.type}].message`, cond.message));
    const del = deletes.find((e) => e.message.includes(ctx.name)) ?? deletes[0];
    if (del) evidence.push(...eventsEvidence([del], 1));
    if (delMs !== undefined) evidence.push(statusEvidence('metadata.deletionTimestamp', ctx.pod?.metadata?.deletionTimestamp));
    let fix = ex.fix;
    if (delMs !== undefined && ctx.now - delMs > 5 * 60_000) fix += ` If pod ${ctx.name} stays Terminating, check its node's kubelet (\`kubectl describe node\`) and metadata.finalizers.`;
    const seen = when !== undefined ? iso(when) : undefined;
    out.push({ class: ex.cls, severity: 'critical', summary, evidence, fix, ...(seen ? { lastSeen: seen } : {}) });
  }
  for (const cj of cronJobNames(ctx, jobs)) {
    const evs = ctx.ownerEvents.filter((e) => e.kind === 'CronJob' && e.name === cj && (e.reason === 'MissSchedule' || e.reason === 'TooManyMissedTimes'));
    if (!evs.length) continue;
    const tooMany = evs.find((e) => e.reason === 'TooManyMissedTimes');
    const missed = evs.filter((e) => e.reason === 'MissSchedule');
    const n = missed.reduce((k, e) => k + e.count, 0);
    const lastMissed = missed[0] ? /start a job: (.+)$/.exec(missed[0].message)?.[1] : undefined;
    const sds = jobSpecNumber(objectsOf(ctx, 'CronJob', cj)[0], 'startingDeadlineSeconds');
    const summary = tooMany
      ? `CronJob ${cj} has stopped starting Jobs: it missed more than 100 scheduled runs, so the controller gives up until spec.startingDeadlineSeconds is set or lowered (TooManyMissedTimes, ${times(tooMany.count)}).`
      : `CronJob ${cj} missed ${n === 1 ? 'a scheduled run' : `${n} scheduled runs`}${lastMissed ? ` (last: ${lastMissed})` : ''}: the controller could not start the Job in time${sds !== undefined ? ` (spec.startingDeadlineSeconds ${sds}s)` : ''}.`;
    const seen = lastSeen(tooMany ?? missed[0]);
    out.push({
      class: 'CronJobMissedSchedule',
      severity: tooMany ? 'critical' : 'warning',
      summary,
      evidence: eventsEvidence([...(tooMany ? [tooMany] : []), ...missed], 2),
      fix: tooMany
        ? `Set spec.startingDeadlineSeconds on CronJob ${cj} (e.g. 200) so the controller only counts recent misses; check the kube-controller-manager's clock.`
        : `Check that kube-controller-manager runs and its clock is right; with concurrencyPolicy Forbid a Job that never ends blocks the next runs (\`kubectl get jobs\`); a spec.startingDeadlineSeconds shorter than the delay skips runs.`,
      ...(seen ? { lastSeen: seen } : {}),
    });
  }
  return out;
}
