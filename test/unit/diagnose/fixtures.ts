/**
 * Builders for diagnose tests: pods and Events as `kubectl get -o json` prints them. Only the fields the
 * cases vary are parameters; messages in the tests are verbatim Kubernetes texts with their source cited.
 */
import assert from 'node:assert/strict';
import { diagnose as diagnoseUnchecked } from '../../../src/diagnose/index.ts';
import { MAX_HEADLINE, MAX_PROSE, proseLength } from '../../../src/diagnose/bounds.ts';
import type { ContainerJson, ContainerStatusJson, DiagnoseInput, Diagnosis, EventJson, PodJson } from '../../../src/diagnose/types.ts';

/**
 * {@link diagnoseUnchecked} with the prose bounds asserted on every diagnosis a test makes: headline at most
 * MAX_HEADLINE characters, prose before the timeline at most MAX_PROSE, every finding with a summary, a fix and
 * evidence quoting a field or an Event.
 */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const d = diagnoseUnchecked(input);
  assert.ok(d.headline.length <= MAX_HEADLINE, `headline of ${d.headline.length} characters: ${d.headline}`);
  assert.ok(proseLength(d) <= MAX_PROSE, `prose of ${proseLength(d)} characters`);
  for (const f of [...d.findings, ...d.past]) {
    assert.ok(f.summary && f.fix, `finding ${f.class} without summary or fix`);
    assert.ok(f.evidence.length > 0 && f.evidence.every((e) => e.ref && typeof e.text === 'string'), `finding ${f.class} without evidence: ${f.summary}`);
  }
  return d;
}

export const NOW = new Date('2024-05-01T12:00:00Z');
export const NS = 'flink-jobs';
export const POD = 'orders-tm-1-1';
export const UID = '6f1c3a2e-0000-4000-8000-000000000001';

/** `minutes` before NOW as RFC 3339. */
export function ago(minutes: number): string {
  return new Date(NOW.getTime() - minutes * 60_000).toISOString().replace(/\.000Z$/, 'Z');
}

/** A pod with one container `main` (or the given ones) and the given status. */
export function pod(opts: {
  containers?: ContainerJson[];
  initContainers?: ContainerJson[];
  phase?: string;
  statuses?: ContainerStatusJson[];
  initStatuses?: ContainerStatusJson[];
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
  nodeName?: string | null;
  reason?: string;
  message?: string;
  spec?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  name?: string;
}): PodJson {
  const containers = opts.containers ?? [{ name: 'main', image: 'registry.example.com/team/app:1.4.2' }];
  const p: PodJson = {
    kind: 'Pod',
    metadata: { name: opts.name ?? POD, namespace: NS, uid: UID, creationTimestamp: ago(120), ...(opts.metadata ?? {}) },
    spec: { containers, ...(opts.initContainers ? { initContainers: opts.initContainers } : {}), ...(opts.nodeName === null ? {} : { nodeName: opts.nodeName ?? 'node-a' }), ...(opts.spec ?? {}) },
    status: { phase: opts.phase ?? 'Running', ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.message ? { message: opts.message } : {}) },
  };
  if (opts.conditions) p.status!.conditions = opts.conditions;
  if (opts.statuses) p.status!.containerStatuses = opts.statuses;
  if (opts.initStatuses) p.status!.initContainerStatuses = opts.initStatuses;
  return p;
}

/** A core/v1 Event about the pod (or `kind/name` when given). */
export function ev(reason: string, message: string, opts: { type?: string; count?: number; at?: string; first?: string; container?: string; kind?: string; name?: string; uid?: string; component?: string } = {}): EventJson {
  const kind = opts.kind ?? 'Pod';
  return {
    metadata: { name: `${opts.name ?? POD}.17c9f4a1b2c3d4e5`, namespace: NS },
    involvedObject: {
      kind,
      namespace: NS,
      name: opts.name ?? POD,
      ...(kind === 'Pod' ? { uid: opts.uid ?? UID } : opts.uid ? { uid: opts.uid } : {}),
      ...(opts.container ? { fieldPath: `spec.containers{${opts.container}}` } : {}),
    },
    reason,
    message,
    type: opts.type ?? 'Warning',
    count: opts.count ?? 1,
    firstTimestamp: opts.first ?? opts.at ?? ago(5),
    lastTimestamp: opts.at ?? ago(1),
    source: { component: opts.component ?? 'kubelet' },
  };
}

/** Ready=True condition since `minutes` ago. */
export function ready(minutes: number) {
  return [{ type: 'Ready', status: 'True', lastTransitionTime: ago(minutes) }, { type: 'ContainersReady', status: 'True', lastTransitionTime: ago(minutes) }];
}

/** Ready=False condition. */
export function notReady() {
  return [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [main]', lastTransitionTime: ago(30) }];
}
