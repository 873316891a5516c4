/**
 * What the DaemonSet (manifests/base/daemonset.yaml) sets for the agent, read from the manifest so that
 * tests and benchmarks that run the agent "as the DaemonSet does" cannot drift from it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const MANIFEST = fileURLToPath(new URL('../../manifests/base/daemonset.yaml', import.meta.url));

/** Environment variables that tune the runtime rather than configure podlog. */
const TUNING = ['NODE_OPTIONS', 'MALLOC_ARENA_MAX'];

/**
 * The agent container's runtime tuning as the DaemonSet sets it: `NODE_OPTIONS` (V8 flags) and
 * `MALLOC_ARENA_MAX`, with their literal values.
 * @throws Error when the manifest's agent container lacks one of them.
 */
export function daemonSetTuning(): Record<string, string> {
  const ds = parse(readFileSync(MANIFEST, 'utf8')) as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } };
  const env = ds.spec.template.spec.containers[0]?.env ?? [];
  return Object.fromEntries(TUNING.map((name) => {
    const value = env.find((e) => e.name === name)?.value;
    if (value === undefined) throw new Error(`manifests/base/daemonset.yaml: no ${name} on the agent container`);
    return [name, value];
  }));
}
