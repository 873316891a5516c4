/**
 * What a Flink JobManager log says about its jobs, read one line at a time with bounded memory. Fed the lines
 * of a JobManager's files in order (oldest first), {@link JobLogScanner} keeps per job: id and name, state
 * transitions, the restart strategy and whether it gave up, the last failure with its innermost `Caused by:`
 * and the byte offset to jump to, checkpoint counts and failures, slot request timeouts; and, per cluster,
 * the TaskManagers the JobManager lost. Pure: no I/O, no clock.
 *
 * Message formats are Flink 1.20's (flink-runtime), seen in real logs (fixtures/flink):
 * - Dispatcher: `Received JobGraph submission '<name>' (<jobid>).`, `Submitting job '<name>' (<jobid>).`
 * - ExecutionGraph: `Job <name> (<jobid>) switched from state <A> to <B>.` and, per task,
 *   `<task> (<n>/<p>) (<attempt id>) switched from <A> to FAILED on <tm resource id> @ <host> (dataPort=<p>).`
 * - JobMaster: `Using restart back off time strategy <Class>(<params>) for <name> (<jobid>).`
 * - ExecutionFailureHandler: `org.apache.flink.runtime.JobException: Recovery is suppressed by <Class>(<params>)`
 * - CheckpointCoordinator: `Completed checkpoint <n> for job <jobid> (<bytes> bytes, checkpointDuration=<ms> ms, …)`,
 *   `Checkpoint <n> of job <jobid> expired before completing.`, `Decline checkpoint <n> by task <t> of job <jobid> at <tm>.`
 * - CheckpointFailureManager: `Failed to trigger checkpoint for job <jobid> since <reason>`,
 *   `Failed to trigger or complete checkpoint <n> for job <jobid>. (<k> consecutive failed attempts so far)`
 * - slot pool: `NoResourceAvailableException: Could not acquire the minimum required resources.`
 * - ClusterEntrypoint's banner at each start: a dashes line, then ` Starting StandaloneSessionClusterEntrypoint (Version: 1.20.3, …)`
 * - ResourceManager / JobMaster: `The heartbeat of TaskManager with id <id> timed out.`,
 *   `TaskManager with id <id> is no longer reachable.`
 */

/** Longest part of a log line looked at, in characters (pod-written text may be huge). */
export const MAX_LINE_CHARS = 8 * 1024;
/** Continuation lines kept per log record (a stack trace beyond this is skipped, its `Caused by:` lines still seen). */
export const MAX_RECORD_LINES = 400;
/** Jobs remembered per log; the least recently seen is dropped beyond this. */
export const MAX_JOBS = 64;
/** State transitions remembered per job (the newest). */
export const MAX_TRANSITIONS = 40;
/** TaskManager losses remembered per log (the newest). */
export const MAX_TM_LOSSES = 20;
/** Last lines kept (what a crashed JobManager wrote last), each cut at 500 characters. */
export const TAIL_LINES = 10;

/** Where a line is: the file (name as listed, e.g. `jobmanager.log.2`) and its byte offset in that file. */
export interface LogPlace {
  file: string;
  /** Byte offset of the line's first byte (in the decompressed bytes for `.gz`). */
  offset: number;
  /** 1-based line number in the file, when known. */
  line?: number;
  /** The log timestamp as written (`2026-11-22 00:59:52,419`, the JobManager's local time). */
  at?: string;
}

/** One `switched from state A to B`. */
export interface StateTransition extends LogPlace {
  from: string;
  to: string;
}

/** The job's restart strategy as the JobMaster logged it. */
export interface RestartStrategy {
  /** `fixed-delay`, `failure-rate`, `exponential-delay`, `none`, or the class name when unknown. */
  kind: string;
  /** The logged text, e.g. `FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=3, backoffTimeMS=5000)`. */
  text: string;
  /** Parameters as logged (`maxNumberRestartAttempts` → 3). */
  params: Record<string, number>;
}

/** A failure: the exception that failed a task or the job, and its innermost cause. */
export interface Failure extends LogPlace {
  /** First exception line (`java.lang.RuntimeException: Cannot convert …`). */
  exception?: string;
  /** The innermost `Caused by:` (without the prefix), or the exception itself when it has no cause. */
  rootCause?: string;
  /** Where the root cause line is. */
  rootCausePlace?: LogPlace;
  /** The task that failed (`convert-currency (1/2)`), when a task failure was logged. */
  task?: string;
  /** The TaskManager it ran on (resource id; the pod name in native Kubernetes mode). */
  taskManager?: string;
}

