/**
 * RE2 patterns (the search API's dialect) rewritten for ripgrep's Rust regex engine, so both engines find the
 * same lines. Where the dialects differ:
 * - `\d \w \s \b` and their negations are ASCII in RE2 and Unicode-aware in Rust: they become ASCII classes
 *   (`[[:digit:]]`, `[[:word:]]`, `[\t\f\r ]`) and `(?-u:\b)`;
 * - `[` inside a class and `&&`, `~~` are literals in RE2 but nested classes and set operations in Rust: escaped;
 * - RE2 accepts any escaped punctuation (`\/`, `\"`); Rust only its metacharacters: written as `\x{..}`.
 * Constructs with no safe rewrite make {@link toRustRegex} return null, and the built-in engine runs the query:
 * `\Q…\E`, `\C`, octal or back-reference digits, `(?<name>`, `--` in a class, and any way to name a line break
 * (`\n`, `\x0a`, a literal newline: ripgrep refuses them, the built-in engine matches per line and never finds one).
 * Still different, on purpose and documented: `.` and negated classes never match an invalid UTF-8 byte under
 * ripgrep, while the built-in engine sees it as U+FFFD.
 */

/** Rust regex metacharacters, which may be escaped as they are. */
const RUST_META = new Set([...'\\.+*?()|[]{}^$#&-~']);

/** Escape letters with the same meaning in both dialects. */
const SAME_LETTERS = new Set([...'afrtvAzpPx']);

/** ASCII class for a Perl class letter, to be placed inside a bracket expression. */
const CLASS_INSIDE: Record<string, string> = {
  d: '[:digit:]',
  D: '[:^digit:]',
  w: '[:word:]',
  W: '[:^word:]',
  s: '\\t\\x0C\\r ',
  S: '[^\\t\\n\\x0C\\r ]',
};

/** The same as a stand-alone class. */
const CLASS_OUTSIDE: Record<string, string> = {
  d: '[[:digit:]]',
  D: '[[:^digit:]]',
  w: '[[:word:]]',
  W: '[[:^word:]]',
  s: '[\\t\\x0C\\r ]',
  S: '[^\\t\\n\\x0C\\r ]',
  b: '(?-u:\\b)',
  B: '(?-u:\\B)',
};

const hex = (c: string) => `\\x{${c.codePointAt(0)!.toString(16)}}`;

/**
 * Rewrite one escape starting at `p[i] === '\\'`; returns the Rust text and the index after the escape, or null
 * when it has no equivalent.
 */
function escape(p: string, i: number, inClass: boolean): { out: string; next: number } | null {
  const c = p[i + 1];
  if (c === undefined) return null;
  if (c in CLASS_OUTSIDE && (!inClass || c in CLASS_INSIDE)) return { out: inClass ? CLASS_INSIDE[c]! : CLASS_OUTSIDE[c]!, next: i + 2 };
  if (c === 'n' || /[0-9QEC]/.test(c)) return null;
  if (c === 'x') {
    const m = /^\\x(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{2})/.exec(p.slice(i));
    if (!m) return null;
    if (parseInt(m[1]!.replace(/[{}]/g, ''), 16) === 10) return null;
    return { out: m[0], next: i + m[0].length };
  }
  if (c === 'p' || c === 'P') {
    if (p[i + 2] === '{') {
      const close = p.indexOf('}', i + 3);
      if (close < 0) return null;
      return { out: p.slice(i, close + 1), next: close + 1 };
    }
    return p[i + 2] === undefined ? null : { out: p.slice(i, i + 3), next: i + 3 };
  }
  if (SAME_LETTERS.has(c)) return { out: `\\${c}`, next: i + 2 };
  if (/[A-Za-z]/.test(c)) return null;
  return { out: RUST_META.has(c) ? `\\${c}` : hex(c), next: i + 2 };
}

/**
 * The Rust regex (ripgrep's dialect) that matches the same lines as the RE2 pattern `p`, or null when the
 * pattern uses a construct with no exact rewrite (see the module comment). `p` must already compile as RE2.
 */
export function toRustRegex(p: string): string | null {
  let out = '';
  let i = 0;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\n' || c === '\r') return null;
    if (c === '\\') {
      const e = escape(p, i, false);
      if (!e) return null;
      out += e.out;
      i = e.next;
      continue;
    }
    if (c === '(' && p.startsWith('(?<', i)) return null;
    if (c === '{') {
      // a counted repetition as RE2 reads it, else a literal brace (Rust would refuse it)
      const rep = /^\{\d+(,\d*)?\}/.exec(p.slice(i));
      out += rep ? rep[0] : '\\{';
      i += rep ? rep[0].length : 1;
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      continue;
    }
    if (c === '[') {
      const cls = bracket(p, i);
      if (!cls) return null;
      out += cls.out;
      i = cls.next;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Rewrite the bracket expression starting at `p[i] === '['`. */
function bracket(p: string, i: number): { out: string; next: number } | null {
  let out = '[';
  let j = i + 1;
  if (p[j] === '^') {
    out += '^';
    j++;
  }
  let first = true;
  while (j < p.length) {
    const c = p[j]!;
    if (c === ']' && !first) return { out: out + ']', next: j + 1 };
    first = false;
    if (c === '\n' || c === '\r') return null;
    if (c === '\\') {
      const e = escape(p, j, true);
      if (!e) return null;
      out += e.out;
      j = e.next;
      continue;
    }
    if (c === '[') {
      const named = /^\[:\^?[a-z]+:\]/.exec(p.slice(j));
      if (named) {
        out += named[0];
        j += named[0].length;
        continue;
      }
      out += '\\[';
      j++;
      continue;
    }
    if (c === '-' && p[j + 1] === '-') return null;
    if (c === '&' || c === '~') {
      out += `\\${c}`;
      j++;
      continue;
    }
    if (c === ']') out += '\\]';
    else out += c;
    j++;
  }
  return null;
}
