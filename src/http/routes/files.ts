import { Router, type Response } from 'express';
import { PodlogError } from '../../errors.ts';
import type { Line } from '../../logfile/line.ts';
import { openReader, type LogReader } from '../../logfile/reader.ts';
import { decodeCri, isCriCopy, type DecodedLine } from '../../logfile/cri.ts';
import { criDecodeStream } from '../../logfile/cri-stream.ts';
import type { AppDeps } from '../app.ts';
import { fileParams, openCatalogFile } from '../open-file.ts';
import { queryBool, queryEnum, queryInt } from '../params.ts';
import { sendStream } from '../send-stream.ts';

const FILE = '/namespaces/:ns/pods/:pod/containers/:container/files/:file';
/** Most lines one tail or window request may ask for. */
export const MAX_LINES_PER_REQUEST = 100_000;

/**
 * File routes:
 * - `GET …/files/:file` the bytes as `text/plain; charset=utf-8`; HTTP `Range` (206, 416) on plain files;
 *   `?tail=N` the last N lines (text, or `&format=json`); `?download=1` as an attachment. `.gz` is served decompressed.
 * - `GET …/files/:file/lines?from=OFFSET&count=N` or `?before=OFFSET&count=N`: a JSON window of lines,
 *   `{"lines":[{"offset","text","truncated","lineNumber"?}],"startOffset","nextOffset","size","eof"}`.
 */
export function fileRoutes(deps: AppDeps): Router {
  const r = Router();

  r.get(FILE, async (req, res) => {
    const tail = queryInt('tail', req.query.tail, MAX_LINES_PER_REQUEST);
    const format = queryEnum('format', req.query.format, ['text', 'json'] as const) ?? 'text';
    const download = queryBool('download', req.query.download) ?? false;
    const opened = await openCatalogFile(deps.catalog, fileParams(req.params, req.query));
    const reader = openReader(opened.safe, opened.entry.name);
    const cri = criDecoding(opened.entry.name, req.query.decode);
    try {
      res.setHeader('Last-Modified', new Date(opened.safe.stat.mtimeMs).toUTCString());
      res.setHeader('Cache-Control', 'no-store');
      if (tail !== undefined) {
        const t = await reader.tail(tail);
        if (cri) t.lines = decodeLines(t.lines);
        if (format === 'json') {
          res.json({ lines: t.lines, startOffset: t.startOffset, nextOffset: t.followOffset, size: reader.size, eof: true });
        } else {
          const body = t.lines.map((l) => l.text).join('\n') + (t.lines.length ? '\n' : '');
          deps.metrics.bytesServed.inc(Buffer.byteLength(body));
          res.type('text/plain; charset=utf-8').send(body);
        }
        return;
      }
      if (download) res.attachment(opened.entry.name.replace(/\.gz$/i, ''));
      if (cri) await sendDecodedCri(reader, res, deps);
      else await sendBytes(reader, req.headers.range, res, deps);
    } finally {
      await opened.safe.handle.close();
    }
  });

  r.get(`${FILE}/lines`, async (req, res) => {
    const from = queryInt('from', req.query.from);
    const before = queryInt('before', req.query.before);
    const count = queryInt('count', req.query.count, MAX_LINES_PER_REQUEST) ?? 200;
    if (from !== undefined && before !== undefined) throw new PodlogError('PODLOG_E_BAD_PARAM', 'give either from or before, not both');
    const opened = await openCatalogFile(deps.catalog, fileParams(req.params, req.query));
    const reader = openReader(opened.safe, opened.entry.name);
    const cri = criDecoding(opened.entry.name, req.query.decode);
    try {
      if (before !== undefined) {
        const t = await reader.before(before, count);
        if (cri) t.lines = decodeLines(t.lines);
        res.json({ lines: t.lines, startOffset: t.startOffset, nextOffset: t.endOffset, size: reader.size, eof: t.endOffset >= (reader.size ?? Infinity) });
      } else {
        const w = await reader.lines(from ?? 0, count);
        if (cri) w.lines = decodeLines(w.lines);
        res.json({ lines: w.lines, startOffset: w.lines[0]?.offset ?? w.nextOffset, nextOffset: w.nextOffset, size: reader.size, eof: w.eof });
      }
    } finally {
      await opened.safe.handle.close();
    }
  });
  return r;
}

/** Stream the file, honouring a single `Range: bytes=` on plain files (RFC 9110 §14). */
async function sendBytes(reader: LogReader, rangeHeader: string | undefined, res: Response, deps: AppDeps): Promise<void> {
  res.type('text/plain; charset=utf-8');
  let start = 0;
  let end: number | undefined; // exclusive
  if (reader.size !== undefined) {
    res.setHeader('Accept-Ranges', 'bytes');
    if (rangeHeader) {
      const ranges = res.req.range(reader.size, { combine: true });
      if (ranges === -1) {
        res.setHeader('Content-Range', `bytes */${reader.size}`);
        throw new PodlogError('PODLOG_E_RANGE', `range not satisfiable: the file has ${reader.size} bytes`);
      }
      if (Array.isArray(ranges) && ranges.length === 1 && ranges.type === 'bytes') {
        start = ranges[0]!.start;
        end = ranges[0]!.end + 1;
        res.status(206).setHeader('Content-Range', `bytes ${start}-${end - 1}/${reader.size}`);
      }
    }
    end ??= reader.size;
    res.setHeader('Content-Length', String(end - start));
  }
  if (res.req.method === 'HEAD') {
    res.end(); // headers from the fstat taken at open; no byte of the file is read
    return;
  }
  await sendStream(res, [reader.range(start, end)], (n) => deps.metrics.bytesServed.inc(n));
}

/**
 * Whether to decode a file from the CRI log format (`<RFC3339Nano> <stdout|stderr> <P|F> <text>`, the
 * kubelet's, kept by podlog as `stdio-N.cri.log`): yes for CRI copies unless `?decode=raw`.
 * @throws PodlogError `PODLOG_E_BAD_PARAM` for another `decode` value
 */
function criDecoding(name: string, decode: unknown): boolean {
  const mode = queryEnum('decode', decode, ['cri', 'raw'] as const);
  return mode === 'cri' || (mode === undefined && isCriCopy(name));
}

/** `<time> <stream> <text>`: one decoded CRI line as shown to users. */
function criText(l: DecodedLine): string {
  return l.stream === 'unknown' ? l.text : `${l.time} ${l.stream} ${l.text}`;
}

/** CRI records merged into lines (partials joined); each keeps the offset of its first record. */
function decodeLines(lines: Line[]): Line[] {
  return decodeCri(lines.map((l) => ({ text: l.text, offset: l.offset }))).map((d) => ({
    offset: d.offset ?? 0,
    text: criText(d),
    truncated: Boolean(d.truncated),
    bytes: 0,
    ...(d.partial ? { partial: true } : {}),
  }));
}

/** The whole CRI copy decoded to text (no ranges: decoded offsets differ from the file's). */
async function sendDecodedCri(reader: LogReader, res: Response, deps: AppDeps): Promise<void> {
  res.type('text/plain; charset=utf-8');
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  await sendStream(res, [reader.range(0), criDecodeStream({ format: criText })], (n) => deps.metrics.bytesServed.inc(n));
}
