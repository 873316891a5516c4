import type { FileKind } from './types.ts';

/**
 * Pure parsing of podlog's hostPath layout, `<root>/<namespace>_<pod>_<uid>/<container>/<file>`,
 * the same shape the kubelet uses under `/var/log/pods` (kubelet `BuildPodLogsDirectory`).
 * Names follow Kubernetes' validation rules (k8s.io/apimachinery `validation.IsDNS1123Label` and
 * `IsDNS1123Subdomain`), which exclude `_`, so splitting on `_` is unambiguous.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A pod UID as the API server issues it (RFC 4122 text form); lower-case hex and dashes. */
const UID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A pod folder name split into its parts. */
export interface PodDirName {
  namespace: string;
  name: string;
  uid: string;
}

/** True for a valid namespace or container name (DNS-1123 label, at most 63 characters). */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

/** True for a valid pod name (DNS-1123 subdomain, at most 253 characters). */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/**
 * Parse a pod folder name `<namespace>_<pod>_<uid>`.
 * @returns the parts, or `undefined` when the name does not follow the layout (the folder is then ignored).
 */
export function parsePodDirName(dirName: string): PodDirName | undefined {
  const parts = dirName.split('_');
  if (parts.length !== 3) return undefined;
  const [namespace, name, uid] = parts as [string, string, string];
  if (!isDnsLabel(namespace) || !isDnsSubdomain(name) || !UID.test(uid)) return undefined;
  return { namespace, name, uid };
}

/** Format a pod folder name; the inverse of {@link parsePodDirName}. */
export function formatPodDirName(p: PodDirName): string {
  return `${p.namespace}_${p.name}_${p.uid}`;
}

/** True for a container folder name (DNS-1123 label). */
export function isContainerName(s: string): boolean {
  return isDnsLabel(s);
}

const COMPRESSED = /\.(gz)$/i;
/** log4j `app.log.3`, logrotate `app.log.1`, JDK GC `gc.log.0`, `app.log-20240501`, `app.2024-05-01.log`, `app.log.2024-05-01-1`. */
const ROTATED = [
  /\.\d+$/, // taskmanager.log.1, gc.log.0
  /[.-]\d{4}-?\d{2}-?\d{2}([-.T_]\d+)*(\.log)?$/, // app.log-20240501, app.2024-05-01.log, app.log.2024-05-01-1
];
/** JDK 8 GC rotation names the file being written `gc.log.N.current`. */
const CURRENT = /\.current$/;

/**
 * Classify a file name: `compressed` (`*.gz`), `rotated` (numbered or dated copies), else `live`.
 * The classification is by name only; the catalog refines "live" with the pod's state.
 */
export function classifyFileName(name: string): FileKind {
  if (COMPRESSED.test(name)) return 'compressed';
  if (CURRENT.test(name)) return 'live';
  return ROTATED.some((re) => re.test(name)) ? 'rotated' : 'live';
}
