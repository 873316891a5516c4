/**
 * The node's pod list, polled from `GET /api/v1/pods?state=all` every few seconds, with the derived
 * views of `model.ts`. When the agent cannot be reached it keeps the last list, reports the outage
 * and retries with backoff; listeners are told on every change.
 */
import { ApiError, listPods, type ApiFile, type ApiPod, type FileRef } from './api.ts';
import { viewPods, type PodView } from './model.ts';

/** Poll interval while healthy (ms). */
export const POLL_MS = 5000;

/** Snapshot of what the page knows about the node. */
export interface PodStore {
  /** Null until the first answer. */
  pods: ApiPod[] | null;
  views: PodView[];
  /** Last failure, cleared by the next success. */
  error: ApiError | null;
  /** ms of the last successful poll. */
  updatedAt: number;
  /** Nodes that did not answer the last cluster-wide listing (empty when complete). */
  failedNodes: string[];
  /** True while an agent is still reading its log folders (a `partial` listing with no failed node): more pods may appear. */
  scanning: boolean;
  /** ms until the next try after a failure (for the outage note). */
  retryInMs: number;
}

type Listener = (s: PodStore) => void;

const state: PodStore = { pods: null, views: [], error: null, updatedAt: 0, failedNodes: [], scanning: false, retryInMs: 0 };
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setTimeout> | null = null;
let failures = 0;

/** Current snapshot. */
export function snapshot(): PodStore {
  return state;
}

/** Subscribe to changes; returns the unsubscribe function. */
export function subscribe(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(): void {
  for (const fn of listeners) fn(state);
}

/**
 * Fetch now, then keep polling. A 401 stops polling (the page asks for a token and calls `refresh`
 * again once signed in); a 429 waits as long as the agent asks (at least {@link POLL_MS}).
 */
export async function refresh(): Promise<void> {
  if (timer) clearTimeout(timer);
  timer = null;
  let delay = POLL_MS;
  try {
    const listing = await listPods();
    state.pods = listing.items;
    state.views = viewPods(listing.items, Date.now());
    state.failedNodes = listing.failed_nodes;
    state.scanning = listing.partial && listing.failed_nodes.length === 0;
    state.error = null;
    state.updatedAt = Date.now();
    failures = 0;
  } catch (e) {
    state.error = e instanceof ApiError ? e : new ApiError(0, 'NETWORK', String(e));
    failures++;
    delay = state.error.status === 429 ? Math.max(POLL_MS, state.error.retryAfterMs ?? 0, retryDelayMs() * 4) : retryDelayMs();
  }
  state.retryInMs = state.error ? delay : 0;
  emit();
  if (state.error?.status === 401) return;
  timer = setTimeout(() => void refresh(), delay);
}

/** Delay (ms) before the next retry after `failures` failed polls: 1 s, 2 s, then every 4 s. */
export function retryDelayMs(): number {
  return Math.min(4000, 1000 * 2 ** Math.max(0, failures - 1));
}

/** Listing entry of one pod generation (uid empty = newest generation of that name). */
export function findPod(namespace: string, name: string, uid: string): PodView | undefined {
  const same = state.views.filter((v) => v.pod.namespace === namespace && v.pod.name === name);
  if (uid) return same.find((v) => v.pod.uid === uid);
  return same.sort((a, b) => b.pod.lastActivity - a.pod.lastActivity)[0];
}

/** Listing entry of one file. */
export function findFile(ref: FileRef): ApiFile | undefined {
  const v = findPod(ref.namespace, ref.pod, ref.uid);
  return v?.pod.containers.find((c) => c.name === ref.container)?.files.find((f) => f.name === ref.file);
}

/** Resolves once the pod list has been loaded (at once when it already is). */
export function whenLoaded(): Promise<void> {
  if (state.pods !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const off = subscribe((s) => {
      if (s.pods !== null) {
        off();
        resolve();
      }
    });
  });
}
