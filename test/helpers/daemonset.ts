/**
 * What the DaemonSet (manifests/base/daemonset.yaml) sets for the agent, read from the manifest so that
 * tests and benchmarks that run the agent "as the DaemonSet does" cannot drift from it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const MANIFEST = fileURLToPath(new URL('../../manifests/base/daemonset.yaml', import.meta.url));

/**
 * The agent container's `NODE_OPTIONS` value (V8 flags, e.g. `--max-old-space-size=384 …`).
 * @throws Error when the manifest has no container with a literal NODE_OPTIONS.
 */
export function daemonSetNodeOptions(): string {
  const ds = parse(readFileSync(MANIFEST, 'utf8')) as { spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } } };
  for (const c of ds.spec.template.spec.containers) {
    const v = c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value;
    if (v) return v;
  }
  throw new Error('manifests/base/daemonset.yaml: no NODE_OPTIONS on the agent container');
}
