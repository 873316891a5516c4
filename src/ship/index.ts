/**
 * The shipper: decides which pod files ship (policy), matches each to its checkpoint, runs one
 * harvester per file, and persists acknowledged offsets. Built by `src/main.ts` with
 * {@link createShipper}; start/stop tie to the agent's root AbortSignal.
 */
import { join } from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { openSafe } from '../store/safe-open.ts';
import type { CatalogView, PodEntry } from '../store/types.ts';
import { CheckpointStore, type Checkpoint } from './checkpoints.ts';
import type { ShipConfig } from './config.ts';
import { DeadLetterFile } from './dead-letter.ts';
import { dataStreamName, staticFields } from './ecs.ts';
import { clientBulkSend, ensureTemplate } from './es-client.ts';
import { Harvester, type HarvesterOptions } from './harvester.ts';
import { matchCheckpoint } from './identify.ts';
import { FP_BYTES, readPrefix } from './identity.ts';
import { zoneClock } from './log4j.ts';
import { usableStateFile } from '../config/state-dir.ts';
import { shipMetrics, type FileLag, type ShipMetrics } from './metrics.ts';
import { startTest } from './multiline.ts';
import { decidePod, fileFilter, type PriorityOf } from './policy.ts';
import { abortableSleep, BulkSink, type BulkSend } from './sink.ts';
import { backoffDelay } from '../retry/backoff.ts';

export type { ShipConfig } from './config.ts';
export type { PodInfo, PriorityOf } from './policy.ts';

/** What {@link createShipper} needs. */
export interface ShipperDeps {
  catalog: CatalogView;
  priorityOf: PriorityOf;
  config: ShipConfig;
  /** The agent's state directory; the shipper uses `<stateDir>/ship/`. */
  stateDir: string;
  logger: Logger;
  metrics: Registry;
  /** `host.name` of the documents (the node name). */
  hostName: string;
  /** The Elasticsearch client (built in `main.ts` by `createEsClient`). */
  client?: Client;
  /** Test seams: replace the `_bulk` call, the clock, the backoff sleep and jitter. */
  send?: BulkSend;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** One harvested file in {@link ShipperStatus}. */
export interface HarvestStatus {
  path: string;
  id: string;
  size: number;
  acked: number;
  lagBytes: number;
}

/** Snapshot for the status API. */
export interface ShipperStatus {
  enabled: boolean;
  templateInstalled: boolean;
  files: HarvestStatus[];
  inFlightBytes: number;
  consecutiveFailures: number;
  lastError?: string;
}

/** The shipper's public face. */
export interface Shipper {
  /**
   * Load checkpoints, install the template (retrying), start harvesting. Resolves once running.
   * @throws StateUnusable when its files in the state directory cannot be used (nothing started then)
   */
  start(signal: AbortSignal): Promise<void>;
  /** Stop harvesters and requests, persist checkpoints. */
  stop(): Promise<void>;
  /** Re-evaluate the policy now (e.g. after pod labels changed); also done every `pollMs`. */
  refresh(): void;
  /**
   * Bytes of `path` (absolute, on the node) not yet acknowledged by Elasticsearch, for retention;
   * 0 when the file does not ship. A shipping file not yet opened counts in full.
   */
  unshippedBytes(path: string): number;
  status(): ShipperStatus;
  /**
   * True when every shipping file is acknowledged up to its size on disk (fstat now, not the last
   * read), so no shipping file has unshipped bytes (tests, benchmarks, status).
   */
  caughtUp(): Promise<boolean>;
}

interface Wanted {
  pod: PodEntry;
  container: string;
  path: string;
  name: string;
  size: number;
  dev: number;
  ino: number;
}

class ShipperImpl implements Shipper {
  private readonly cfg: ShipConfig;
  private readonly store: CheckpointStore;
  private readonly m: ShipMetrics;
  private readonly harvesters = new Map<string, Harvester>(); // by dev:ino
  private readonly podOf = new Map<Harvester, { namespace: string; pod: string }>(); // the lag series' labels, fixed at open
  private readonly opening = new Set<string>();
  private wanted = new Map<string, Wanted>(); // by path
  private readonly filter: (name: string) => boolean;
  private sink: BulkSink | undefined;
  private templateInstalled = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly ctl = new AbortController();
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private hopts: HarvesterOptions | undefined;
  private scheduled = false;

