import { RE2JS } from 're2js';
import { PodlogError } from '../errors.ts';

/** Longest accepted query, in characters. */
export const MAX_QUERY_CHARS = 4096;

/** Largest accepted compiled program (re2js instructions); bigger patterns are refused as too complex. */
export const MAX_PROGRAM_INSTRUCTIONS = 5000;

/** Most literals one candidate scan may look for (an alternation of more falls back to the DFA). */
const MAX_NEEDLES = 16;

/**
 * A compiled search query, made by {@link compileMatcher}; immutable, shareable across files and
 * concurrent searches.
 *
 * How a line is found: when `needles` is set, only lines containing one of them are candidates
 * (found with `Buffer#indexOf`, in an ASCII-lower-cased copy of the data when `fold`); a candidate
 * is a match if `re` is null (plain literal) or `re.test(line)`. When `needles` is null (a regex
 * with no required literal), the RE2 DFA tests whole chunks and then halves of them.
 */
export interface Matcher {
  /** `literal`: the query is a substring to find; `regex`: RE2 syntax, linear time (re2js). */
  readonly kind: 'literal' | 'regex';
  /** The query as given. */
  readonly source: string;
  readonly caseInsensitive: boolean;
  /** Byte strings one of which occurs in every matching line (lower-case when `fold`), or null. */
  readonly needles: readonly Buffer[] | null;
  /**
   * Other valid needle sets (for a regex whose match must contain several literals, e.g.
   * `Task.*failed`); the search picks the set with the fewest hits in its first chunk.
   */
  readonly needleChoices?: readonly (readonly Buffer[])[];
  /** Look for `needles` in the ASCII-lower-cased data. */
  readonly fold: boolean;
  /** Confirms a candidate line; null when containing a needle is enough. */
  readonly re: RE2JS | null;
}

const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

/** Longest run of ASCII characters in `s`. */
function longestAsciiRun(s: string): string {
  let best = '';
  for (const run of s.split(/[^\x00-\x7f]+/)) if (run.length > best.length) best = run;
  return best;
}

function compile(pattern: string, flags: number): RE2JS {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, flags);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new PodlogError('PODLOG_E_BAD_REGEX', `invalid regular expression (RE2 syntax): ${msg}`, { cause: e });
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_INSTRUCTIONS) {
    throw new PodlogError('PODLOG_E_BAD_REGEX', `regular expression too complex (compiled program of ${size} instructions, at most ${MAX_PROGRAM_INSTRUCTIONS}); use fewer or smaller repetitions`);
  }
  return re;
}

/** RE2 metacharacters; a pattern without them (besides `|`) is a set of literal alternatives. */
const META = /[\\^$.|?*+()[\]{}]/;

/**
 * The alternatives of a pattern made only of plain literals joined by `|` (e.g. `ERROR|WARN`),
 * else null. Case-insensitive alternatives must be ASCII (they are looked for in folded data).
 */
function literalAlternatives(q: string, ci: boolean): string[] | null {
  const alts = q.split('|');
  if (alts.length > MAX_NEEDLES) return null;
  for (const a of alts) if (a.length === 0 || META.test(a) || (ci && !isAscii(a))) return null;
  return alts;
}

interface PrefilterNode {
  type?: unknown;
  str?: unknown;
  subs?: unknown;
}

/**
 * Required literals of a regex from re2js's prefilter tree (an internal of re2js 2.x:
 * `re2Input.prefilter`, nodes `{type: 0 NONE | 1 EXACT | 2 AND | 3 OR, str, subs}`). Any
 * unexpected shape yields null, which only costs speed. `fold`: keep ASCII runs only (the
 * literals are then looked for case-insensitively in folded data).
 */
