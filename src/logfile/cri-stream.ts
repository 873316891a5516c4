import { Transform, type TransformCallback } from 'node:stream';
import { CriDecoder, type DecodedLine } from './cri.ts';

/** Options of {@link criDecodeStream}. */
export interface CriStreamOptions {
  /** Longest merged line kept, characters (default 1 MiB); longer ones are cut. */
  maxLineChars?: number;
  /** Render one decoded line (default: its text). A `\n` is appended. */
  format?: (line: DecodedLine) => string;
}

/**
 * A byte-stream Transform from a CRI log (`stdio-N.cri.log`, see `cri.ts`) to plain text, one merged line per
 * `\n`: for serving a CRI copy decoded (`GET …/files/stdio-0.cri.log`). Input is split on `\n` (UTF-8;
 * a trailing `\r` is kept as content); a final line without `\n` is decoded at the end. Memory: one pending
 * input line plus at most `maxLineChars` per stream.
 */
export function criDecodeStream(o: CriStreamOptions = {}): Transform {
  const decoder = new CriDecoder(o.maxLineChars);
  const format = o.format ?? ((l: DecodedLine) => l.text);
  let rest = '';
  const utf8 = new TextDecoder('utf-8');
  const emit = (t: Transform, lines: DecodedLine[]) => {
    if (lines.length) t.push(lines.map((l) => `${format(l)}\n`).join(''));
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      const text = rest + utf8.decode(chunk, { stream: true });
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      if (rest.length > (o.maxLineChars ?? 1 << 20) * 2) rest = rest.slice(0, (o.maxLineChars ?? 1 << 20) * 2); // a runaway unterminated line
      const out: DecodedLine[] = [];
      for (const p of parts) out.push(...decoder.push(p));
      emit(this, out);
      cb();
    },
    flush(cb: TransformCallback) {
      const tail = rest + utf8.decode();
      const out = tail === '' ? [] : decoder.push(tail);
      emit(this, [...out, ...decoder.end()]);
      cb();
    },
  });
}
