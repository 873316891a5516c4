/**
 * The agent as production runs it, for benchmarks: the bundle `npm run build` writes (built once per
 * process into `node_modules/.cache/podlog-bench/`) and the runtime tuning the DaemonSet sets (`NODE_OPTIONS`,
 * `MALLOC_ARENA_MAX`, read from manifests/base/daemonset.yaml, so a benchmark cannot drift from the deployment).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonSetTuning } from '../test/helpers/daemonset.ts';
import { buildAgent } from '../scripts/build.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const cache = join(repo, 'node_modules/.cache/podlog-bench');
let agent: Promise<string> | undefined;

/** Absolute path of the bundled agent's `cli.js` (`node <it> agent …`), built on first call. */
export function agentBundle(): Promise<string> {
  agent ??= buildAgent(join(cache, 'agent')).then(() => join(cache, 'agent', 'cli.js'));
  return agent;
}

/**
 * The environment to run the agent in: this process's, plus the DaemonSet's runtime tuning
 * (`NODE_OPTIONS`, `MALLOC_ARENA_MAX`); env `PODLOG_BENCH_NODE_FLAGS` replaces NODE_OPTIONS to compare flags.
 */
export function productionEnv(): NodeJS.ProcessEnv {
  const tuning = daemonSetTuning();
  if (process.env.PODLOG_BENCH_NODE_FLAGS !== undefined) tuning.NODE_OPTIONS = process.env.PODLOG_BENCH_NODE_FLAGS;
  return { ...process.env, ...tuning };
}