/** A checkpoint problem. */
export interface CheckpointProblem extends LogPlace {
  kind: 'expired' | 'declined' | 'trigger-failed' | 'failed';
  checkpoint?: number;
  text: string;
}

/** Everything known about one job. */
export interface JobLog {
  jobId: string;
  name?: string;
  /** First line naming the job (its submission, usually). */
  first: LogPlace;
  /** Latest line about the job. */
  last: LogPlace;
  /** Current state: the `to` of the latest transition. */
  state?: string;
  /** The newest {@link MAX_TRANSITIONS} transitions, oldest first. */
  transitions: StateTransition[];
  /** Transitions seen in all (some may have been dropped from `transitions`). */
  transitionCount: number;
  /** Transitions into RESTARTING. */
  restarts: number;
  restartStrategy?: RestartStrategy;
  /** `Recovery is suppressed by …`: the restart strategy gave up. */
  exhausted?: LogPlace & { text: string };
  /** The failure behind the latest RESTARTING/FAILING/FAILED. */
  lastFailure?: Failure;
  /** Failures in all. */
  failures: number;
  checkpoints: {
    completed: number;
    lastCompleted?: LogPlace & { id: number };
    expired: number;
    declined: number;
    triggerFailed: number;
    /**
     * Failures that are only a consequence of the job (re)starting or failing over: triggers while not all
     * tasks run yet, checkpoints aborted because the coordinator is suspending. Not problems of their own.
     */
    incidental: number;
    failed: number;
    /** The newest problem that is not a start-up trigger failure. */
    lastProblem?: CheckpointProblem;
  };
  /** Slot requests that timed out (`NoResourceAvailableException`). */
  slotTimeouts: number;
  lastSlotTimeout?: LogPlace & { text: string };
}

/** A TaskManager the JobManager lost contact with. */
export interface TaskManagerLoss extends LogPlace {
  taskManager: string;
  text: string;
}

/** The result of a scan. */
export interface JobLogSummary {
  /** Jobs in order of first appearance. */
  jobs: JobLog[];
  /** The newest {@link MAX_TM_LOSSES} TaskManager losses, oldest first. */
  taskManagerLosses: TaskManagerLoss[];
  /** Lines read. */
  lines: number;
  /** Jobs dropped because more than {@link MAX_JOBS} appeared. */
  jobsDropped: number;
  /** The last {@link TAIL_LINES} lines read, oldest first. */
  tail: string[];
  /** JobManager process starts seen (the ` Starting … (Version: …)` banner); more than one means it restarted. */
  starts: number;
  /** The last lines before the latest start, when the log holds an earlier run: what a crashed JobManager wrote last. */
  tailBeforeRestart?: string[];
}

