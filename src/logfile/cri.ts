/**
 * Pure decoding of the CRI container log format the kubelet keeps under `/var/log/pods/<ns>_<pod>_<uid>/<container>/N.log`:
 * one record per line, `<RFC3339Nano time> <stdout|stderr> <tags> <content>`, where `tags` is `:`-separated and
 * starts with `P` (partial: the runtime split a long line, more follows) or `F` (full: the line ends here).
 * Source: kubernetes `pkg/kubelet/kuberuntime/logs/logs.go` (`parseCRILog`) and cri-api `LogTagPartial`/`LogTagFull`
 * (k8s.io/cri-api/pkg/apis/runtime/v1/constants.go). Partials are merged per stream (stdout and stderr may
 * interleave), taking the first fragment's time and offset. Lines that do not parse are passed through as they are.
 * No I/O and no dependency on `src/logfile`.
 */

/** The file name podlog gives its copy of a kubelet container log (restart count `N`): `stdio-N.cri.log`, rotated `stdio-N.cri.log.K`. */
export const CRI_COPY_NAME = /^stdio-(\d+)\.cri\.log(?:\.(\d+))?$/;

/** True for a file podlog copied from the kubelet (container stdout/stderr in CRI format): decode it when viewed. */
export function isCriCopy(fileName: string): boolean {
  return CRI_COPY_NAME.test(fileName);
}

/** Name of the copy of kubelet log `N.log` (`N` = the container's restart count). */
export function criCopyName(restart: number): string {
  return `stdio-${restart}.cri.log`;
}

/** One parsed CRI record. */
export interface CriRecord {
  /** RFC 3339 time with nanoseconds, as written (`2024-05-01T10:00:00.123456789Z`). */
  time: string;
  stream: 'stdout' | 'stderr';
  /** False for a `P` (partial) record. */
  full: boolean;
  content: string;
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parse one line (without its newline) of a CRI log.
 * @returns the record, or undefined when the line is not `<time> <stdout|stderr> <P|F>[:tags] <content>`
 */
export function parseCriLine(line: string): CriRecord | undefined {
  const a = line.indexOf(' ');
  if (a < 0) return undefined;
  const b = line.indexOf(' ', a + 1);
  if (b < 0) return undefined;
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const time = line.slice(0, a);
  if (!TIME.test(time)) return undefined;
  const c = line.indexOf(' ', b + 1);
  const tags = line.slice(b + 1, c < 0 ? undefined : c);
  const tag = tags.split(':')[0];
  if (tag !== 'P' && tag !== 'F') return undefined;
  return { time, stream, full: tag === 'F', content: c < 0 ? '' : line.slice(c + 1) };
}

/** A decoded line. */
export interface DecodedLine {
  /** Merged content (partials joined), or the raw line when it did not parse (`stream` is then `unknown`). */
  text: string;
  stream: 'stdout' | 'stderr' | 'unknown';
  /** Time of the first fragment; '' for unparsed lines. */
  time: string;
  /** Byte offset of the first fragment, when the input carried offsets. */
  offset?: number;
  /** Number of CRI records merged into this line (1 for a full line). */
  fragments: number;
  /** True when the input ended before the `F` record of this line. */
  partial?: true;
  /** True when merged content exceeded `maxLineChars` and was cut. */
  truncated?: true;
}

/** One input line: its text, and its byte offset in the file when known. */
export type CriInput = string | { text: string; offset?: number };

interface Pending {
  line: DecodedLine;
  parts: string[];
  chars: number;
}

/**
 * Streaming decoder: feed lines in file order with {@link CriDecoder.push}, then {@link CriDecoder.end}.
 * Memory: at most `maxLineChars` per stream for pending partials.
 */
export class CriDecoder {
  readonly #pending = new Map<'stdout' | 'stderr', Pending>();
  readonly #max: number;

  /** @param maxLineChars longest merged line kept (characters); the rest is dropped and the line marked truncated. Default 1 MiB. */
  constructor(maxLineChars = 1 << 20) {
    this.#max = maxLineChars;
  }

  /** Decode one line; returns the lines it completes (0, 1, or 1 plus an unparsed pass-through). */
  push(input: CriInput): DecodedLine[] {
    const text = typeof input === 'string' ? input : input.text;
    const offset = typeof input === 'string' ? undefined : input.offset;
    const rec = parseCriLine(text);
    if (!rec) return [{ text, stream: 'unknown', time: '', fragments: 1, ...(offset !== undefined ? { offset } : {}) }];
    let p = this.#pending.get(rec.stream);
    if (!p) {
      p = { line: { text: '', stream: rec.stream, time: rec.time, fragments: 0, ...(offset !== undefined ? { offset } : {}) }, parts: [], chars: 0 };
      this.#pending.set(rec.stream, p);
    }
    p.line.fragments++;
    const room = this.#max - p.chars;
    if (rec.content.length > room) p.line.truncated = true;
    if (room > 0) {
      const piece = rec.content.length > room ? rec.content.slice(0, room) : rec.content;
      p.parts.push(piece);
      p.chars += piece.length;
    }
    if (!rec.full) return [];
    this.#pending.delete(rec.stream);
    p.line.text = p.parts.join('');
    return [p.line];
  }

  /** Flush partial lines left at the end of the input (marked `partial`), oldest first. */
  end(): DecodedLine[] {
    const out = [...this.#pending.values()].map((p) => ({ ...p.line, text: p.parts.join(''), partial: true as const }));
    this.#pending.clear();
    return out.sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
  }
}

/**
 * Decode a sequence of CRI log lines, merging `P` partials per stream.
 * Example: `["t1 stdout P hel", "t2 stdout F lo"]` → `[{text:"hello", stream:"stdout", time:"t1", fragments:2}]`.
 */
export function decodeCri(lines: Iterable<CriInput>, maxLineChars?: number): DecodedLine[] {
  const d = new CriDecoder(maxLineChars);
  const out: DecodedLine[] = [];
  for (const l of lines) out.push(...d.push(l));
  out.push(...d.end());
  return out;
}

/** Decode CRI text (a whole file or a window of whole lines) to plain text, one merged line per `\n`. */
export function decodeCriText(text: string): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out = decodeCri(lines);
  return out.map((l) => l.text).join('\n') + (out.length ? '\n' : '');
}
