/**
 * Pure line decoration for the viewer: log level of a line and Java stack-trace continuation.
 * Formats: Flink's default log4j2 pattern `%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n`
 * (flink/conf/log4j.properties), and Java's `Throwable.printStackTrace` layout
 * (`\tat …`, `Caused by: …`, `\t... N more`, `Suppressed: …`).
 */

/** Log levels the page colours. */
export type Level = 'error' | 'warn' | 'info' | 'debug' | '';

const LEVEL_RE = /(?:^|[\s[|])(FATAL|ERROR|SEVERE|WARN|WARNING|INFO|DEBUG|TRACE)(?=[\s\]:|]|$)/;
/** JVM unified logging (`-Xlog`, JEP 158) tags levels in lower case: `[12.3s][info][gc] …`. */
const JVM_LEVEL_RE = /\[(error|warning|info|debug|trace)\s*\]/;

/** Level named in the first 120 characters of `text`, or `''`. */
export function levelOf(text: string): Level {
  const head = text.length > 120 ? text.slice(0, 120) : text;
  const m = LEVEL_RE.exec(head) ?? JVM_LEVEL_RE.exec(head);
  switch (m?.[1]?.toUpperCase()) {
    case 'FATAL':
    case 'ERROR':
    case 'SEVERE':
      return 'error';
    case 'WARN':
    case 'WARNING':
      return 'warn';
    case 'INFO':
      return 'info';
    case 'DEBUG':
    case 'TRACE':
      return 'debug';
    default:
      return '';
  }
}

const CONT_RE = /^(?:\s+at\s|\s+\.\.\.\s*\d+\s+(?:more|common frames omitted)|Caused by:|\s*Suppressed:|\s+Caused by:|\s+\|)/;

/**
 * True when `text` continues a Java stack trace begun on an earlier line (`\tat x.y(Z.java:1)`,
 * `Caused by: …`, `\t... 12 more`, `\tSuppressed: …`).
 */
export function isContinuation(text: string): boolean {
  return CONT_RE.test(text);
}

/** Timestamp at the start of a line, normalised to `YYYY-MM-DDTHH:MM:SS.mmm` (no zone), or undefined. */
export function lineTime(text: string): string | undefined {
  const m = /^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?/.exec(text);
  if (!m) return undefined;
  return `${m[1]}T${m[2]}.${(m[3] ?? '000').padEnd(3, '0').slice(0, 3)}`;
}

/**
 * Normalise a user-entered time (`2025-11-28 23:01`, `2025-11-28T23:01:48,779`, ISO with `Z`) to the
 * form of {@link lineTime}. A zone suffix is dropped: log4j timestamps carry none, so both are read
 * as the same wall clock. Undefined when not a time.
 */
export function normaliseTime(input: string): string | undefined {
  const m = /^\s*(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,9}))?)?/.exec(input);
  if (!m) return undefined;
  return `${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}.${(m[5] ?? '000').padEnd(3, '0').slice(0, 3)}`;
}
