/**
 * HTTP routes of the Flink job story and of Flink's HistoryServer log links.
 *
 * Under `/api/v1` ({@link flinkApiRouter}; the namespace check of `/namespaces/:ns` applies):
 * - `GET /namespaces/:ns/jobs/:job/diagnosis` → {@link JobDiagnosis} as JSON, or text for `Accept: text/plain`.
 *   `:job` is the job as `GET /jobs` groups pods (the Flink cluster-id). When the JobManager's log is on another
 *   node, the request is proxied to that node's agent; when this agent knows no pod of the job, the other agents
 *   are asked (`?local=1`) and the one holding the JobManager's log answers.
 * - `GET /flink/jobs/:jobid` → {@link JobLocation}: the JobManager pod, container, file and byte offset of the
 *   job's first line, from this node's job-id index or else from the other agents'. 404, as for an unknown job,
 *   unless the caller may read that namespace.
 * - `GET /flink/jobs/:jobid/taskmanagers/:tmid` → `{jobId, namespace, pod}`: the TaskManager pod (in native
 *   Kubernetes mode a TaskManager's resource id is its pod name) in the job's namespace.
 *
 * At the root ({@link flinkLinkRouter}), for `historyserver.log.jobmanager.url-pattern` and
 * `historyserver.log.taskmanager.url-pattern`: `GET /flink/jobs/:jobid[/taskmanagers/:tmid]` → 302 to the
 * page (`/#/flink/jobs/…`), which signs in as usual and then asks the API above. The redirect reveals nothing.
 *
 * Errors: `PODLOG_E_BAD_PARAM` (400) for a malformed name or id, `PODLOG_E_NOT_FOUND` (404), `PODLOG_E_FORBIDDEN`
 * (403, the job view in a namespace the caller may not read).
 */
import { Router, type Request } from 'express';
import { assertCan } from '../../auth/middleware.ts';
import type { ClusterRouting } from './cluster.ts';
import { PodlogError } from '../../errors.ts';
import { jobStory, type JobDiagnosis } from '../../flink/job-story.ts';
import { renderJobText } from '../../flink/render.ts';
import type { JobLocation, JobLogCache, JobStorySourceResult } from '../../flink/source.ts';

/** What the routes need. */
export interface FlinkRouterDeps {
  /** The story's input for `namespace/job` (see `jobStorySource`). */
  source: (namespace: string, job: string) => Promise<JobStorySourceResult | undefined>;
  /** This node's JobManager log scans (the job-id index). */
  cache: Pick<JobLogCache, 'findJob'>;
  /** The cluster routing, when there are peers. */
  cluster?: Pick<ClusterRouting, 'forwardToPod' | 'askOthers'>;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const JOB_ID = /^[0-9a-f]{32}$/;

function name(what: string, v: string | undefined): string {
  if (!v || !NAME.test(v)) throw new PodlogError('PODLOG_E_BAD_PARAM', `${what} must be a Kubernetes name (lower-case letters, digits, '-', '.')`);
  return v;
}

function jobId(v: string | undefined): string {
  const id = (v ?? '').toLowerCase();
  if (!JOB_ID.test(id)) throw new PodlogError('PODLOG_E_BAD_PARAM', 'a Flink job id is 32 hexadecimal digits');
  return id;
}

function isDiagnosis(x: unknown): x is JobDiagnosis {
  const o = x as JobDiagnosis | null;
  return !!o && typeof o === 'object' && typeof o.headline === 'string' && Array.isArray(o.story) && Array.isArray(o.pods) && Array.isArray(o.logFiles) && o.subject?.kind === 'FlinkJob';
}

function isLocation(x: unknown): x is JobLocation {
  const o = x as JobLocation | null;
  return !!o && typeof o === 'object' && typeof o.namespace === 'string' && typeof o.pod === 'string' && typeof o.uid === 'string' && !!o.place && typeof o.place.offset === 'number';
}

/** The router mounted under `/api/v1`. */
export function flinkApiRouter(deps: FlinkRouterDeps): Router {
  const r = Router();
  r.get('/namespaces/:ns/jobs/:job/diagnosis', async (req: Request<{ ns: string; job: string }>, res) => {
    const ns = name('namespace', req.params.ns);
    const job = name('job', req.params.job);
    const found = await deps.source(ns, job);
    let d: JobDiagnosis | undefined;
    if (!found?.logHere && deps.cluster) {
      // the JobManager's log is elsewhere: its node's agent tells the story (or, not knowing the pod, any agent that has the log)
      if (found?.jobManagerPod && (await deps.cluster.forwardToPod(req, res, ns, found.jobManagerPod))) return;
      const answers = (await deps.cluster.askOthers(req, `/api/v1/namespaces/${encodeURIComponent(ns)}/jobs/${encodeURIComponent(job)}/diagnosis?local=1`)).filter(isDiagnosis);
      d = answers.find((a) => a.logFiles.length > 0) ?? (found ? undefined : answers[0]);
    }
    if (!d && !found) throw new PodlogError('PODLOG_E_NOT_FOUND', `no pod of job ${ns}/${job} is known to podlog`);
    d ??= jobStory(found!.input);
    res.vary('Accept');
    if (req.accepts(['application/json', 'text/plain']) === 'text/plain') res.type('text/plain; charset=utf-8').send(renderJobText(d));
    else res.json(d);
  });

  const locate = async (req: Request, id: string): Promise<JobLocation> => {
    let loc: JobLocation | undefined = await deps.cache.findJob(id);
    if (!loc && deps.cluster) {
      loc = (await deps.cluster.askOthers(req, `/api/v1/flink/jobs/${id}?local=1`)).find(isLocation);
    }
    const notFound = () => new PodlogError('PODLOG_E_NOT_FOUND', `no JobManager log held by podlog names Flink job ${id}`);
    if (!loc) throw notFound();
    try {
      await assertCan(req, 'read', loc.namespace);
    } catch (e) {
      // a caller who may not read that namespace learns nothing, not even where the job runs
      if ((e as PodlogError).code === 'PODLOG_E_FORBIDDEN') throw notFound();
      throw e;
    }
    return loc;
  };
  r.get('/flink/jobs/:jobid', async (req: Request<{ jobid: string }>, res) => {
    res.json(await locate(req, jobId(req.params.jobid)));
  });
  r.get('/flink/jobs/:jobid/taskmanagers/:tmid', async (req: Request<{ jobid: string; tmid: string }>, res) => {
    const id = jobId(req.params.jobid);
    const tm = name('TaskManager id (its pod name)', req.params.tmid);
    const loc = await locate(req, id);
    res.json({ jobId: id, namespace: loc.namespace, pod: tm });
  });
  return r;
}

/** The router mounted at the root: Flink's HistoryServer links land on the page. */
export function flinkLinkRouter(): Router {
  const r = Router();
  r.get('/flink/jobs/:jobid', (req, res) => {
    res.redirect(302, `/#/flink/jobs/${jobId(req.params.jobid)}`);
  });
  r.get('/flink/jobs/:jobid/taskmanagers/:tmid', (req, res) => {
    res.redirect(302, `/#/flink/jobs/${jobId(req.params.jobid)}/taskmanagers/${name('TaskManager id (its pod name)', req.params.tmid)}`);
  });
  return r;
}
