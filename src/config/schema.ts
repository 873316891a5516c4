import { z } from 'zod';
import { RetentionSchema } from '../retention/config.ts';
import { AuthSchema } from '../auth/config.ts';
import { ClusterSchema } from '../cluster/config.ts';
import { kubeConfigSchema } from '../kube/config.ts';
import { shipConfigSchema } from '../ship/config.ts';
import { zBool, zList } from './zod-helpers.ts';

export { zBool, zList } from './zod-helpers.ts';

const GiB = 1024 ** 3;

/** Search limits (`/api/v1/search`). */
export const SearchSchema = z.strictObject({
  byteBudget: z.coerce.number().int().positive().default(8 * GiB).describe('Most bytes one search may read, across all files (bytes). Default 8 GiB: a 2 GiB search finishes.'),
  deadlineMs: z.coerce.number().int().positive().default(300_000).describe('Longest a search may run (ms).'),
  defaultLimit: z.coerce.number().int().positive().default(1000).describe('Matches returned when the request gives no limit.'),
  maxLimit: z.coerce.number().int().positive().default(100_000).describe('Largest limit a request may ask for.'),
  maxConcurrent: z.coerce.number().int().positive().default(4).describe('Searches running at once on this agent; more wait in line.'),
  maxQueued: z.coerce.number().int().nonnegative().default(16).describe('Searches that may wait for a slot at once; beyond that a search is refused at once (429 with Retry-After).'),
  queueWaitMs: z.coerce.number().int().positive().default(10_000).describe('Longest a search waits for a slot (ms); then 429 with Retry-After.'),
  workers: z.coerce.number().int().nonnegative().default(2).describe('Worker threads that scan files for searches (started on demand, stopped when idle); 0 scans on the main thread.'),
  engine: z.enum(['auto', 'ripgrep', 'builtin']).default('auto').describe('Search engine: ripgrep (rg, given the files as open descriptors), builtin (worker threads), or auto: ripgrep when found at start, else builtin. The built-in engine also takes .gz files and patterns ripgrep cannot run the same way.'),
  ripgrepPath: z.string().default('').describe('Absolute path of the rg binary; empty: rg on PATH, looked up once at start.'),
});

/** Live following (`…/follow`). */
export const FollowSchema = z.strictObject({
  heartbeatMs: z.coerce.number().int().positive().default(15_000).describe('SSE comment heartbeat interval (ms), keeps proxies from closing idle streams.'),
  pollMs: z.coerce.number().int().positive().default(250).describe('Stat poll interval while following, besides inotify (ms).'),
  maxClients: z.coerce.number().int().positive().default(256).describe('Concurrent follow streams on this agent.'),
});

/** The Prometheus endpoint (`/metrics`). */
export const MetricsSchema = z.strictObject({
  auth: zBool.default(false).describe("Require authentication on /metrics, as on /api/v1 (any authenticated caller may scrape; give Prometheus a token). Off: anyone who reaches the port reads the metrics (they name namespaces and pods, never files)."),
});

/**
 * The agent's configuration: one schema, defaults and a description per key, unknown keys rejected.
 * Sources, later wins: built-in defaults < YAML/JSON file (`--config`) < env `PODLOG_*` < flags.
 */
export const ConfigSchema = z.strictObject({
  roots: zList(z.string().min(1), 1).default(['/var/log/podlog']).describe('Log roots laid out <root>/<namespace>_<pod>_<uid>/<container>/<file>.'),
  stateDir: z.string().min(1).default('/var/lib/podlog').describe('Agent state (pod records, checkpoints, dead letters); no pod may write here.'),
  host: z.string().min(1).default('127.0.0.1').describe('Listen address. Use 0.0.0.0 in a DaemonSet.'),
  port: z.coerce.number().int().min(0).max(65535).default(8080).describe('Listen port (0 picks a free one).'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe("The agent's own log level (pino)."),
  usePolling: zBool.default(false).describe('Do not use inotify on the roots; rely on the periodic rescan (network file systems; lower rescanMs then).'),
  rescanMs: z.coerce.number().int().positive().default(60_000).describe('Full rescan of the roots (ms), a safety net for missed inotify events.'),
  runningWindowMs: z.coerce.number().int().positive().default(300_000).describe('Without pod records, a pod counts as running if a live file changed within this window (ms).'),
  shutdownGraceMs: z.coerce.number().int().positive().default(10_000).describe('On SIGTERM, wait this long for open requests before exiting (ms).'),
  demo: zBool.default(false).describe('Serve the embedded demo root (real Flink logs plus one pod appending live).'),
  search: SearchSchema.prefault({}),
  follow: FollowSchema.prefault({}),
  kube: kubeConfigSchema.prefault({}),
  ship: shipConfigSchema.prefault({}),
  retention: RetentionSchema.prefault({}),
  auth: AuthSchema.prefault({}),
  cluster: ClusterSchema.prefault({}),
  metrics: MetricsSchema.prefault({}),
});

/** The validated, frozen configuration. */
export type Config = Readonly<z.infer<typeof ConfigSchema>>;
