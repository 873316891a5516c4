/**
 * Test helpers for shipping: a CatalogView that rescans a real temp root on every `pods()` call,
 * Flink-style log generation, and the expected records of a file (computed independently of podlog's
 * grouper: a record starts at each line beginning with `yyyy-MM-dd HH:mm:ss`).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CatalogChange, CatalogView, ContainerEntry, FileEntry, PodEntry } from '../../../src/store/types.ts';
import pino from 'pino';
import { waitFor as pollUntil } from '../../helpers/wait.ts';

/** A silent logger (set PODLOG_TEST_LOG=debug to see the shipper's logs). */
export const logger = pino({ level: process.env.PODLOG_TEST_LOG ?? 'silent' });

/** A CatalogView over `<root>/<ns>_<pod>_<uid>/<container>/<file>`, rescanned on each call. */
export function dirCatalog(root: string): CatalogView & { emit(c: CatalogChange): void } {
  const listeners = new Set<(c: CatalogChange) => void>();
  const scan = (): PodEntry[] => {
    const pods: PodEntry[] = [];
    for (const dir of readdirSync(root)) {
      const [namespace, name, uid] = dir.split('_');
      if (!namespace || !name || !uid) continue;
      const containers = new Map<string, ContainerEntry>();
      for (const c of readdirSync(join(root, dir))) {
        const files = new Map<string, FileEntry>();
        for (const f of readdirSync(join(root, dir, c))) {
          const path = join(root, dir, c, f);
          let st;
          try {
            st = statSync(path);
          } catch {
            continue;
          }
          const kind = f.endsWith('.gz') ? 'compressed' : /\.\d+$/.test(f) ? 'rotated' : 'live';
          files.set(f, { name: f, path, size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino, kind, live: kind === 'live' });
        }
        containers.set(c, { name: c, path: join(root, dir, c), files });
      }
      pods.push({ namespace, name, uid, root, path: join(root, dir), containers, lastActivityMs: 0 });
    }
    return pods;
  };
  return {
    pods: scan,
    generations: (ns, name) => scan().filter((p) => p.namespace === ns && p.name === name),
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit(c) {
      for (const l of listeners) l(c);
    },
  };
}

/** Create `<root>/<ns>_<pod>_<uid>/<container>/` and return its path. */
export function podDir(root: string, ns: string, pod: string, uid: string, container: string): string {
  const d = join(root, `${ns}_${pod}_${uid}`, container);
  mkdirSync(d, { recursive: true });
  return d;
}

const LOGGERS = [
  'org.apache.flink.runtime.taskexecutor.TaskExecutor',
  'org.apache.flink.runtime.checkpoint.CheckpointCoordinator',
  'org.apache.flink.connector.kafka.source.reader.KafkaSourceReader',
];

/**
 * Flink log4j2-style records (`%d %-5p %-60c %X{} - %m%n`), with a stack trace every `traceEvery`.
 * @param startSec epoch seconds of the first record; each record is 1 ms later
 */
export function flinkLines(n: number, opts: { seed?: number; startSec?: number; traceEvery?: number } = {}): string {
  const out: string[] = [];
  const base = (opts.startSec ?? 1_714_521_600) * 1000;
  const every = opts.traceEvery ?? 7;
  for (let i = 0; i < n; i++) {
    const t = new Date(base + i + (opts.seed ?? 0) * 1_000_000).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
    const level = i % every === 0 ? 'ERROR' : 'INFO ';
    out.push(`${t} ${level} ${LOGGERS[i % 3]!.padEnd(60)} [] - record ${opts.seed ?? 0}-${i} checkpoint ${i * 3} completed`);
    if (i % every === 0) {
      out.push('java.io.IOException: unable to open JDBC writer');
      out.push('\tat org.apache.flink.connector.jdbc.internal.JdbcOutputFormat.open(JdbcOutputFormat.java:142) ~[?:?]');
      out.push('Caused by: java.net.UnknownHostException: postgres-service');
      out.push('\t... 16 more');
    }
  }
  return out.join('\n') + '\n';
}

/** Byte offsets of the records in a file's content (a record starts at each timestamped line, and at 0). */
export function expectedOffsets(content: Buffer): number[] {
  const offs: number[] = [];
  let s = 0;
  while (s < content.length) {
    const nl = content.indexOf(10, s);
    const end = nl < 0 ? content.length : nl + 1;
    if (offs.length === 0 || /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}/.test(content.toString('latin1', s, Math.min(end, s + 19)))) offs.push(s);
    s = end;
  }
  return offs;
}

/** Read a file's bytes. */
export function bytes(path: string): Buffer {
  return readFileSync(path);
}

/** Poll `cond` every `everyMs` (default 20) until true or `ms` passed (then throw with `what`): the shared {@link pollUntil}. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000, everyMs = 20): Promise<void> {
  await pollUntil(cond, { what, timeoutMs: ms, intervalMs: everyMs });
}

/** Size of a file, bytes. */
export function sizeOf(path: string): number {
  return statSync(path).size;
}
