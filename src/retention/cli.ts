/**
 * `podlog retention --dry-run --root DIR`: scan the roots once, plan a retention pass and print what would be
 * deleted and why, deleting nothing. Without a cluster link, pods are judged by file activity
 * (running when a live file changed within `runningWindowMs`).
 */
import type { Writable } from 'node:stream';
import { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { Catalog } from '../store/catalog.ts';
import { RetentionSchema, type RetentionConfig } from './config.ts';
import { createRetention, type FsSpace, type RunReport } from './index.ts';
import { formatBytes } from './quantity.ts';

/** Options of {@link runRetentionDryRun}. */
export interface DryRunOptions {
  roots: string[];
  /** Retention keys (`maxAge`, `maxBytes`, `minFree`, ...); the rest default. */
  retention?: Partial<RetentionConfig>;
  /** Record-less running window, ms (default 300,000, as the agent's `runningWindowMs`). */
  runningWindowMs?: number;
  /** Where the report is printed (default stdout). */
  out?: Writable;
  logger?: Logger;
  /** Test seams. */
  now?: () => number;
  space?: (root: string) => Promise<FsSpace>;
}

/**
 * Plan one pass over `roots` and print it, one line per deletion (`would delete <kind> <bytes> <reason> <path>: <why>`)
 * and one summary line per root.
 * @returns the report (nothing is deleted)
 * @throws PodlogError `PODLOG_E_CONFIG` when a root is unusable or a retention value does not parse
 */
export async function runRetentionDryRun(o: DryRunOptions): Promise<RunReport> {
  const out = o.out ?? process.stdout;
  const logger = o.logger ?? pino({ level: 'silent' });
  const config = RetentionSchema.parse({ ...o.retention, dryRun: true });
  const catalog = new Catalog({ roots: o.roots, logger, usePolling: true, rescanMs: 3_600_000 });
  const ctl = new AbortController();
  try {
    await catalog.start(ctl.signal);
    const retention = createRetention({
      catalog, roots: catalog.roots, config, runningWindowMs: o.runningWindowMs ?? 300_000, logger, registry: new Registry(),
      ...(o.now ? { now: o.now } : {}), ...(o.space ? { space: o.space } : {}),
    });
    const report = await retention.runOnce({ dryRun: true });
    out.write(formatDryRun(report));
    return report;
  } finally {
    ctl.abort();
    await catalog.stop();
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * The `podlog retention` subcommand (commander), for `program.addCommand(retentionCommand())` in `src/cli.ts`:
 * `podlog retention --dry-run --root DIR [--root DIR2] [--retention-max-age 7d] [--retention-max-bytes 50Gi|20%]
 * [--retention-min-free 5%]`. Only dry runs are offered (the agent deletes); without `--dry-run` it refuses.
 * Exit code 0 after printing; a bad value prints one line and exits 2 (as the CLI does for PodlogErrors).
 */
export function retentionCommand(): Command {
  return new Command('retention')
    .description('Show what retention would delete under a root, and why (dry run: nothing is deleted)')
    .requiredOption('--root <dir>', 'log root, repeatable', collect)
    .option('--dry-run', 'plan only; required (the agent is what deletes)')
    .option('--retention-max-age <duration>', 'keep exited pods this long (7d, 36h)', '7d')
    .option('--retention-max-bytes <bytes>', 'byte budget per root: 50Gi or 20% of its file system')
    .option('--retention-min-free <bytes>', 'free-space floor: 10Gi or 5%', '5%')
    .option('--running-window-ms <ms>', 'without pod records, a pod is running if a live file changed this recently', '300000')
    .action(async (o: Record<string, string | string[] | boolean | undefined>) => {
      if (!o.dryRun) {
        process.stderr.write('podlog retention: only --dry-run is supported here; the agent runs retention itself\n');
        process.exitCode = 2;
        return;
      }
      const parsed = RetentionSchema.safeParse({ maxAge: o.retentionMaxAge, minFree: o.retentionMinFree, ...(o.retentionMaxBytes ? { maxBytes: o.retentionMaxBytes } : {}) });
      if (!parsed.success) {
        process.stderr.write(`podlog retention: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
        process.exitCode = 2;
        return;
      }
      await runRetentionDryRun({ roots: o.root as string[], retention: parsed.data, runningWindowMs: Number(o.runningWindowMs) });
    });
}

/** Render a dry-run report as plain text lines. */
export function formatDryRun(r: RunReport): string {
  const lines: string[] = [];
  for (const e of r.evicted) {
    lines.push(`would delete ${e.kind === 'pod' ? 'pod folder' : 'file'} ${e.path} (${formatBytes(e.bytes)}, ${e.reason}): ${e.why}`);
  }
  if (r.evictedCount > r.evicted.length) lines.push(`... and ${r.evictedCount - r.evicted.length} more`);
  for (const root of r.roots) {
    const budget = root.budgetBytes !== undefined ? `budget ${formatBytes(root.budgetBytes)}` : 'no byte budget';
    lines.push(`root ${root.path}: ${root.pods} pods, ${formatBytes(root.before.rootBytes)} of logs; file system ${formatBytes(root.before.fsTotal)} with ${formatBytes(root.before.fsFree)} free; ${budget}, free-space floor ${formatBytes(root.floorBytes)}`
      + ` -> after: ${root.keptPods} pods, ${formatBytes(root.after.rootBytes)}${root.stillOver ? ' (still over: live files of running pods and unshipped priority data are kept)' : ''}`);
  }
  lines.push(`dry run: would free ${formatBytes(r.bytesFreed)} in ${r.evictedCount} deletions (age ${formatBytes(r.reasons.age)}, budget ${formatBytes(r.reasons.budget)}, floor ${formatBytes(r.reasons.floor)}); nothing was deleted`);
  return lines.join('\n') + '\n';
}
