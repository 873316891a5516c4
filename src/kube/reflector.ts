import type { Logger } from 'pino';
import { backoffDelay, sleep, type BackoffParams, type Clock } from '../retry/backoff.ts';

/** A Kubernetes object as plain JSON (timestamps are strings). */
export type KubeObject = { metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: unknown };

/** One page of a list: plain JSON items, the list's resourceVersion and the `continue` token if more pages follow. */
export interface ListPage {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
}

/** The part of client-node's `Watch` the reflector uses (`Watch.watch` in `dist/watch.js` of 2.0.x). */
export interface WatchLike {
  watch(path: string, query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, obj: any, raw?: any) => void, done: (err: any) => void): Promise<AbortController>;
}

/** Why one watch connection ended; used for logs, metrics and the retry decision. */
export type WatchEnd = 'closed' | 'expired' | 'stalled' | 'error' | 'aborted' | 'relist';

/** Observer of a reflector's life, e.g. the Prometheus counters in `metrics.ts`. */
export interface ReflectorObserver {
  /** A full list completed with `items` objects. */
  relisted?(name: string, items: number): void;
  /** One watch event was applied (ADDED|MODIFIED|DELETED|BOOKMARK). */
  event?(name: string, type: string): void;
  /** A watch ended for `reason`; `delayMs` is the wait before the next attempt. */
  restarted?(name: string, reason: WatchEnd | 'list-error', delayMs: number): void;
  /** Connection state changed: true after a successful list or watch start, false after a failure. */
  connected?(name: string, up: boolean): void;
}

/** Options of {@link Reflector}. */
export interface ReflectorOptions {
  /** Short fixed name (`pods`, `events`, `pending-pods`, `owner-events`): logs and metric label. */
  name: string;
  /** Collection path of the watch, e.g. `/api/v1/pods`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
  /** One list page (with `limit` and `continue`), as plain JSON. Errors with `code`/`statusCode` 410 mean "expired". */
  list(opts: { limit: number; continue?: string }): Promise<ListPage>;
  watch: WatchLike;
  /** Called after every complete (re)list with the full current state. */
  onSync(items: KubeObject[]): void;
  /** Called for each ADDED, MODIFIED or DELETED watch event. */
  onEvent(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void;
  /** `limit` per list page. */
  pageSize: number;
  /** Base `timeoutSeconds` of a watch; each watch asks for a value in [base, 2*base) like client-go's reflector. */
  timeoutSeconds: number;
  /** Watchdog: ms without any watch line (event or bookmark) before the watch is dropped and restarted. */
  stallMs: number;
  backoff: BackoffParams;
  clock: Clock;
  logger: Logger;
  observer?: ReflectorObserver;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (e && typeof e.statusCode === 'number') return e.statusCode;
  if (e && typeof e.code === 'number') return e.code;
  return undefined;
}

/**
 * A list+watch loop for one collection, in the manner of client-go's Reflector (our own rather than
 * client-node's `ListWatch`, which stops on any non-410 error, sends no bookmarks or timeoutSeconds and
 * keys its cache by name, not uid — PROTOCOLS.md B3, kubernetes-client/javascript #447, #795, #1933).
 *
 * - Lists page by page (`limit`/`continue`), then watches from the list's resourceVersion with
 *   `allowWatchBookmarks=true` and `timeoutSeconds`; every line (bookmarks too) advances the resourceVersion.
 * - 410 Gone (HTTP status or an in-stream ERROR event with code 410, PROTOCOLS B2) → relist.
 * - A normal close after at least one line → re-watch at once from the last resourceVersion.
 * - A watch silent for `stallMs` (no event, no bookmark) → dropped by the watchdog and resumed at once.
 * - Any other end (error status, connection error, a close with nothing received) → retry after capped
 *   exponential backoff with jitter ({@link backoffDelay}).
 * `run` returns only when `signal` aborts; it never throws.
 */
export class Reflector {
  private rv = '';
  private failures = 0;
  private isConnected = false;
  private hasSynced = false;
  private relistWanted = false;
  private kick: (() => void) | undefined;

  private readonly o: ReflectorOptions;

  constructor(o: ReflectorOptions) {
    this.o = o;
  }

  /** True after the first complete list. */
  synced(): boolean {
    return this.hasSynced;
  }

  /** True while the last list or watch attempt succeeded. */
  connected(): boolean {
    return this.isConnected;
  }

  /** The resourceVersion the next watch resumes from ('' = relist). */
  resourceVersion(): string {
    return this.rv;
  }

  /** Drop the current watch and relist now (e.g. after new objects became interesting to the handler). */
  requestRelist(): void {
    this.relistWanted = true;
    this.kick?.();
  }

