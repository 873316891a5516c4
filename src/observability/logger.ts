import { pino, type Logger } from 'pino';

/**
 * The agent's own structured log (pino, JSON lines on stdout). It records what the agent does,
 * never the content of the logs it serves.
 * @param level pino level name (`info`, `debug`, …, `silent`)
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, base: { app: 'podlog' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
    destination ?? pino.destination({ sync: false }),
  );
}
