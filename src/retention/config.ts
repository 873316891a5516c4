import { z } from 'zod';
import { zBool } from '../config/zod-helpers.ts';
import { parseByteLimit, parseDuration, type ByteLimit } from './quantity.ts';

/**
 * The `retention` section of podlog's configuration (mounted by `src/config/schema.ts` under `retention`).
 * Every key has a default (or is optional) and a description; unknown keys are rejected.
 * Durations accept `7d`, `12h`, `30m`, `45s`, `250ms`; byte limits accept Kubernetes quantities
 * (`50Gi`, `500M`, `1e9`, plain bytes) or a share of the root's file system (`20%`).
 * Env: `PODLOG_RETENTION_MAX_AGE`, `PODLOG_RETENTION_MAX_BYTES`, ... (see `configKeys`).
 */

const zDuration = z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== undefined, {
  message: 'expected a duration such as 7d, 12h, 30m, 45s or 250ms',
});
const zLimit = z.union([z.string(), z.number()]).refine((v) => parseByteLimit(v) !== undefined, {
  message: 'expected bytes as a Kubernetes quantity (50Gi, 500M, 1e9) or a share of the file system (20%)',
});
const zBytes = z.union([z.string(), z.number()]).refine((v) => { const l = parseByteLimit(v); return l !== undefined && 'bytes' in l && l.bytes > 0; }, {
  message: 'expected bytes as a Kubernetes quantity (50Mi, 1e8)',
});
const zList = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.string().min(1)));

/** Zod schema of the `retention` config section. */
export const RetentionSchema = z.strictObject({
  enabled: zBool.default(true).describe('Run retention (age and disk budget) on the roots. Off: nothing is ever deleted by podlog.'),
  maxAge: zDuration.default('7d').describe('Keep an exited pod\'s folder this long after it exited (flag --retention-max-age), e.g. 7d, 36h. Without a pod record, a pod counts as exited when none of its files changed for this long.'),
  maxBytes: zLimit.optional().describe('Byte budget of each root (flag --retention-max-bytes): a quantity like 50Gi or a share of the root\'s file system like 20%. Unset: no budget, only the age and the free-space floor apply.'),
  minFree: zLimit.default('5%').describe('Free-space floor of each root\'s file system (50Gi or 5%). Below it, whole exited pods and rotated files go; unshipped priority data goes only when still below it (counted and logged).'),
  intervalMs: z.coerce.number().int().positive().default(300_000).describe('A full retention pass runs this often (ms).'),
  checkMs: z.coerce.number().int().positive().default(15_000).describe('The file systems\' free space is checked this often (ms, one statfs per root); a jump starts a pass at once.'),
  jumpBytes: zLimit.default('1%').describe('A drop of free space by this much since the last pass (1Gi or 1%) starts a pass at once.'),
  dryRun: zBool.default(false).describe('Plan only (flag --retention-dry-run): log and report what would be deleted and why, delete nothing.'),
  kubeletPodsDir: z.string().min(1).optional().describe('The kubelet\'s container log folder (/var/log/pods). Set to copy container stdout/stderr (CRI format) into the first root before the kubelet deletes it; unset: no copy.'),
  criPollMs: z.coerce.number().int().positive().default(1000).describe('The kubelet folder is scanned and new bytes copied this often (ms).'),
  criMaxFileBytes: zBytes.default('50Mi').describe('A stdout/stderr copy is rotated (stdio-N.cri.log → stdio-N.cri.log.K) past this size, so retention can free its older parts.'),
  criNamespaces: zList.default([]).describe('Copy stdout/stderr of these namespaces only (comma-separated in env); empty: every namespace.'),
});

/** The parsed `retention` section, as it appears in `Config`. */
export type RetentionConfig = z.output<typeof RetentionSchema>;

/** The policy numbers a retention pass needs, parsed from {@link RetentionConfig}. */
export interface RetentionPolicy {
  /** Exited pods older than this go (ms). */
  maxAgeMs: number;
  /** Root byte budget, when set. */
  maxBytes?: ByteLimit;
  /** Free-space floor of the root's file system. */
  minFree: ByteLimit;
}

/**
 * Parse the config's human amounts into a {@link RetentionPolicy}.
 * @throws Error when a value does not parse (cannot happen for a config that passed {@link RetentionSchema})
 */
export function policyOf(c: Pick<RetentionConfig, 'maxAge' | 'maxBytes' | 'minFree'>): RetentionPolicy {
  const maxAgeMs = parseDuration(c.maxAge);
  const minFree = parseByteLimit(c.minFree);
  const maxBytes = c.maxBytes === undefined ? undefined : parseByteLimit(c.maxBytes);
  if (maxAgeMs === undefined || minFree === undefined || (c.maxBytes !== undefined && maxBytes === undefined)) {
    throw new Error('retention: invalid maxAge, maxBytes or minFree');
  }
  return { maxAgeMs, minFree, ...(maxBytes ? { maxBytes } : {}) };
}

/** Defaults for every key, e.g. for tests: `retentionDefaults({ maxBytes: '1Mi' })`. */
export function retentionDefaults(overrides: Partial<z.input<typeof RetentionSchema>> = {}): RetentionConfig {
  return RetentionSchema.parse(overrides);
}
