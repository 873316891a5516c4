/**
 * Parse one log record (its first line plus continuation lines) written by Flink's log4j layouts:
 * - log4j2 (Flink ≥ 1.11, `conf/log4j.properties`):
 *   `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %X{} - %m%n`
 *   e.g. `2025-11-28 23:01:48,779 INFO  org.apache.flink.runtime.entrypoint.ClusterEntrypoint        [] - msg`
 * - log4j1 (Flink ≤ 1.10): `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`
 *   e.g. `2019-12-14 20:50:10,337 INFO  org.apache.flink.runtime.taskexecutor.TaskManagerRunner       - msg`
 * Anything else that starts with a date-time still yields a timestamp; the rest ships as `message`.
 */

/** Result of parsing a record. Fields absent when the record does not carry them. */
export interface ParsedRecord {
  /** Epoch milliseconds; undefined when the record has no recognisable timestamp. */
  timeMs?: number;
  /** Level as written (`INFO`, `WARN`, …). */
  level?: string;
  /** Logger (log4j category). */
  logger?: string;
  /** The log message (first line's message; plus continuation lines unless they are a stack trace). */
  message: string;
  /** Continuation lines when they hold a Java stack trace (`\tat …`, `Caused by:`). */
  stackTrace?: string;
}

const LEVELS = 'TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE';
/** log4j2 and log4j1 Flink layouts; group 1 date, 2 time, 3 millis, 4 level, 5 logger, 6 message. */
const LAYOUT = new RegExp(
  `^(\\d{4}-\\d{2}-\\d{2})[ T](\\d{2}:\\d{2}:\\d{2})[,.](\\d{3}) +(${LEVELS}) +(\\S+) +(?:\\[[^\\]]*\\] +)?- ?(.*)$`,
);
/** Any line starting with a date-time (custom layouts such as `2023-01-13 16:34:03 876 [main] …`). */
const DATE_PREFIX = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:[,. ](\d{3}))?/;
/** A line of a Java stack trace. */
const STACK_LINE = /^(?:\s+at \S|Caused by: |Suppressed: |\s+\.\.\. \d+ (?:more|common frames omitted))/;

/**
 * Convert a wall-clock date-time in an IANA zone to epoch ms (DST-correct to the second via Intl).
 * @param date `yyyy-MM-dd`, @param time `HH:mm:ss`, @param millis `SSS` or undefined
 */
export type ZoneClock = (date: string, time: string, millis: string | undefined) => number;

/**
 * Make a {@link ZoneClock} for `timeZone` (e.g. `UTC`, `Europe/Berlin`). UTC is computed directly;
 * other zones use `Intl.DateTimeFormat` offsets cached per hour.
 * @throws RangeError when the zone name is unknown
 */
export function zoneClock(timeZone: string): ZoneClock {
  // records come in bursts within one minute: cache the minute's epoch ms
  let lastDate = '';
  let lastHm = '';
  let lastMinuteMs = 0;
  const utc = (date: string, time: string, millis: string | undefined): number => {
    const hm = time.slice(0, 5);
    if (date !== lastDate || hm !== lastHm) {
      lastDate = date;
      lastHm = hm;
      lastMinuteMs = Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10), +time.slice(0, 2), +time.slice(3, 5));
    }
    const sec = (time.charCodeAt(6) - 48) * 10 + time.charCodeAt(7) - 48;
    return lastMinuteMs + sec * 1000 + (millis === undefined ? 0 : +millis);
  };
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return utc;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const cache = new Map<number, number>();
  const offsetAt = (ms: number): number => {
    const hour = Math.floor(ms / 3_600_000);
    const hit = cache.get(hour);
    if (hit !== undefined) return hit;
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(hour * 3_600_000))) p[part.type] = +part.value;
    const asUtc = Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
    const off = asUtc - hour * 3_600_000;
    if (cache.size > 10_000) cache.clear();
    cache.set(hour, off);
    return off;
  };
  return (date, time, millis) => {
    const wall = utc(date, time, millis);
    const first = wall - offsetAt(wall);
    return wall - offsetAt(first);
  };
}

/**
 * Split continuation lines into message text and stack trace: when any continuation line is a stack
 * frame, the continuation lines from the first one onward are the stack trace (the exception line
 * `java.io.IOException: …` just before the first frame included).
 */
function splitStack(head: string, rest: string[]): { message: string; stackTrace?: string } {
  if (rest.length === 0) return { message: head };
  let frame = -1;
  for (let i = 0; i < rest.length; i++) {
    if (STACK_LINE.test(rest[i] ?? '')) { frame = i; break; }
  }
  if (frame < 0) return { message: rest.length ? `${head}\n${rest.join('\n')}` : head };
  const start = frame > 0 ? frame - 1 : 0;
  const msgLines = rest.slice(0, start);
  return {
    message: msgLines.length ? `${head}\n${msgLines.join('\n')}` : head,
    stackTrace: rest.slice(start).join('\n'),
  };
}

/**
 * Parse a record. Never throws: a record that does not match any layout comes back as `{message}`
 * holding all its lines.
 * @param lines the record's lines without their newline (first line first); at least one
 */
export function parseRecord(lines: readonly string[], clock: ZoneClock): ParsedRecord {
  const first = lines[0] ?? '';
  const m = LAYOUT.exec(first);
  if (m) {
    if (lines.length === 1) return { timeMs: clock(m[1]!, m[2]!, m[3]), level: m[4]!, logger: m[5]!, message: m[6] ?? '' };
    const { message, stackTrace } = splitStack(m[6] ?? '', lines.slice(1));
    const out: ParsedRecord = { timeMs: clock(m[1]!, m[2]!, m[3]), level: m[4]!, logger: m[5]!, message };
    if (stackTrace !== undefined) out.stackTrace = stackTrace;
    return out;
  }
  const d = DATE_PREFIX.exec(first);
  const message = lines.join('\n');
  if (d) return { timeMs: clock(d[1]!, d[2]!, d[3]), message };
  return { message };
}