const JOB_ID = '[0-9a-f]{32}';
const HEAD = /^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[,.]\d{3}) +[A-Z]+ +\S+ +(?:\[[^\]]*\] +)?- ?(.*)$/;
const SUBMIT = new RegExp(`^(?:Received JobGraph submission|Submitting job) '(.*)' \\((${JOB_ID})\\)\\.?$`);
const JOB_SWITCH = new RegExp(`^Job (.*) \\((${JOB_ID})\\) switched from state (\\w+) to (\\w+)\\.`);
const TASK_FAILED = /^(.*?) \([0-9a-f_]{1,160}\) switched from \w{1,40} to FAILED(?: on (\S+)(?: @ \S+)?)?/;
const STRATEGY_HEAD = /^Using restart back off time strategy (\w+)\(/;
const ENDS_WITH_JOB_ID = new RegExp(` \\((${JOB_ID})\\)\\.?$`);
const SUPPRESSED = /Recovery is suppressed by (\w+)(\([^)]*\))?/;
const COMPLETED = new RegExp(`^Completed checkpoint (\\d+) for job (${JOB_ID})`);
const EXPIRED = new RegExp(`^Checkpoint (\\d+) of job (${JOB_ID}) expired before completing`);
const DECLINED = new RegExp(`^Decline(?:d)? checkpoint (\\d+) by task .* of job (${JOB_ID})`);
const TRIGGER_FAILED = new RegExp(`^Failed to trigger checkpoint for job (${JOB_ID}) since (.*)$`);
const CP_FAILED = new RegExp(`^Failed to trigger or complete checkpoint (\\d+) for job (${JOB_ID})`);
const TM_LOST = /^(?:The )?[Hh]eartbeat of TaskManager with id (\S+?)\.? timed out|^TaskManager with id (\S+?)\.? is no longer reachable/;
const SLOTS_FAILED = /Could not acquire the minimum required resources|Slot request bulk is not fulfillable/;
const ENTRYPOINT_START = /^\s*Starting \w+ \(Version: /;
const ANY_JOB_ID = new RegExp(`\\b(${JOB_ID})\\b`);
const STACK = /^(?:\s+at |\s+\.\.\. \d+ more|\s*Caused by: |\s*Suppressed: )/;
/** A cause of the main chain (causes of suppressed exceptions are indented). */
const CAUSED = /^Caused by: (.*)$/;
const EXCEPTION_LINE = /^[\w$.]+(?:Exception|Error|Throwable)\b(?::.*)?$/;

const STRATEGY_KINDS: Record<string, string> = {
  FixedDelayRestartBackoffTimeStrategy: 'fixed-delay',
  FailureRateRestartBackoffTimeStrategy: 'failure-rate',
  ExponentialDelayRestartBackoffTimeStrategy: 'exponential-delay',
  NoRestartBackoffTimeStrategy: 'none',
};

/** The record being read: its head line and what was seen in its continuation lines. */
interface OpenRecord {
  place: LogPlace;
  message: string;
  /** First exception line of a stack trace. */
  exception?: string;
  rootCause?: string;
  rootCausePlace?: LogPlace;
  noResource?: string;
  suppressed?: string;
  lines: number;
}

/** Parses `a=1, b=2` into numbers (non-numbers skipped; Flink 1.20 nests its failure-rate class name in the text). */
function params(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/(\w+)=(-?\d+(?:\.\d+)?)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

/** `Cls(params)` from a logged `Cls(…)` text, without the class name Flink 1.20 repeats inside the failure-rate text. */
function strategyText(cls: string, paren: string | undefined): string {
  if (!paren) return cls;
  return `${cls}(${paren.slice(1).replace(`${cls}(`, '').replace(/\)+$/, '')})`;
}

/** Parses `FixedDelayRestartBackoffTimeStrategy(maxNumberRestartAttempts=3, …)`. */
export function parseRestartStrategy(cls: string, paramText: string): RestartStrategy {
  paramText = paramText.replace(`${cls}(`, '').replace(/\)+$/, '');
  return { kind: STRATEGY_KINDS[cls] ?? cls, text: `${cls}(${paramText})`, params: params(paramText) };
}

/**
 * Incremental reader of one JobManager's log lines. Call {@link feed} with each line of each file (oldest
 * file first), then {@link summary}. Memory: at most {@link MAX_JOBS} jobs of bounded size, one open record.
 */
export class JobLogScanner {
  private readonly jobs = new Map<string, JobLog>();
  private readonly losses: TaskManagerLoss[] = [];
  private rec: OpenRecord | undefined;
  /** A task failure not yet tied to a job (task lines carry no job id); the next job transition takes it. */
  private pendingTaskFailure: Failure | undefined;
  private lineCount = 0;
  private dropped = 0;
  private readonly tail: string[] = [];
  private starts = 0;
  private beforeRestart: string[] | undefined;

  /**
   * One line (without its newline) at `place`.
   * @param text the decoded line; only its first {@link MAX_LINE_CHARS} characters are looked at
   */
  feed(text: string, place: Omit<LogPlace, 'at'>): void {
    this.lineCount++;
    this.tail.push(text.length > 500 ? text.slice(0, 500) : text);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    const line = text.length > MAX_LINE_CHARS ? text.slice(0, MAX_LINE_CHARS) : text;
    const head = HEAD.exec(line);
    if (head) {
      if (ENTRYPOINT_START.test(head[2]!)) {
        this.starts++;
        if (this.starts > 1) {
          // the banner's dashes line just before belongs to the new run too
          const prev = this.tail.length >= 2 ? this.tail[this.tail.length - 2]! : '';
          this.beforeRestart = this.tail.slice(0, /- -{20,}$/.test(prev) ? -2 : -1);
        }
      }
      this.close();
      this.open({ ...place, at: head[1]! }, head[2]!);
      return;
    }
    const r = this.rec;
    if (!r) return;
    r.lines++;
    const caused = CAUSED.exec(line);
    if (caused) {
      r.rootCause = caused[1]!;
      r.rootCausePlace = { ...place, ...(r.place.at ? { at: r.place.at } : {}) };
    } else if (r.exception === undefined && !STACK.test(line) && EXCEPTION_LINE.test(line.trim())) {
      r.exception = line.trim();
      r.rootCause ??= r.exception;
      r.rootCausePlace ??= { ...place, ...(r.place.at ? { at: r.place.at } : {}) };
    }
    if (r.lines <= MAX_RECORD_LINES || caused) {
      if (r.noResource === undefined && line.includes('NoResourceAvailableException')) r.noResource = line.trim();
      if (r.suppressed === undefined) {
        const s = SUPPRESSED.exec(line);
        if (s) r.suppressed = strategyText(s[1]!, s[2]);
      }
    }
  }

  /** Finishes the open record and returns what was found. The scanner can be fed again afterwards. */
  summary(): JobLogSummary {
    this.close();
    return { jobs: [...this.jobs.values()], taskManagerLosses: [...this.losses], lines: this.lineCount, jobsDropped: this.dropped, tail: [...this.tail], starts: this.starts,
      ...(this.beforeRestart ? { tailBeforeRestart: [...this.beforeRestart] } : {}) };
  }

  /**
   * The summary as if the log ended here, leaving this scanner as it was, ready for more lines (a growing live
   * file is read on from where it stopped). Costs a copy of the bounded state.
   */
  preview(): JobLogSummary {
    const c = new JobLogScanner();
    for (const [k, v] of this.jobs) c.jobs.set(k, structuredClone(v));
    for (const [k, v] of this.seenOrder) c.seenOrder.set(k, v);
    c.losses.push(...this.losses);
    c.tail.push(...this.tail);
    if (this.rec) c.rec = structuredClone(this.rec);
    if (this.pendingTaskFailure) c.pendingTaskFailure = structuredClone(this.pendingTaskFailure);
    c.lineCount = this.lineCount;
    c.dropped = this.dropped;
    c.tick = this.tick;
    c.starts = this.starts;
    if (this.beforeRestart) c.beforeRestart = [...this.beforeRestart];
    return c.summary();
  }

  private open(place: LogPlace, message: string): void {
    this.rec = { place, message, lines: 0 };
    if (message.includes('NoResourceAvailableException')) this.rec.noResource = message;
    const s = SUPPRESSED.exec(message);
    if (s) this.rec.suppressed = strategyText(s[1]!, s[2]);
  }

  private job(id: string, place: LogPlace, name?: string): JobLog {
    let j = this.jobs.get(id);
    if (!j) {
      if (this.jobs.size >= MAX_JOBS) {
        let oldest: JobLog | undefined;
        for (const x of this.jobs.values()) if (!oldest || this.older(x, oldest)) oldest = x;
        if (oldest) this.jobs.delete(oldest.jobId);
        this.dropped++;
      }
      j = {
        jobId: id, first: place, last: place, transitions: [], transitionCount: 0, restarts: 0, failures: 0,
        checkpoints: { completed: 0, expired: 0, declined: 0, triggerFailed: 0, incidental: 0, failed: 0 }, slotTimeouts: 0,
      };
      this.jobs.set(id, j);
    } else {
      // keep insertion order = first appearance; refresh only the last place
      j.last = place;
    }
    if (name !== undefined && j.name === undefined) j.name = name;
    return j;
  }

  private readonly seenOrder = new Map<string, number>();
  private tick = 0;
  private older(a: JobLog, b: JobLog): boolean {
    return (this.seenOrder.get(a.jobId) ?? 0) < (this.seenOrder.get(b.jobId) ?? 0);
  }

  private touch(j: JobLog): void {
    this.seenOrder.set(j.jobId, ++this.tick);
    if (this.seenOrder.size > MAX_JOBS * 2) for (const k of this.seenOrder.keys()) if (!this.jobs.has(k)) this.seenOrder.delete(k);
  }

  /** The one job a line without a job id most likely belongs to: the most recently seen one. */
  private currentJob(): JobLog | undefined {
    let best: JobLog | undefined;
    for (const j of this.jobs.values()) if (!best || this.older(best, j)) best = j;
    return best;
  }

  private failureOf(r: OpenRecord): Failure {
    const f: Failure = { ...r.place };
    if (r.exception) f.exception = r.exception;
    if (r.rootCause) f.rootCause = r.rootCause;
    if (r.rootCausePlace) f.rootCausePlace = r.rootCausePlace;
    return f;
  }

  private close(): void {
    const r = this.rec;
    if (!r) return;
    this.rec = undefined;
    const m = r.message;
    const place = r.place;
    let x: RegExpExecArray | null;
    if ((x = JOB_SWITCH.exec(m))) {
      const j = this.job(x[2]!, place, x[1]);
      this.touch(j);
      const t: StateTransition = { ...place, from: x[3]!, to: x[4]! };
      j.transitions.push(t);
      if (j.transitions.length > MAX_TRANSITIONS) j.transitions.shift();
      j.transitionCount++;
      j.state = t.to;
      if (t.to === 'RESTARTING') j.restarts++;
      if (t.to === 'RESTARTING' || t.to === 'FAILING' || (t.to === 'FAILED' && t.from !== 'FAILING')) {
        const own = r.rootCause ? this.failureOf(r) : undefined;
        const task = this.pendingTaskFailure;
        const f: Failure = own ?? task ?? { ...place };
        if (task && own) {
          if (task.task) f.task = task.task;
          if (task.taskManager) f.taskManager = task.taskManager;
        }
        j.lastFailure = f;
        j.failures++;
        this.pendingTaskFailure = undefined;
      } else if (t.to === 'FAILED' && r.rootCause && j.lastFailure && !j.lastFailure.rootCause) {
        j.lastFailure = { ...j.lastFailure, ...this.failureOf(r) };
      }
      if (r.suppressed && !j.exhausted) j.exhausted = { ...place, text: `Recovery is suppressed by ${r.suppressed}` };
      if (r.noResource && j.slotTimeouts === 0) this.slotTimeout(j, place, r.noResource);
      return;
    }
    if ((x = SUBMIT.exec(m))) {
      this.touch(this.job(x[2]!, place, x[1]));
      return;
    }
    if ((x = STRATEGY_HEAD.exec(m))) {
      // `Using restart back off time strategy <Class>(<params>) for <name> (<jobid>).`, split without backtracking
      const id = ENDS_WITH_JOB_ID.exec(m);
      const rest = id ? m.slice(x[0].length, id.index) : '';
      const cut = rest.lastIndexOf(') for ');
      if (id && cut >= 0) {
        const j = this.job(id[1]!, place, rest.slice(cut + 6));
        this.touch(j);
        j.restartStrategy = parseRestartStrategy(x[1]!, rest.slice(0, cut));
      }
      return;
    }
    if ((x = COMPLETED.exec(m))) {
      const j = this.job(x[2]!, place);
      j.checkpoints.completed++;
      j.checkpoints.lastCompleted = { ...place, id: Number(x[1]) };
      return;
    }
    if ((x = EXPIRED.exec(m))) return this.cpProblem(x[2]!, place, 'expired', m, Number(x[1]));
    if ((x = DECLINED.exec(m))) return this.cpProblem(x[2]!, place, 'declined', m, Number(x[1]));
    if ((x = TRIGGER_FAILED.exec(m))) return this.cpProblem(x[1]!, place, 'trigger-failed', m, undefined, /Not all required tasks are currently running/.test(x[2]!));
    if ((x = CP_FAILED.exec(m))) {
      const why = r.rootCause ?? '';
      if (/expired before completing|declined/i.test(why)) return; // the expiry or decline itself was counted
      return this.cpProblem(x[2]!, place, 'failed', why ? `${m} ${why}` : m, Number(x[1]), /Coordinator is suspending|Coordinator is shut ?down|not all required tasks/i.test(why));
    }
    if ((x = TASK_FAILED.exec(m))) {
      const f = this.failureOf(r);
      f.task = x[1]!;
      if (x[2] && x[2] !== '[unassigned') f.taskManager = x[2];
      this.pendingTaskFailure = f;
return;
    }
    if ((x = TM_LOST.exec(m))) {
      this.losses.push({ ...place, taskManager: x[1] ?? x[2]!, text: m.slice(0, 500) });
      if (this.losses.length > MAX_TM_LOSSES) this.losses.shift();
      return;
    }
    if (SLOTS_FAILED.test(m)) {
      const id = ANY_JOB_ID.exec(m)?.[1];
      const j = id ? this.jobs.get(id) : this.currentJob();
      if (j) this.slotTimeout(j, place, m);
    }
  }

  private slotTimeout(j: JobLog, place: LogPlace, text: string): void {
    if (j.lastSlotTimeout && j.lastSlotTimeout.at === place.at && j.lastSlotTimeout.file === place.file) return; // same failure, logged twice
    j.slotTimeouts++;
    j.lastSlotTimeout = { ...place, text: text.slice(0, 500) };
  }

  private cpProblem(id: string, place: LogPlace, kind: CheckpointProblem['kind'], text: string, checkpoint?: number, incidental = false): void {
    const j = this.job(id, place);
    const c = j.checkpoints;
    if (incidental) c.incidental++;
    else if (kind === 'expired') c.expired++;
    else if (kind === 'declined') c.declined++;
    else if (kind === 'failed') c.failed++;
    else c.triggerFailed++;
    if (!incidental) c.lastProblem = { ...place, kind, text: text.slice(0, 500), ...(checkpoint !== undefined ? { checkpoint } : {}) };
  }
}
