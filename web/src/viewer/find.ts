/**
 * Find-in-file: next/previous match from a byte offset. Looks in the lines already held first; when
 * the file is larger than the held block it asks the server (`/api/v1/search` scoped to this one
 * file, hits filtered to this pod generation's uid) and keeps the sorted hit offsets for the query.
 */
import { searchUrl, streamNdjson, type FileRef, type SearchHit } from '../api.ts';
import type { LineBlock } from './block.ts';

/** Most server hits kept per query (the first ones in the file). */
export const SERVER_HIT_LIMIT = 10_000;

/** Case-insensitive literal expression for `q` (global, for highlighting). */
export function findRegExp(q: string): RegExp {
  return new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
}

/** Result of a find step. `wrapped` when it went round the end of the file. */
export interface FindResult {
  offset: number;
  wrapped: boolean;
  /** Number of hits known (server side), when the server was asked. */
  total?: number;
  /** True when the server stopped before the end of the file (limit or budget). */
  partial?: boolean;
}

/** Searches one file. */
export class Finder {
  private hitsFor = '';
  private hits: number[] | null = null;
  private partial = false;
  private ctrl: AbortController | null = null;

  private readonly ref: FileRef;
  private readonly block: LineBlock;

  constructor(ref: FileRef, block: LineBlock) {
    this.ref = ref;
    this.block = block;
  }

  /** Forget cached server hits (query or file changed). */
  reset(): void {
    this.ctrl?.abort();
    this.hits = null;
    this.hitsFor = '';
  }

  /**
   * The next match after (`dir` 1) or before (`dir` -1) byte offset `from`; null when none.
   * Throws ApiError from the server search.
   */
  async step(q: string, from: number, dir: 1 | -1): Promise<FindResult | null> {
    const re = findRegExp(q);
    const local = this.local(re, from, dir);
    if (local !== null) return { offset: local, wrapped: false };
    const whole = this.block.atStart && this.block.eof;
    if (whole) {
      const again = this.local(re, dir > 0 ? -1 : Number.MAX_SAFE_INTEGER, dir);
      return again === null ? null : { offset: again, wrapped: true };
    }
    const hits = await this.server(q);
    if (hits.length === 0) return null;
    const next = dir > 0 ? hits.find((o) => o > from) : [...hits].reverse().find((o) => o < from);
    const base = { total: hits.length, partial: this.partial };
    if (next !== undefined) return { offset: next, wrapped: false, ...base };
    return { offset: dir > 0 ? hits[0]! : hits[hits.length - 1]!, wrapped: true, ...base };
  }

  private local(re: RegExp, from: number, dir: 1 | -1): number | null {
    const b = this.block;
    const lines = b.lines;
    if (lines.length === 0) return null;
    // Only trust the block where it covers everything between `from` and a match.
    if (dir > 0 && from < b.start && !b.atStart) return null;
    if (dir < 0 && from > b.end && !b.eof) return null;
    let i = firstAbove(lines, from, dir > 0);
    if (dir < 0) i -= 1;
    for (; i >= 0 && i < lines.length; i += dir) {
      re.lastIndex = 0;
      if (re.test(lines[i]!.text)) return lines[i]!.offset;
    }
    return null;
  }

  private async server(q: string): Promise<number[]> {
    if (this.hits && this.hitsFor === q) return this.hits;
    this.ctrl?.abort();
    const ctrl = new AbortController();
    this.ctrl = ctrl;
    const out: number[] = [];
    let partial = false;
    const { namespace, pod, uid, container, file } = this.ref;
    await streamNdjson(
      searchUrl({ q, caseSensitive: false, namespace, pod, uid, container, file, limit: SERVER_HIT_LIMIT }),
      (item) => {
        const o = item as Partial<SearchHit> & { done?: boolean; stopped_by?: string };
        if (o.done) partial = !!o.stopped_by && o.stopped_by !== 'done';
        else if (typeof o.offset === 'number' && (!o.uid || !uid || o.uid === uid) && o.file === file && o.container === container) out.push(o.offset);
      },
      ctrl.signal,
    );
    out.sort((a, b) => a - b);
    this.hits = out;
    this.hitsFor = q;
    this.partial = partial;
    return out;
  }
}

/** Index of the first line with offset > `from` (`strict`) or ≥ `from`; `lines.length` when none. */
function firstAbove(lines: { offset: number }[], from: number, strict: boolean): number {
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const o = lines[mid]!.offset;
    if (strict ? o > from : o >= from) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