  /** Run until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { logger, name } = this.o;
    while (!signal.aborted) {
      if (this.relistWanted) {
        this.relistWanted = false;
        this.rv = '';
      }
      if (this.rv === '') {
        try {
          await this.relist(signal);
        } catch (err) {
          if (signal.aborted) break;
          const expired = statusOf(err) === 410;
          const delay = this.fail();
          logger.warn({ watch: name, err: String(err), delayMs: delay }, expired ? 'list continue token expired; relisting' : 'list failed; retrying');
          this.o.observer?.restarted?.(name, 'list-error', delay);
          await sleep(this.o.clock, delay, signal);
          continue;
        }
      }
      const { end, lines, err } = await this.watchOnce(signal);
      if (end === 'aborted') break;
      let delay = 0;
      if (end === 'relist') {
        this.rv = '';
      } else if (end === 'expired') {
        this.rv = '';
        if (lines === 0) delay = this.fail();
      } else if (end === 'closed' && lines > 0) {
        this.failures = 0;
      } else if (end === 'stalled') {
        // A quiet collection and a silently dead connection look alike; resuming from the last
        // resourceVersion is right and cheap for both, and the watchdog period already paces it.
      } else {
        delay = this.fail();
      }
      const level = end === 'error' ? 'warn' : 'debug';
      logger[level]({ watch: name, end, lines, delayMs: delay, err: err === undefined ? undefined : String(err) }, 'watch ended');
      this.o.observer?.restarted?.(name, end, delay);
      if (delay > 0) await sleep(this.o.clock, delay, signal);
    }
    this.setConnected(false);
  }

  private fail(): number {
    this.failures += 1;
    this.setConnected(false);
    return backoffDelay(this.failures, this.o.backoff, this.o.clock.random());
  }

  private setConnected(up: boolean): void {
    if (this.isConnected !== up) {
      this.isConnected = up;
      this.o.observer?.connected?.(this.o.name, up);
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const items: KubeObject[] = [];
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.o.list({ limit: this.o.pageSize, continue: cont });
      if (signal.aborted) return;
      items.push(...page.items);
      cont = page.continue || undefined;
      rv = page.resourceVersion;
    } while (cont);
    this.o.onSync(items);
    this.rv = rv;
    this.hasSynced = true;
    this.failures = 0;
    this.setConnected(true);
    this.o.observer?.relisted?.(this.o.name, items.length);
  }

  private watchOnce(signal: AbortSignal): Promise<{ end: WatchEnd; lines: number; err?: unknown }> {
    const { clock } = this.o;
    return new Promise((resolve) => {
      let lines = 0;
      let finished = false;
      let expired = false;
      let streamError: unknown;
      let controller: AbortController | undefined;
      let watchdog: unknown;
      const finish = (end: WatchEnd, err?: unknown): void => {
        if (finished) return;
        finished = true;
        clock.clearTimeout(watchdog);
        this.kick = undefined;
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve({ end, lines, err });
      };
      const arm = (): void => {
        clock.clearTimeout(watchdog);
        watchdog = clock.setTimeout(() => finish('stalled'), this.o.stallMs);
      };
      const onAbort = (): void => finish('aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      this.kick = () => finish('relist');
      arm();
      const query: Record<string, string | number | boolean | undefined> = {
        resourceVersion: this.rv,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.floor(this.o.timeoutSeconds * (1 + clock.random())),
        fieldSelector: this.o.fieldSelector,
        labelSelector: this.o.labelSelector,
      };
      const onLine = (phase: string, obj: KubeObject): void => {
        if (finished) return;
        lines += 1;
        arm();
        this.setConnected(true);
        if (phase === 'ERROR') {
          const code = (obj as { code?: unknown }).code;
          if (code === 410) expired = true;
          else streamError = new Error(`watch ERROR event: ${String((obj as { message?: unknown }).message)} (code ${String(code)})`);
          return;
        }
        const rv = obj?.metadata?.resourceVersion;
        if (phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED') {
          try {
            this.o.onEvent(phase, obj);
          } catch (err) {
            this.o.logger.error({ watch: this.o.name, err: String(err) }, 'watch event handler failed');
          }
        }
        this.o.observer?.event?.(this.o.name, phase);
        if (typeof rv === 'string' && rv !== '') this.rv = rv;
      };
      const onDone = (err: unknown): void => {
        if (expired || statusOf(err) === 410) finish('expired', err ?? undefined);
        else if (err) finish('error', err);
        else if (streamError) finish('error', streamError);
        else finish('closed');
      };
      this.o.watch.watch(this.o.path, query, onLine, onDone).then(
        (c) => {
          controller = c;
          if (finished) c.abort();
        },
        (err: unknown) => finish('error', err),
      );
    });
  }
}
