import { z } from 'zod';
import { zBool, zList } from '../config/zod-helpers.ts';

/** Pod priorities, P0 highest. */
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;
/** One pod priority (`P0` is the highest). */
export type Priority = (typeof PRIORITIES)[number];

/** Default file include globs (matched against the file's base name with picomatch). */
export const DEFAULT_INCLUDE = ['*.log*', '*.out'];
/** Default file exclude globs: JVM GC logs (`gc.log`, `gc.log.0.current`, `jobmanager-gc.log`, …). */
export const DEFAULT_EXCLUDE = ['gc*.log*', '*gc.log*', '*-gc-*.log*'];

const namespaceRule = z
  .object({
    minPriority: z.enum(PRIORITIES).optional().describe('Ship pods of this namespace at or above this priority (overrides minPriority).'),
    all: zBool.optional().describe('Ship every pod of this namespace.'),
    never: zBool.optional().describe('Never ship pods of this namespace, whatever their priority or annotation.'),
  })
  .strict();

/**
 * The ship keys of the agent configuration (part of the main schema, `src/config/schema.ts`, under `ship`).
 * Every key has a default except the target; without `esUrl` nothing ships and the search API
 * answers `PODLOG_E_UNAVAILABLE`. Sizes are bytes, durations milliseconds.
 */
export const shipConfigSchema = z
  .object({
    esUrl: z.string().url().optional().describe('Elasticsearch URL (flag --es-url, env PODLOG_ES_URL). Unset: shipping is off.'),
    apiKeyFile: z.string().optional().describe('File holding an Elasticsearch API key (the encoded form). Env PODLOG_ES_API_KEY gives it inline.'),
    username: z.string().optional().describe('Basic-auth user name (with passwordFile or env PODLOG_ES_PASSWORD).'),
    passwordFile: z.string().optional().describe('File holding the basic-auth password.'),
    caFile: z.string().optional().describe('PEM CA bundle to verify the Elasticsearch TLS certificate.'),
    namespaces: zList(z.string()).default([]).describe('Ship every pod of these namespaces (flag --ship-namespace, repeatable; env PODLOG_SHIP_NAMESPACES=a,b).'),
    namespaceRules: z.record(z.string(), namespaceRule).default({}).describe('Per-namespace overrides: {minPriority}, {all:true} or {never:true}.'),
    minPriority: z.enum(PRIORITIES).default('P1').describe('Ship pods at or above this priority (P0 highest).'),
    annotation: z.string().default('podlog.io/ship').describe('Pod annotation that opts a pod in ("true") or out ("false").'),
    include: zList(z.string()).default(DEFAULT_INCLUDE).describe('File name globs to ship.'),
    exclude: zList(z.string()).default(DEFAULT_EXCLUDE).describe('File name globs never shipped (wins over include).'),
    dataStream: z
      .string()
      .default('logs-podlog.flink-{namespace}')
      .describe('Target data stream; {namespace} is the pod namespace with "-" replaced by "_" (data stream name rules).'),
    templateName: z.string().default('podlog-logs').describe('Name of the index template podlog installs at start.'),
    timeZone: z.string().default('UTC').describe('IANA time zone of log timestamps that carry no offset (Flink/log4j layouts carry none).'),
    multilineStart: z
      .string()
      .optional()
      .describe('Regular expression (JavaScript syntax) a line must match to start a record; default: a log4j date at line start.'),
    multilineTimeoutMs: z.coerce.number().int().positive().default(2000).describe('Emit a pending record after the file has been idle this long.'),
    maxRecordBytes: z.coerce.number().int().positive().default(256 * 1024).describe('Longest record shipped; longer ones are cut (the offsets still cover every byte).'),
    flushBytes: z.coerce.number().int().positive().default(2 * 1024 * 1024).describe('Send a bulk request when this many NDJSON bytes are pending.'),
    flushIntervalMs: z.coerce.number().int().positive().default(1000).describe('Send a partial bulk request after this long.'),
    maxInFlightBytes: z.coerce.number().int().positive().default(8 * 1024 * 1024).describe('Bound on document bytes held in memory (queued + in flight).'),
    concurrency: z.coerce.number().int().positive().max(16).default(2).describe('Bulk requests in flight at once.'),
    requestTimeoutMs: z.coerce.number().int().positive().default(60_000).describe('Timeout of one bulk request.'),
    backoffInitialMs: z.coerce.number().int().positive().default(500).describe('First retry delay after a failed request.'),
    backoffMaxMs: z.coerce.number().int().positive().default(60_000).describe('Cap of the retry delay (exponential, full jitter).'),
    pollMs: z.coerce.number().int().positive().default(1000).describe('How often idle harvesters re-check their file and the policy is re-evaluated.'),
    checkpointIntervalMs: z.coerce.number().int().positive().default(1000).describe('How often acknowledged offsets are persisted.'),
    forgetAfterMs: z.coerce.number().int().positive().default(24 * 3600_000).describe('Drop the checkpoint of a file that has been gone this long.'),
  })
  .strict();

/** Parsed ship configuration (defaults applied). */
export type ShipConfig = z.infer<typeof shipConfigSchema>;
/** Ship configuration as written by a user (defaults optional). */
export type ShipConfigInput = z.input<typeof shipConfigSchema>;

/**
 * The ship keys taken from the environment: `PODLOG_ES_URL`, `PODLOG_SHIP_NAMESPACES` (comma list).
 * Secrets (`PODLOG_ES_API_KEY`, `PODLOG_ES_PASSWORD`) are read by {@link readSecrets}, not copied into config.
 * @returns a partial input to merge under file values and over defaults
 */
export function shipConfigFromEnv(env: NodeJS.ProcessEnv): Partial<ShipConfigInput> {
  const out: Partial<ShipConfigInput> = {};
  if (env.PODLOG_ES_URL) out.esUrl = env.PODLOG_ES_URL;
  if (env.PODLOG_SHIP_NAMESPACES) {
    out.namespaces = env.PODLOG_SHIP_NAMESPACES.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  return out;
}

/** Credentials and TLS material resolved from files and env. */
export interface ShipSecrets {
  apiKey?: string;
  username?: string;
  password?: string;
  ca?: string;
}

/**
 * Read credentials: API key from `apiKeyFile` or env `PODLOG_ES_API_KEY`; password from `passwordFile`
 * or env `PODLOG_ES_PASSWORD`; CA from `caFile`. File contents are trimmed.
 * @throws PodlogError `PODLOG_E_CONFIG` (via the caller) when a named file cannot be read — raised as a plain Error here.
 */
export async function readSecrets(cfg: ShipConfig, env: NodeJS.ProcessEnv, read: (p: string) => Promise<string>): Promise<ShipSecrets> {
  const s: ShipSecrets = {};
  if (cfg.apiKeyFile) s.apiKey = (await read(cfg.apiKeyFile)).trim();
  else if (env.PODLOG_ES_API_KEY) s.apiKey = env.PODLOG_ES_API_KEY;
  if (cfg.username) {
    s.username = cfg.username;
    if (cfg.passwordFile) s.password = (await read(cfg.passwordFile)).trim();
    else if (env.PODLOG_ES_PASSWORD) s.password = env.PODLOG_ES_PASSWORD;
  }
  if (cfg.caFile) s.ca = await read(cfg.caFile);
  return s;
}
