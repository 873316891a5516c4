/**
 * Shapes for `src/diagnose`: the plain Kubernetes JSON it reads (as `kubectl get -o json` prints it, string
 * timestamps) and the diagnosis it produces. Only the fields the rules read are declared; everything else is
 * ignored. Field names follow core/v1 (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/)
 * and events.k8s.io/v1 (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/).
 */

/** `metadata.ownerReferences[]` of a pod. */
export interface OwnerReferenceJson {
  kind: string;
  name: string;
  uid?: string;
  controller?: boolean;
}

/** `metadata` of a pod (subset). Timestamps are RFC 3339 strings. */
export interface ObjectMetaJson {
  name?: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  ownerReferences?: OwnerReferenceJson[];
}

/** `resources` of a container: quantities as strings (`"8Gi"`, `"500m"`) or numbers. */
export interface ResourcesJson {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

/** A probe (`livenessProbe`, `readinessProbe`, `startupProbe`); times in seconds. */
export interface ProbeJson {
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
  grpc?: { port?: number };
}

/** A container or init container of the pod spec (subset). */
export interface ContainerJson {
  name: string;
  image?: string;
  /** Replaces the image's ENTRYPOINT (and drops its CMD). */
  command?: string[];
  /** Replaces the image's CMD (kept ENTRYPOINT, or `command`). */
  args?: string[];
  resources?: ResourcesJson;
  livenessProbe?: ProbeJson;
  readinessProbe?: ProbeJson;
  startupProbe?: ProbeJson;
  /** `Always` on an init container marks a native sidecar (Kubernetes 1.29+). */
  restartPolicy?: string;
}

/** `spec.tolerations[]`. */
export interface TolerationJson {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** `spec.volumes[]` (subset: the source kinds the volume rules name). */
export interface VolumeJson {
  name: string;
  configMap?: { name?: string; optional?: boolean };
  secret?: { secretName?: string; optional?: boolean };
  persistentVolumeClaim?: { claimName?: string };
  nfs?: { server?: string; path?: string };
  csi?: { driver?: string };
  emptyDir?: { sizeLimit?: string; medium?: string };
}

/** `spec` of a pod (subset). */
export interface PodSpecJson {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: TolerationJson[];
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: unknown[];
  containers?: ContainerJson[];
  initContainers?: ContainerJson[];
  volumes?: VolumeJson[];
  imagePullSecrets?: { name?: string }[];
  activeDeadlineSeconds?: number;
  priorityClassName?: string;
  priority?: number;
  restartPolicy?: string;
  serviceAccountName?: string;
}

/** One of `state` / `lastState` of a container status. */
export interface ContainerStateJson {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode?: number;
    signal?: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}

/** `status.containerStatuses[]` / `status.initContainerStatuses[]`. */
export interface ContainerStatusJson {
  name: string;
  image?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: ContainerStateJson;
  lastState?: ContainerStateJson;
}

/** `status.conditions[]`. */
export interface PodConditionJson {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** `status` of a pod (subset). */
export interface PodStatusJson {
  phase?: string;
  reason?: string;
  message?: string;
  nominatedNodeName?: string;
  startTime?: string;
  conditions?: PodConditionJson[];
  containerStatuses?: ContainerStatusJson[];
  initContainerStatuses?: ContainerStatusJson[];
}

/** A pod as `kubectl get pod X -o json` prints it. */
export interface PodJson {
  kind?: string;
  metadata?: ObjectMetaJson;
  spec?: PodSpecJson;
  status?: PodStatusJson;
}

/** An object reference inside an Event (`involvedObject` in core/v1, `regarding` in events.k8s.io/v1). */
export interface EventObjectRefJson {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  fieldPath?: string;
}

/**
 * An Event in either API shape. core/v1: `message`, `involvedObject`, `count`, `firstTimestamp`,
 * `lastTimestamp`, `source`. events.k8s.io/v1: `note`, `regarding`, `deprecatedCount`,
 * `deprecatedFirstTimestamp`, `deprecatedLastTimestamp`, `reportingController`. Both: `reason`, `type`,
 * `eventTime`, `series`. See PROTOCOLS.md B4.
 */
export interface EventJson {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string };
  reason?: string;
  message?: string;
  note?: string;
  type?: string;
  count?: number;
  deprecatedCount?: number;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  deprecatedFirstTimestamp?: string | null;
  deprecatedLastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string } | null;
  involvedObject?: EventObjectRefJson;
  regarding?: EventObjectRefJson;
  source?: { component?: string; host?: string };
  /** A second object the Event is about (events.k8s.io/v1 `related`; the preemptor of a `Preempted` Event). */
  related?: EventObjectRefJson;
  /** events.k8s.io/v1 `action` (`Scheduling`, `Preempting`…). */
  action?: string;
  reportingComponent?: string;
  reportingController?: string;
  deprecatedSource?: { component?: string; host?: string };
}

/** An Event normalised from either API shape; times as ms since the epoch (NaN-free: absent = undefined). */
export interface NormEvent {
  reason: string;
  message: string;
  /** `Normal` or `Warning` (anything else kept as given). */
  type: string;
  /** How many times it was observed (>= 1). */
  count: number;
  /** First and last observation, ms since the epoch. */
  firstMs?: number;
  lastMs?: number;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
  fieldPath?: string;
  /** Container named by `fieldPath` (`spec.containers{tm}` → `tm`), if any. */
  container?: string;
  /** Reporting component (`kubelet`, `default-scheduler`, `replicaset-controller`…). */
  source: string;
  /** The Event's `related` object, if any (the preemptor of a `Preempted` Event). */
  related?: { kind: string; namespace: string; name: string; uid?: string };
}

/**
 * Any other Kubernetes object a diagnosis may read, as `kubectl get -o json` prints it: the pod's owners
 * (Job, CronJob, ReplicaSet), its PersistentVolumeClaims and their StorageClasses, Nodes, PriorityClasses,
 * other pods (a preemptor). Only `kind`, `metadata`, `spec`, `status` and the top-level fields of
 * StorageClass (`provisioner`, `volumeBindingMode`) and PriorityClass (`value`) are read.
 */
export interface KubeObjectJson {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaJson;
  spec?: Record<string, unknown>;
  status?: { conditions?: PodConditionJson[]; [k: string]: unknown };
  provisioner?: string;
  volumeBindingMode?: string;
  value?: number;
}

/** The last lines of one log file of a container, from podlog's store (newest last). */
export interface LogTail {
  container: string;
  file: string;
  lines: string[];
}

/** Input of {@link import('./index.ts').diagnose}. */
export interface DiagnoseInput {
  /** The pod, when it exists (or existed: the agent keeps the last-seen object). */
  pod?: PodJson;
  /** The pod's Events and its owner's Events, any order, either API shape. */
  events: EventJson[];
  /** Last lines of the pod's log files, when podlog has them. */
  logTails?: LogTail[];
  /** The clock: "now" for ages and for which Events are recent. */
  now: Date;
  /**
   * Related objects, when the caller has them ({@link KubeObjectJson}; a `List` is flattened by the caller):
   * they let the rules name the object at fault (the PVC's StorageClass and provisioner, the nodes' taints,
   * the preemptor's PriorityClass, the owner's failed condition).
   */
  objects?: KubeObjectJson[];
  /** Who is being diagnosed when neither a pod nor Events name it (the agent knows it from its log folder). */
  subject?: { namespace: string; name: string; uid?: string };
}

/** Failure classes, one per rule family. */
export type FindingClass =
  | 'Healthy'
  | 'QuotaExceeded'
  | 'LimitRangeViolation'
  | 'PodCreateForbidden'
  | 'Unschedulable'
  | 'Preempted'
  | 'VolumeMountFailed'
  | 'VolumeAttachFailed'
  | 'SandboxFailed'
  | 'ImagePullFailed'
  | 'CreateContainerConfigError'
  | 'CreateContainerError'
  | 'StartError'
  | 'InitContainerFailed'
  | 'Evicted'
  | 'DeadlineExceeded'
  | 'NodeLost'
  | 'OOMKilled'
  | 'JvmOutOfMemory'
  | 'DiskFull'
  | 'FlinkHeartbeatTimeout'
  | 'FlinkNoResources'
  | 'FlinkQuotaDenied'
  | 'LivenessProbeFailed'
  | 'StartupProbeFailed'
  | 'ReadinessProbeFailed'
  | 'CrashLoopBackOff'
  | 'ContainerFailed'
  | 'JobFailed'
  | 'CronJobMissedSchedule'
  | 'Disrupted'
  | 'UnexplainedWarning';

/** How bad a finding (or the whole diagnosis) is. */
export type Severity = 'ok' | 'info' | 'warning' | 'critical';

/** One quoted piece of evidence: an Event, a status field, a spec field or a log line. */
export interface Evidence {
  source: 'event' | 'status' | 'spec' | 'log';
  /** Event: `Warning FailedScheduling (x12)`; status/spec: a JSON path like `status.containerStatuses[tm].lastState.terminated.reason`; log: the file name. */
  ref: string;
  /** The quoted text, verbatim. */
  text: string;
  /** When (RFC 3339), if known. */
  at?: string;
}

/** One problem found. */
export interface Finding {
  class: FindingClass;
  severity: Severity;
  /** One plain-language sentence naming the pod/container, with numbers and units. */
  summary: string;
  evidence: Evidence[];
  /** What to change, naming the field (`resources.requests.memory`, `tolerations`…). */
  fix: string;
  /** The container concerned, if one. */
  container?: string;
  /** When the problem was last seen (RFC 3339), if known. */
  lastSeen?: string;
  /** Set by a rule for trouble the pod has recovered from; {@link Diagnosis.past} holds these. */
  past?: boolean;
}

/** One line of the timeline: an Event or a status transition. */
export interface TimelineEntry {
  /** RFC 3339. */
  at: string;
  kind: 'event' | 'status';
  /** Event type (`Normal`/`Warning`) or `Status`. */
  type: string;
  reason: string;
  message: string;
  /** Observation count for Events. */
  count?: number;
  /** `Pod/name`, `ReplicaSet/name`… */
  object: string;
  /** True when older than the latest recovery. */
  past: boolean;
}

/** The answer: what is wrong, evidence, fix, and a timeline. */
export interface Diagnosis {
  /** The pod (or, with Events only, the pod or owner the Events are about). */
  subject: { kind: string; namespace: string; name: string; uid?: string; node?: string; phase?: string };
  severity: Severity;
  /** One sentence a non-expert understands. */
  headline: string;
  /** Current problems, root cause first. */
  findings: Finding[];
  /** Problems the pod had and recovered from (Events older than its latest recovery). */
  past: Finding[];
  /** Events and status transitions, oldest first. */
  timeline: TimelineEntry[];
  /** The `now` used (RFC 3339). */
  now: string;
}
