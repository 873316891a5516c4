/**
 * The agent as production runs it, for benchmarks: the bundle `npm run build` writes (built once per
 * process into `node_modules/.cache/podlog-bench/`) and the V8 flags the DaemonSet sets in `NODE_OPTIONS`
 * (read from manifests/base/daemonset.yaml, so a benchmark cannot drift from the deployment).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { daemonSetNodeOptions } from '../test/helpers/daemonset.ts';
import { buildAgent } from '../scripts/build.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const cache = join(repo, 'node_modules/.cache/podlog-bench');
let agent: Promise<string> | undefined;

/** Absolute path of the bundled agent's `cli.js` (`node <it> agent …`), built on first call. */
export function agentBundle(): Promise<string> {
  agent ??= buildAgent(join(cache, 'agent')).then(() => join(cache, 'agent', 'cli.js'));
  return agent;
}

/** The DaemonSet's `NODE_OPTIONS`, split into flags (e.g. `--max-old-space-size=384`). */
export function daemonSetNodeFlags(): string[] {
  return daemonSetNodeOptions().split(/\s+/).filter(Boolean);
}
