import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { PodlogError } from '../errors.ts';
import { toRustRegex } from './rg-pattern.ts';
import type { QuerySpec } from './node-search.ts';

/** A ripgrep binary found at start. */
export interface Ripgrep {
  /** Absolute path of the binary. */
  bin: string;
  /** First line of `rg --version`, e.g. `ripgrep 13.0.0`. */
  version: string;
}

/** The `search.engine` and `search.ripgrepPath` config keys. */
export interface EngineChoice {
  /** `auto`: ripgrep when found, else built-in; `ripgrep`: ripgrep or refuse to start; `builtin`: never ripgrep. */
  engine: 'auto' | 'ripgrep' | 'builtin';
  /** Absolute path of `rg`; empty: look for `rg` on PATH. */
  ripgrepPath: string;
}

/** Oldest ripgrep whose flags podlog uses (`--encoding none`, `--crlf`, `--mmap`), major version. */
const MIN_MAJOR = 11;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The ripgrep to search with, looked up once at start: `choice.ripgrepPath`, else `rg` in the folders of
 * `pathEnv` (the PATH variable), checked by running `rg --version` (ripgrep 11 or newer).
 * @returns undefined with `engine: builtin`, or with `auto` when none is usable
 * @throws PodlogError `PODLOG_E_CONFIG` with `engine: ripgrep` when none is usable, or for a relative `ripgrepPath`
 */
export function findRipgrep(choice: EngineChoice, pathEnv: string | undefined): Ripgrep | undefined {
  if (choice.engine === 'builtin') return undefined;
  if (choice.ripgrepPath && !isAbsolute(choice.ripgrepPath)) throw new PodlogError('PODLOG_E_CONFIG', 'search.ripgrepPath must be an absolute path');
  const candidates = choice.ripgrepPath ? [choice.ripgrepPath] : (pathEnv ?? '').split(delimiter).filter((d) => isAbsolute(d)).map((d) => join(d, 'rg'));
  for (const bin of candidates) {
    if (!executable(bin)) continue;
    let version: string;
    try {
      version = execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
    } catch {
      continue;
    }
    const major = Number(/^ripgrep (\d+)\./.exec(version)?.[1]);
    if (major >= MIN_MAJOR) return { bin, version };
  }
  if (choice.engine === 'ripgrep') {
    throw new PodlogError('PODLOG_E_CONFIG', `search.engine is ripgrep but no usable rg (ripgrep ${MIN_MAJOR} or newer) was found ${choice.ripgrepPath ? 'at search.ripgrepPath' : 'on PATH'}`);
  }
  return undefined;
}

/** Compiled-program and lazy-DFA size limits given to ripgrep (bytes); a pattern beyond them is refused. */
export const RG_REGEX_SIZE_LIMIT = '16M';
export const RG_DFA_SIZE_LIMIT = '16M';

/**
 * The ripgrep flags and pattern for a query, or null when ripgrep cannot run it exactly as the built-in engine
 * does (see rg-pattern.ts); the caller then uses the built-in engine.
 *
 * Flags, each on purpose: `--no-config` (no RIPGREP_CONFIG_PATH), `--text` (binary files are refused before
 * ripgrep runs, by the same first-8-KiB rule as the built-in engine; NUL bytes later on are text, as there),
 * `--encoding none` (no BOM sniffing or transcoding: offsets are file bytes), `--crlf` (`$` before `\r\n`, as
 * lines are shown without the `\r`), `--mmap` (a line of any length is searched in place, never copied onto
 * ripgrep's heap), `-j1` (files in the given order), the size limits, and `-s`/`-i`, `-F` for literals.
 * A query ripgrep then refuses (see {@link ripgrepRefuses}) also goes to the built-in engine.
 */
export function ripgrepArgs(query: QuerySpec): string[] | null {
  let pattern = query.q;
  if (query.regex) {
    const rust = toRustRegex(query.q);
    if (rust === null) return null;
    pattern = rust;
  } else if (/[\r\n]/.test(query.q)) {
    return null;
  }
  return [
    '--no-config', '--color', 'never', '--text', '--encoding', 'none', '--crlf', '--mmap', '-j1',
    '--regex-size-limit', RG_REGEX_SIZE_LIMIT, '--dfa-size-limit', RG_DFA_SIZE_LIMIT,
    query.ci ? '--ignore-case' : '--case-sensitive',
    ...(query.regex ? [] : ['--fixed-strings']),
    '--regexp', pattern,
  ];
}

/** ripgrep's verdict per query (by args), so a repeated query costs no extra process. */
const verdicts = new Map<string, string | null>();
const MAX_VERDICTS = 256;

/**
 * Whether ripgrep compiles the query (it runs once over no input). The pattern is already valid RE2, so a
 * refusal (a pattern beyond the size limits, e.g. `\pL{300}`, whose Unicode classes ripgrep compiles to
 * UTF-8 automata) means the built-in engine should run it: the API accepts what RE2 accepts.
 * @returns null when ripgrep accepts, else its reason (one line)
 */
export async function ripgrepRefuses(rg: Ripgrep, args: string[]): Promise<string | null> {
  const key = args.join('\0');
  const known = verdicts.get(key);
  if (known !== undefined) return known;
  const child = spawn(rg.bin, [...args, '--', '/dev/null'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const { code, stderr } = await ended(child, 4096);
  const verdict = code === 2 ? stderr.replace(/\s+/g, ' ').trim().slice(0, 500) || 'refused' : null;
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(key, verdict);
  return verdict;
}

/** Wait for a child's end: exit code (null when killed), signal, and up to `maxStderr` bytes of its stderr. */
export function ended(child: ChildProcess, maxStderr: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (stderr.length < maxStderr) stderr += d.toString('utf8', 0, Math.min(d.length, maxStderr - stderr.length));
  });
  return new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: 2, signal: null, stderr: err.message }));
    child.once('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}