  private readonly d: ShipperDeps;

  constructor(d: ShipperDeps) {
    this.d = d;
    this.cfg = d.config;
    this.store = new CheckpointStore(join(d.stateDir, 'ship'), d.logger);
    this.m = shipMetrics(d.metrics, { lag: () => this.lag() });
    this.filter = fileFilter(d.config);
    this.now = d.now ?? Date.now;
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    await this.store.load();
    const client = this.d.client;
    if (!client && !this.d.send) {
      this.d.logger.info('ship: no Elasticsearch client; shipping is off');
      return;
    }
    const send = this.d.send ?? clientBulkSend(client!, this.cfg.requestTimeoutMs);
    const dl = new DeadLetterFile(join(this.d.stateDir, 'ship'));
    await usableStateFile(dl.path, 'dead letters');
    this.sink = new BulkSink(this.cfg, {
      send, deadLetter: (l) => dl.write(l), metrics: this.m, logger: this.d.logger,
      ...(this.d.sleep ? { sleep: this.d.sleep } : {}), ...(this.d.random ? { random: this.d.random } : {}),
    });
    this.hopts = {
      chunkBytes: 64 * 1024 /* below V8 large-object size: chunk strings die young */, maxRecordBytes: this.cfg.maxRecordBytes, multilineTimeoutMs: this.cfg.multilineTimeoutMs,
      pollMs: this.cfg.pollMs, isStart: startTest(this.cfg.multilineStart), clock: zoneClock(this.cfg.timeZone), now: this.now,
    };
    this.unsubscribe = this.d.catalog.onChange((c) => {
      if (c.type === 'file-changed') {
        const h = this.harvesters.get(`${c.file.dev}:${c.file.ino}`);
        if (h) return h.wake();
      }
      this.schedule();
    });
    if (client) void this.installTemplate(client);
    else this.templateInstalled = true;
    this.timer = setInterval(() => this.tick(), this.cfg.pollMs);
    this.saveTimer = setInterval(() => void this.save(), this.cfg.checkpointIntervalMs);
    this.reconcile();
  }

  private async installTemplate(client: Client): Promise<void> {
    for (let attempt = 0; !this.ctl.signal.aborted; attempt++) {
      try {
        const analyzer = await ensureTemplate(client, this.cfg);
        this.templateInstalled = true;
        this.d.logger.info({ template: this.cfg.templateName, analyzer }, 'ship: index template installed');
        if (analyzer !== 'pattern') this.d.logger.warn('ship: Elasticsearch has no "pattern" analyzer (analysis-common module); message text uses the standard analyzer');
        this.reconcile();
        return;
      } catch (e) {
        const wait = backoffDelay(attempt + 1, { initialMs: this.cfg.backoffInitialMs, maxMs: this.cfg.backoffMaxMs }, (this.d.random ?? Math.random)());
        this.d.logger.warn({ err: (e as Error).message, waitMs: wait }, 'ship: cannot install index template; retrying');
        await (this.d.sleep ?? abortableSleep)(wait, this.ctl.signal);
      }
    }
  }

