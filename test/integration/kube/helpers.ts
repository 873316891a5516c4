import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { kubeDefaults, type KubeConfigKeys } from '../../../src/kube/config.ts';
import { createKubeLink, type KubeLink } from '../../../src/kube/index.ts';
import { kubeConfigFor, type FakeKube } from '../../servers/fake-kube.ts';

export { kubeConfigFor };
import { waitFor as pollUntil } from '../../helpers/wait.ts';

/** Poll `cond` every 5 ms until true or `ms` pass (then throw with `what`): the shared {@link pollUntil}. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  await pollUntil(cond, { what, timeoutMs: ms, intervalMs: 5 });
}

/** Fast settings for tests: tiny backoff, a short watchdog, immediate flushes. */
export function testConfig(over: Partial<KubeConfigKeys> = {}): KubeConfigKeys {
  return kubeDefaults({
    nodeName: 'node-a', identity: 'agent-a', backoffInitialMs: 5, backoffMaxMs: 40, watchStallMs: 400,
    flushDelayMs: 0, leaseRenewMs: 30, leaseDurationSeconds: 5, ...over,
  });
}

/** A running link plus its registry, for metric assertions. */
export interface Agent { link: KubeLink; registry: Registry; ac: AbortController }

/** Build and start an agent against `fake` with its state in `stateDir`. */
export async function startAgent(fake: FakeKube, stateDir: string, over: Partial<KubeConfigKeys> = {}): Promise<Agent> {
  const registry = new Registry();
  const config = testConfig(over);
  const link = await createKubeLink({ config, stateDir, logger: pino({ level: process.env.PODLOG_TEST_LOG ?? 'silent' }), metrics: registry, kubeConfig: kubeConfigFor(fake), identity: config.identity! });
  if (!link) throw new Error('no link');
  const ac = new AbortController();
  await link.start(ac.signal);
  return { link, registry, ac };
}

/** Sum of a counter's values whose labels include `labels`. */
export async function counter(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const v = await m.get();
  return v.values.filter((x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l)).reduce((a, x) => a + x.value, 0);
}

/** A temp state dir; call the returned function to remove it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'podlog-kube-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A pod object as the control plane creates it. */
export function pod(name: string, node: string | undefined, labels: Record<string, string> = {}, namespace = 'flink'): any {
  return {
    metadata: { name, namespace, labels, annotations: { 'podlog.io/priority': 'P1' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${name}-rs`, uid: 'rs-uid-1', controller: true }] },
    spec: {
      ...(node ? { nodeName: node } : {}),
      containers: [{ name: 'flink-main-container', image: 'flink:1.20', resources: { requests: { memory: '1Gi', cpu: '500m' }, limits: { memory: '1Gi' } } }],
    },
    status: { phase: node ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: node ? 'True' : 'False' }],
      containerStatuses: node ? [{ name: 'flink-main-container', image: 'flink:1.20', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } }] : [] },
  };
}

let evN = 0;
/** A core/v1 Event about `obj` (kind/namespace/name/uid). */
export function event(obj: { kind: string; namespace: string; name: string; uid: string }, reason: string, message: string, type = 'Normal', count = 1): any {
  evN += 1;
  return {
    metadata: { name: `${obj.name}.${evN.toString(16).padStart(8, '0')}`, namespace: obj.namespace },
    involvedObject: { kind: obj.kind, namespace: obj.namespace, name: obj.name, uid: obj.uid, apiVersion: obj.kind === 'Pod' ? 'v1' : 'apps/v1' },
    reason, message, type, count, firstTimestamp: '2026-01-01T00:00:00Z', lastTimestamp: `2026-01-01T00:00:${String(evN % 60).padStart(2, '0')}Z`,
    source: { component: 'kubelet', host: 'node-a' }, reportingComponent: 'kubelet', reportingInstance: 'node-a',
  };
}
