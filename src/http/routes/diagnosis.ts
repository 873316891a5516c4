/**
 * HTTP route for diagnoses: `GET /namespaces/:ns/pods/:pod/diagnosis[?uid=]` → the {@link Diagnosis} as JSON,
 * or as plain text when the client prefers `text/plain` (content negotiation on `Accept`). The lead mounts
 * the router under `/api/v1`. Errors are thrown as {@link PodlogError} for the app's error middleware:
 * `PODLOG_E_NOT_FOUND` (404) when the agent knows no such pod, `PODLOG_E_BAD_PARAM` (400) for a malformed
 * name.
 */
import express from 'express';
import { PodlogError } from '../../errors.ts';
import { diagnose } from '../../diagnose/index.ts';
import { renderText } from '../../diagnose/render.ts';
import type { DiagnoseInput } from '../../diagnose/types.ts';

/** What the router needs: the stored pod JSON, Events and log tails of one pod (with the agent's clock). */
export interface DiagnosisRouterDeps {
  /**
   * The diagnose input for a pod, or undefined when the agent knows no such pod.
   * @param uid optional: a specific incarnation when several pods had this name
   */
  getPodInput(ns: string, pod: string, uid?: string): Promise<DiagnoseInput | undefined>;
}

/** DNS-1123 label/subdomain as Kubernetes allows for namespaces and pod names. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Builds the router.
 * @throws (via next) PodlogError PODLOG_E_BAD_PARAM / PODLOG_E_NOT_FOUND
 */
export function diagnosisRouter(deps: DiagnosisRouterDeps): express.Router {
  const r = express.Router();
  r.get('/namespaces/:ns/pods/:pod/diagnosis', async (req, res) => {
    const { ns, pod } = req.params;
    if (!NAME.test(ns) || !NAME.test(pod)) throw new PodlogError('PODLOG_E_BAD_PARAM', 'namespace and pod must be Kubernetes names (lower-case letters, digits, "-" and ".")');
    const uidQ = req.query['uid'];
    if (uidQ !== undefined && (typeof uidQ !== 'string' || !/^[0-9a-fA-F-]{1,64}$/.test(uidQ))) throw new PodlogError('PODLOG_E_BAD_PARAM', 'uid must be a pod UID');
    const input = await deps.getPodInput(ns, pod, uidQ);
    if (!input) throw new PodlogError('PODLOG_E_NOT_FOUND', `no pod ${ns}/${pod} is known to this agent`);
    const d = diagnose(input);
    res.vary('Accept');
    if (req.accepts(['application/json', 'text/plain']) === 'text/plain') {
      res.type('text/plain; charset=utf-8').send(renderText(d));
    } else {
      res.json(d);
    }
  });
  return r;
}