  private tick(): void {
    this.reconcile();
    for (const h of this.harvesters.values()) {
      h.wake();
      void h.refreshSize();
    }
    this.gc();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.reconcile();
    });
  }

  refresh(): void {
    this.schedule();
  }

  /** Compute the wanted files, start harvesters for new ones, stop or release the others. */
  private reconcile(): void {
    if (this.ctl.signal.aborted || !this.sink) return;
    const wanted = new Map<string, Wanted>();
    const present = new Set<string>();
    for (const pod of this.d.catalog.pods()) {
      const decision = decidePod(this.cfg, pod, this.d.priorityOf(pod));
      for (const c of pod.containers.values()) {
        for (const f of c.files.values()) {
          present.add(`${f.dev}:${f.ino}`);
          if (!decision.ship || !this.filter(f.name)) continue;
          wanted.set(f.path, { pod, container: c.name, path: f.path, name: f.name, size: f.size, dev: f.dev, ino: f.ino });
        }
      }
    }
    this.wanted = wanted;
    const wantedKeys = new Set<string>();
    for (const w of wanted.values()) {
      const key = `${w.dev}:${w.ino}`;
      wantedKeys.add(key);
      const h = this.harvesters.get(key);
      if (h) {
        if (h.path !== w.path) h.path = w.path;
        h.gone = false;
        continue;
      }
      if (this.templateInstalled && !this.opening.has(key)) void this.open(w, key);
    }
    for (const [key, h] of this.harvesters) {
      if (wantedKeys.has(key)) continue;
      if (present.has(key)) h.stop(); // still on disk but no longer shipped (policy or label change)
      else {
        h.gone = true; // deleted or renamed out of the globs: read to the end, then finish
        h.wake();
      }
    }
  }

  private async open(w: Wanted, key: string): Promise<void> {
    this.opening.add(key);
    let handle;
    try {
      const sf = await openSafe(w.pod.root, w.path);
      handle = sf.handle;
      const gz = w.name.endsWith('.gz');
      const skey = `${sf.stat.dev}:${sf.stat.ino}`;
      if ((!gz && sf.stat.size === 0) || this.harvesters.has(skey) || this.ctl.signal.aborted) return;
      const head = await readPrefix(sf.handle, FP_BYTES, gz);
      if (head.length === 0) return;
      const owned = new Set([...this.harvesters.values()].map((h) => h.cp.id));
      const match = matchCheckpoint(this.store, {
        path: w.path, dev: sf.stat.dev, ino: sf.stat.ino, size: sf.stat.size, gz, head, podUid: w.pod.uid, container: w.container,
      }, owned, this.now());
      if (!('cp' in match)) return; // deferred copy, or a file already shipped to its end
      const { cp } = match;
      cp.path = w.path;
      if (match.kind === 'new') await this.store.save(); // identity persisted before any document is sent
      if (this.ctl.signal.aborted) return;
      const info = this.d.priorityOf(w.pod);
      const index = dataStreamName(this.cfg.dataStream, w.pod.namespace);
      const fixed = staticFields({
        hostName: this.d.hostName, namespace: w.pod.namespace, podName: w.pod.name, podUid: w.pod.uid, container: w.container,
        path: w.path, labels: info?.labels ?? {}, ...(info?.jobId !== undefined ? { jobId: info.jobId } : {}), dataStream: index,
      });
      const h = new Harvester(sf.handle, gz, cp, index, fixed, {
        sink: this.sink!, opts: this.hopts!, onAck: () => this.store.touch(),
      }, sf.stat.size);
      this.harvesters.set(skey, h);
      this.podOf.set(h, { namespace: w.pod.namespace, pod: w.pod.name });
      handle = undefined;
      this.m.harvesters.set(this.harvesters.size);
      this.d.logger.debug({ path: w.path, id: cp.id, offset: cp.offset, match: match.kind }, 'ship: harvesting');
      void this.runHarvester(skey, h);
    } catch (e) {
      this.d.logger.debug({ err: (e as Error).message, path: w.path }, 'ship: cannot open file');
    } finally {
      this.opening.delete(key);
      await handle?.close().catch(() => undefined);
    }
  }

  /** The lag of every running harvester, for the scrape-time lag gauges (their one source). */
  private *lag(): Iterable<FileLag> {
    const now = this.now();
    for (const h of this.harvesters.values()) {
      const of = this.podOf.get(h);
      if (!of) continue;
      yield { ...of, bytes: Math.max(0, h.size - h.acked), seconds: h.behindSinceMs === undefined ? 0 : (now - h.behindSinceMs) / 1000 };
    }
  }

  private async runHarvester(key: string, h: Harvester): Promise<void> {
    let end: string = 'stopped';
    try {
      end = await h.run();
      if (end === 'eof' && !this.ctl.signal.aborted) await this.sinkDrained(h);
    } catch (e) {
      this.d.logger.warn({ err: (e as Error).message, path: h.path }, 'ship: harvester failed; will reopen');
    } finally {
      this.harvesters.delete(key);
      this.podOf.delete(h);
      this.m.harvesters.set(this.harvesters.size);
      await h.handle.close().catch(() => undefined);
      const cp = h.cp;
      cp.releasedMs = this.now();
      if (end === 'eof' && h.drained) cp.finished = true;
      if (end === 'truncated') cp.truncated = true;
      this.store.touch();
      if (end !== 'stopped') this.schedule();
    }
  }

  private async sinkDrained(h: Harvester): Promise<void> {
    this.sink?.flush();
    while (!h.drained && !this.ctl.signal.aborted) await this.sink!.idle();
  }

  private gc(): void {
    const now = this.now();
    for (const e of this.store.entries()) {
      if (e.releasedMs !== undefined && now - e.releasedMs > this.cfg.forgetAfterMs) this.store.delete(e.id);
    }
  }

  private async save(): Promise<void> {
    try {
      await this.store.save();
    } catch (e) {
      this.d.logger.error({ err: (e as Error).message }, 'ship: cannot persist checkpoints');
    }
  }

  async stop(): Promise<void> {
    if (this.ctl.signal.aborted) return;
    this.ctl.abort();
    if (this.timer) clearInterval(this.timer);
    if (this.saveTimer) clearInterval(this.saveTimer);
    this.unsubscribe?.();
    for (const h of this.harvesters.values()) h.stop();
    this.sink?.stop();
    for (const h of this.harvesters.values()) await h.handle.close().catch(() => undefined);
    await this.save();
  }

  unshippedBytes(path: string): number {
    // the larger of the harvester's size (fstat every pollMs) and the catalog's, so bytes not yet read count too
    for (const h of this.harvesters.values()) if (h.path === path) return Math.max(0, Math.max(h.size, this.wanted.get(path)?.size ?? 0) - h.acked);
    const w = this.wanted.get(path);
    if (!w) return 0;
    const cp: Checkpoint | undefined = this.store.entries().find((e) => e.path === path && e.dev === w.dev && e.ino === w.ino);
    if (cp?.finished) return 0;
    return Math.max(0, w.size - (cp?.offset ?? 0));
  }

  async caughtUp(): Promise<boolean> {
    await Promise.all([...this.harvesters.values()].map((h) => h.refreshSize()));
    for (const w of this.wanted.values()) if (this.unshippedBytes(w.path) > 0) return false;
    return true;
  }

  status(): ShipperStatus {
    const s: ShipperStatus = {
      enabled: this.sink !== undefined,
      templateInstalled: this.templateInstalled,
      files: [...this.harvesters.values()].map((h) => ({ path: h.path, id: h.cp.id, size: h.size, acked: h.acked, lagBytes: Math.max(0, h.size - h.acked) })),
      inFlightBytes: this.sink?.bytesInFlight ?? 0,
      consecutiveFailures: this.sink?.consecutiveFailures ?? 0,
    };
    if (this.sink?.lastError !== undefined) s.lastError = this.sink.lastError;
    return s;
  }
}

/**
 * Build the shipper (does no I/O until `start`). Without `config.esUrl` it only loads checkpoints
 * and `unshippedBytes` returns 0 for every file.
 */
export function createShipper(deps: ShipperDeps): Shipper {
  return new ShipperImpl(deps);
}
