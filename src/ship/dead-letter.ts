/**
 * Dead letters: documents Elasticsearch refused for good (400 `document_parsing_exception` /
 * `mapper_parsing_exception` and other non-retryable item errors), appended as NDJSON to
 * `<stateDir>/ship/dead-letter.ndjson` with the reason, so nothing is dropped silently. When the file
 * passes `maxBytes` it is renamed to `dead-letter.ndjson.1` (one generation kept).
 */
import { appendFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** One dead-lettered document. */
export interface DeadLetter {
  /** ISO time it was written. */
  time: string;
  _id: string;
  _index: string;
  status: number;
  /** Elasticsearch error type and reason, e.g. `document_parsing_exception`. */
  type: string;
  reason: string;
  /** Source file path and record offset. */
  path: string;
  offset: number;
  /** The document as sent (JSON text, cut to 64 KiB). */
  doc: string;
}

/** Append-only dead-letter file. */
export class DeadLetterFile {
  readonly path: string;
  private chain: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  constructor(dir: string, maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
    this.path = join(dir, 'dead-letter.ndjson');
  }

  /** Append letters (serialized with earlier writes). Rejects on I/O failure. */
  write(letters: DeadLetter[]): Promise<void> {
    const text = letters.map((l) => JSON.stringify({ ...l, doc: l.doc.length > 65536 ? l.doc.slice(0, 65536) : l.doc })).join('\n') + '\n';
    const next = this.chain.then(async () => {
      const size = await stat(this.path).then((s) => s.size, () => 0);
      if (size > this.maxBytes) await rename(this.path, `${this.path}.1`);
      await appendFile(this.path, text, { mode: 0o600 });
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
