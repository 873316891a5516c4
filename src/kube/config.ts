import { z } from 'zod';
import { zList } from '../config/zod-helpers.ts';

/** A podlog shipping priority: P0 is the highest, P3 the lowest. */
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;
/** One of {@link PRIORITIES}. */
export type Priority = (typeof PRIORITIES)[number];

const priority = z.enum(PRIORITIES);

/** Env values of maps are JSON (`PODLOG_KUBE_NAMESPACE_PRIORITIES='{"prod":"P1"}'`); bad JSON is left for the schema to reject. */
function jsonObject(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (v.trim() === '') return {};
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * The `kube` section (numbers coerced and lists comma-separated, so `PODLOG_KUBE_*` env values work) of podlog's configuration (part of the main schema, `src/config/schema.ts`, under `kube`).
 * Every key has a default and a description; unknown keys are rejected (`z.strictObject`).
 * Durations are in ms unless the name says seconds; sizes are counts.
 */
export const kubeConfigSchema = z.strictObject({
  enabled: z.enum(['auto', 'off']).default('auto')
    .describe("'auto': use in-cluster config, else --kubeconfig/KUBECONFIG, else run without cluster data; 'off': never talk to the API server"),
  kubeconfig: z.string().optional()
    .describe('Path of a kubeconfig file (flag --kubeconfig); when unset, KUBECONFIG is used outside a cluster'),
  nodeName: z.string().optional()
    .describe('This node\'s name (flag --node-name, env NODE_NAME from the downward API spec.nodeName); required for pod records'),
  identity: z.string().optional()
    .describe('Lease holder identity of this agent; defaults to env POD_NAME, else the host name'),
  peerAddress: z.string().optional()
    .describe('Base URL other agents use to reach this one (e.g. http://$(POD_IP):8080); published on the Lease so any agent can ask the elected one about gone pods'),
  jobLabelKeys: zList(z.string().min(1)).default(['app', 'app.kubernetes.io/instance', 'batch.kubernetes.io/job-name', 'job-name'])
    .describe('Pod label keys tried in order for the job id (Flink native Kubernetes and the Flink Kubernetes Operator put the cluster-id in `app`)'),
  componentLabelKey: z.string().default('component')
    .describe('Pod label key naming the job component (Flink: jobmanager|taskmanager)'),
  priorityKey: z.string().default('podlog.io/priority')
    .describe('Pod label or annotation (label wins) holding P0..P3'),
  namespacePriorities: z.preprocess(jsonObject, z.record(z.string(), priority)).default({})
    .describe('Priority for pods without the priority key, per namespace, e.g. {"flink-prod":"P1"}'),
  defaultPriority: priority.optional()
    .describe('Priority for pods with neither the key nor a namespace default; unset = no priority (not shipped by priority policy)'),
  leaseNamespace: z.string().default('podlog')
    .describe('Namespace of the coordination.k8s.io/v1 Lease that elects the agent recording pending pods and owners'),
  leaseName: z.string().default('podlog-cluster-recorder')
    .describe('Name of that Lease'),
  leaseDurationSeconds: z.coerce.number().int().min(5).max(300).default(15)
    .describe('How long a Lease stays valid without renewal (s)'),
  leaseRenewMs: z.coerce.number().int().min(10).default(5000)
    .describe('How often the holder renews and others retry (ms)'),
  ownerKinds: zList(z.string().min(1)).default(['ReplicaSet', 'Job', 'StatefulSet', 'Deployment', 'DaemonSet', 'CronJob'])
    .describe('Kinds whose Events the elected agent records (FailedCreate for quota lives on the ReplicaSet/Job/StatefulSet)'),
  watchPageSize: z.coerce.number().int().min(1).max(5000).default(500)
    .describe('`limit` of each list page'),
  watchTimeoutSeconds: z.coerce.number().int().min(1).default(300)
    .describe('`timeoutSeconds` asked of each watch (the server closes it then; we resume from the last resourceVersion)'),
  watchStallMs: z.coerce.number().int().min(10).default(90_000)
    .describe('Watchdog: a watch that delivers nothing (not even a bookmark) this long is dropped and restarted'),
  backoffInitialMs: z.coerce.number().int().min(1).default(1000)
    .describe('First retry delay after a failed list or watch (ms); doubles per failure, with jitter'),
  backoffMaxMs: z.coerce.number().int().min(1).default(30_000)
    .describe('Cap of the retry delay (ms)'),
  maxEventsPerPod: z.coerce.number().int().min(1).default(1000)
    .describe('Events kept per pod record (newest by last-seen)'),
  maxRecords: z.coerce.number().int().min(10).default(5000)
    .describe('Pod records kept on disk; past it the oldest deleted ones are removed'),
  recordRetentionDays: z.coerce.number().min(0).default(14)
    .describe('Records of pods deleted longer ago than this are removed (0 = keep until maxRecords)'),
  flushDelayMs: z.coerce.number().int().min(0).default(1000)
    .describe('Changed records are written to disk this long after the change (and always on stop)'),
});

/** Parsed `kube` configuration (see {@link kubeConfigSchema} for units and defaults). */
export type KubeConfigKeys = z.output<typeof kubeConfigSchema>;

/** Defaults for every key, e.g. for tests: `kubeDefaults({nodeName:'n1'})`. */
export function kubeDefaults(overrides: Partial<z.input<typeof kubeConfigSchema>> = {}): KubeConfigKeys {
  return kubeConfigSchema.parse(overrides);
}
