/**
 * Plain-language text of the failures the agent reports when it checks who is asking and fans out
 * over the cluster (src/auth, src/cluster): 401 (sign in), 403 `PODLOG_E_FORBIDDEN` (no access to a
 * namespace), 429 (slow down), 502 `PODLOG_E_UPSTREAM` (another node did not answer), and incomplete
 * cluster-wide answers (`partial`, `failed_nodes`). Pure.
 */
import type { ApiError } from './api.ts';

/** Namespace named by a 403 message (`alice may not get pods/log in namespace X`), or undefined. */
export function forbiddenNamespace(message: string): string | undefined {
  return /\bnamespace\s+([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/i.exec(message)?.[1];
}

/**
 * Node named by a 502 `PODLOG_E_UPSTREAM` message of src/cluster (`the agent on node node-c could not be
 * reached`, `agent node-c did not answer within 5000 ms`), or undefined.
 */
export function upstreamNode(message: string): string | undefined {
  return /\bon node (\S+)/.exec(message)?.[1] ?? /\bagent (\S+) (?:did not answer|could not be reached)/.exec(message)?.[1];
}

/** "results incomplete: node-b, node-c did not answer" (empty string when none failed). */
export function incompleteText(failedNodes: readonly string[]): string {
  if (failedNodes.length === 0) return '';
  return `Results incomplete: ${failedNodes.join(', ')} did not answer.`;
}

/** The note for a listing that is partial because an agent is still reading its log folders after a start. */
export function scanningText(scanning: boolean): string {
  return scanning ? 'Still reading the log folders; more pods will appear.' : '';
}

/** Seconds to show for a wait of `ms`. */
function secs(ms: number): number {
  return Math.max(1, Math.round(ms / 1000));
}

/**
 * One sentence for a failed call. `retryInMs`: when the page will try again by itself (429/network).
 */
export function explain(e: ApiError, retryInMs?: number): string {
  const again = retryInMs !== undefined ? ` Trying again in ${secs(retryInMs)} s.` : '';
  if (e.status === 0) return `Lost connection to the agent.${again}`;
  if (e.status === 401) return 'Sign in with a bearer token to continue.';
  if (e.status === 403) {
    const ns = forbiddenNamespace(e.message);
    return ns ? `No access to namespace ${ns}.` : `Not allowed: ${e.message}`;
  }
  if (e.status === 429) return `The agent is limiting requests from this page (${e.message}).${again || ' Waiting before trying again.'}`;
  if (e.status === 502) {
    const node = upstreamNode(e.message);
    return node ? `Node ${node} did not answer: ${e.message}` : `Another node did not answer: ${e.message}`;
  }
  return `${e.message} (${e.code})`;
}
