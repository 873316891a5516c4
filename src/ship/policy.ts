import picomatch from 'picomatch';
import type { PodEntry } from '../store/types.ts';
import { PRIORITIES, type Priority, type ShipConfig } from './config.ts';

/** What the agent knows about a pod from the Kubernetes API (never from files the pod writes). */
export interface PodInfo {
  /** Priority from the pod's priority label/class; undefined when it has none. */
  priority?: Priority;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Flink job id, when known. */
  jobId?: string;
}

/** Looks up a pod's metadata; undefined when there is no pod record (no cluster link, or not yet seen). */
export type PriorityOf = (pod: PodEntry) => PodInfo | undefined;

/** Why a pod ships or not (bounded set, usable as a metric label). */
export type PolicyReason =
  | 'annotation-opt-out'
  | 'namespace-never'
  | 'annotation-opt-in'
  | 'namespace-all'
  | 'priority'
  | 'below-priority'
  | 'no-pod-record';

/** A policy decision for one pod. */
export interface PodDecision {
  ship: boolean;
  reason: PolicyReason;
}

function rank(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

/**
 * Decide whether a pod ships. Order (first match wins):
 * 1. annotation `<cfg.annotation>: "false"` → no; 2. namespace rule `never` → no;
 * 3. annotation `"true"` → yes; 4. namespace in `cfg.namespaces` or rule `all` → yes;
 * 5. priority at or above the namespace rule's `minPriority`, else `cfg.minPriority` → yes; otherwise no.
 * Without a pod record only rules 2 and 4 can apply.
 */
export function decidePod(cfg: ShipConfig, pod: PodEntry, info: PodInfo | undefined): PodDecision {
  const rule = cfg.namespaceRules[pod.namespace];
  const ann = info?.annotations[cfg.annotation]?.trim().toLowerCase();
  if (ann === 'false') return { ship: false, reason: 'annotation-opt-out' };
  if (rule?.never) return { ship: false, reason: 'namespace-never' };
  if (ann === 'true') return { ship: true, reason: 'annotation-opt-in' };
  if (cfg.namespaces.includes(pod.namespace) || rule?.all) return { ship: true, reason: 'namespace-all' };
  if (!info) return { ship: false, reason: 'no-pod-record' };
  const min = rule?.minPriority ?? cfg.minPriority;
  if (info.priority !== undefined && rank(info.priority) <= rank(min)) return { ship: true, reason: 'priority' };
  return { ship: false, reason: 'below-priority' };
}

/**
 * Build the file-name filter from `include`/`exclude` globs (picomatch, matched against the base
 * name, dotfiles included). Exclude wins.
 * @returns predicate over a file's base name
 */
export function fileFilter(cfg: Pick<ShipConfig, 'include' | 'exclude'>): (name: string) => boolean {
  const inc = picomatch(cfg.include, { dot: true });
  const exc = cfg.exclude.length > 0 ? picomatch(cfg.exclude, { dot: true }) : () => false;
  return (name) => inc(name) && !exc(name);
}
