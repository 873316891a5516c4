import type { Logger } from 'pino';
import { podNameOf } from '../diagnose/rules/controllers.ts';
import type { DiagnoseInput, EventJson, LogTail, PodJson } from '../diagnose/types.ts';
import type { ClusterLookup } from '../kube/index.ts';
import type { PodRecords } from '../kube/records.ts';
import { openReader } from '../logfile/reader.ts';
import type { Catalog } from '../store/catalog.ts';
import { openSafe } from '../store/safe-open.ts';
import type { PodEntry } from '../store/types.ts';

/** Lines of each live log file handed to the diagnosis rules (the Flink rules read JVM errors there). */
export const DIAGNOSIS_TAIL_LINES = 200;

/**
 * How long after it was last seen unscheduled a deleted pod's related objects are still read, in ms (its
 * claims and StorageClass most likely still exist).
 */
export const RELATED_RECENT_MS = 15 * 60_000;

/** Per-call options of the function {@link diagnosisSource} returns. */
export interface PodInputOptions {
  /** Read the related objects from the API server (default true); lists of many pods turn it off. */
  related?: boolean;
}

/** What {@link diagnosisSource} reads from. */
export interface DiagnosisSourceDeps {
  catalog: Catalog;
  records?: PodRecords;
  lookup?: ClusterLookup;
  logger: Logger;
  now?: () => number;
}

/**
 * The `getPodInput` of the diagnosis router: the pod's last-seen object and Event timeline from its
 * record (or, without one, live from the API server), its owners' Events from the elected agent's
 * owner records, and the last {@link DIAGNOSIS_TAIL_LINES} lines of each container's live files. With a
 * cluster link, a live pod (or one deleted within {@link RELATED_RECENT_MS} while unscheduled) also gets
 * the related objects that name what is at fault (`ClusterLookup.related`: owner, claims, StorageClasses,
 * nodes, PriorityClasses), best effort. A pod that was never created is known by the owner's
 * `FailedCreate` Events that name it.
 * @returns undefined when neither a record, the API server nor the catalog knows the pod
 */
export function diagnosisSource(deps: DiagnosisSourceDeps) {
  const now = () => deps.now?.() ?? Date.now();
  return async (ns: string, name: string, uid?: string, opts: PodInputOptions = {}): Promise<DiagnoseInput | undefined> => {
    const record = deps.records?.get(ns, name, uid);
    let pod = record?.pod as PodJson | undefined;
    let events = (record?.events ?? []) as EventJson[];
    let live = Boolean(pod && record && (!record.deletedAt || (!pod.spec?.nodeName && now() - Date.parse(record.lastSeen) <= RELATED_RECENT_MS)));
    if (!record && deps.lookup) {
      const found = await deps.lookup.livePod(ns, name).catch(() => undefined);
      if (found && (!uid || found.pod.metadata?.uid === uid)) {
        pod = found.pod as PodJson;
        events = found.events as EventJson[];
        live = true;
      }
    }
    const gens = deps.catalog.generations(ns, name);
    const folder = uid ? gens.find((g) => g.uid === uid) : gens.find((g) => g.uid === pod?.metadata?.uid) ?? gens[0];
    if (!pod && events.length === 0 && !folder) {
      // A pod the API server refused to create (quota, LimitRange, PodSecurity) exists only in its owner's
      // FailedCreate Events, which name it: the elected agent's owner records answer for it.
      events = (deps.lookup?.owners() ?? []).filter((o) => o.namespace === ns).flatMap((o) => o.events as EventJson[])
        .filter((e) => e.reason === 'FailedCreate' && podNameOf(e.message ?? '') === name);
      if (events.length === 0) return undefined;
    }
    const ownerUids = new Set((pod?.metadata?.ownerReferences ?? []).map((o) => o.uid));
    const ownerEvents = (deps.lookup?.owners() ?? []).filter((o) => ownerUids.has(o.uid)).flatMap((o) => o.events as EventJson[]);
    const known = [...events, ...ownerEvents];
    const related = pod && live && deps.lookup?.related && opts.related !== false ? await deps.lookup.related(pod, known) : undefined;
    const logTails = folder ? await tailsOf(folder, deps.logger) : [];
    const subject = { namespace: ns, name, ...(folder ? { uid: folder.uid } : {}) };
    return {
      pod, events: [...known, ...(related?.events ?? [])], ...(related?.objects.length ? { objects: related.objects } : {}),
      logTails, subject, now: new Date(now()),
    };
  };
}

async function tailsOf(pod: PodEntry, logger: Logger): Promise<LogTail[]> {
  const out: LogTail[] = [];
  for (const c of pod.containers.values()) {
    for (const f of c.files.values()) {
      if (!f.live) continue;
      try {
        const safe = await openSafe(pod.root, f.path);
        try {
          const t = await openReader(safe, f.name).tail(DIAGNOSIS_TAIL_LINES);
          out.push({ container: c.name, file: f.name, lines: t.lines.map((l) => l.text) });
        } finally {
          await safe.handle.close();
        }
      } catch (e) {
        logger.debug({ err: e, path: f.path }, 'no log tail for the diagnosis');
      }
    }
  }
  return out;
}