function requiredLiterals(re: RE2JS, fold: boolean): { best: string[]; choices: string[][] } | null {
  const root = (re as unknown as { re2Input?: { prefilter?: unknown } }).re2Input?.prefilter;
  const score = (p: string[]) => Math.min(...p.map((s) => s.length)) * 4 - p.length;
  const walk = (node: unknown): string[] | null => {
    if (node === null || typeof node !== 'object') return null;
    const n = node as PrefilterNode;
    const subs = Array.isArray(n.subs) ? (n.subs as unknown[]) : [];
    switch (n.type) {
      case 1: {
        if (typeof n.str !== 'string') return null;
        const s = fold ? longestAsciiRun(n.str).toLowerCase() : n.str;
        return s.length > 0 ? [s] : null;
      }
      case 2: {
        let best: string[] | null = null;
        for (const sub of subs) {
          const p = walk(sub);
          if (p && (!best || score(p) > score(best))) best = p;
        }
        return best;
      }
      case 3: {
        const out: string[] = [];
        for (const sub of subs) {
          const p = walk(sub);
          if (!p) return null;
          out.push(...p);
        }
        return out.length > 0 && out.length <= MAX_NEEDLES ? out : null;
      }
      default:
        return null;
    }
  };
  const best = walk(root);
  if (!best) return null;
  const top = root as PrefilterNode | undefined;
  const choices: string[][] = [];
  if (top?.type === 2 && Array.isArray(top.subs)) {
    for (const sub of top.subs as unknown[]) {
      const p = walk(sub);
      if (p) choices.push(p);
    }
  }
  return { best, choices: choices.length > 1 ? choices : [] };
}

/**
 * Compile a query.
 * - Literal, case-sensitive: its UTF-8 bytes are found with `Buffer#indexOf`.
 * - Literal, case-insensitive: ASCII queries are found in an ASCII-lower-cased copy of the data;
 *   others use their longest ASCII run that way to pick candidate lines, confirmed by RE2 `(?i)`.
 * - Regex: RE2 syntax (https://github.com/google/re2/wiki/Syntax) via re2js, always with the
 *   MULTILINE flag so `^`/`$` mean line start/end. No backreferences or lookaround: matching time
 *   is linear in the input, so a user's pattern cannot hang the agent. Literals every match must
 *   contain pick candidate lines first (like GNU grep's "must" strings).
 * Case-insensitive matching folds ASCII letters for candidate picking; RE2's extra Unicode folds of
 * ASCII letters (K ↔ U+212A KELVIN SIGN, s ↔ U+017F LONG S) are not found.
 * @throws PodlogError `PODLOG_E_BAD_PARAM` for an empty or too long query, or a literal with a line break;
 *   `PODLOG_E_BAD_REGEX` when the pattern does not compile or compiles to more than
 *   {@link MAX_PROGRAM_INSTRUCTIONS} instructions (message says why)
 */
export function compileMatcher(q: string, opts: { regex: boolean; caseInsensitive?: boolean }): Matcher {
  const ci = opts.caseInsensitive ?? false;
  if (q.length === 0) throw new PodlogError('PODLOG_E_BAD_PARAM', 'search query is empty');
  if (q.length > MAX_QUERY_CHARS) throw new PodlogError('PODLOG_E_BAD_PARAM', `search query is longer than ${MAX_QUERY_CHARS} characters`);
  const base = { kind: opts.regex ? ('regex' as const) : ('literal' as const), source: q, caseInsensitive: ci };
  if (!opts.regex) {
    if (/[\r\n]/.test(q)) throw new PodlogError('PODLOG_E_BAD_PARAM', 'a literal search query cannot contain a line break (search is per line)');
    if (!ci) return { ...base, needles: [Buffer.from(q, 'utf8')], fold: false, re: null };
    if (isAscii(q)) return { ...base, needles: [Buffer.from(q.toLowerCase(), 'latin1')], fold: true, re: null };
    const run = longestAsciiRun(q).toLowerCase();
    const re = compile(RE2JS.quote(q), RE2JS.MULTILINE | RE2JS.CASE_INSENSITIVE);
    return { ...base, needles: run ? [Buffer.from(run, 'latin1')] : null, fold: true, re };
  }
  const re = compile(q, RE2JS.MULTILINE | (ci ? RE2JS.CASE_INSENSITIVE : 0));
  const alts = literalAlternatives(q, ci);
  if (alts) {
    // `a|b|c` of plain literals: containing one of them is matching; no engine needed per line
    return { ...base, needles: alts.map((a) => Buffer.from(ci ? a.toLowerCase() : a, ci ? 'latin1' : 'utf8')), fold: ci, re: null };
  }
  const lits = requiredLiterals(ci ? compile(q, RE2JS.MULTILINE) : re, ci);
  const bytes = (set: string[]) => set.map((s) => Buffer.from(s, ci ? 'latin1' : 'utf8'));
  if (!lits) return { ...base, needles: null, fold: ci, re };
  const m: Matcher = { ...base, needles: bytes(lits.best), fold: ci, re };
  return lits.choices.length > 0 ? { ...m, needleChoices: lits.choices.map(bytes) } : m;
}
