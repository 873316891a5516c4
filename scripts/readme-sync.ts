/**
 * Regenerate the generated parts of README.md (error codes, configuration reference) from the code,
 * so the README cannot drift. Run: node scripts/readme-sync.ts  (a unit test fails when it is stale).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES } from '../src/errors.ts';
import { configReference } from './config-reference.ts';

/** README.md's path. */
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** The Markdown table of every error code with its status and meaning (from the doc comments in src/errors.ts). */
export function errorCodeTable(): string {
  const src = readFileSync(fileURLToPath(new URL('../src/errors.ts', import.meta.url)), 'utf8');
  const rows = Object.entries(ERROR_CODES).map(([code, status]) => {
    const m = new RegExp(`/\\*\\*\\s*([^*]+?)\\s*\\*/\\s*\\n\\s*${code}:`).exec(src);
    return `| \`${code}\` | ${status} | ${m?.[1] ?? ''} |`;
  });
  return ['| code | HTTP status | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** Replace the text between `<!-- name:start -->` and `<!-- name:end -->`. */
export function replaceSection(doc: string, name: string, body: string): string {
  const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(doc)) throw new Error(`README.md has no ${name} section`);
  return doc.replace(re, `$1${body}\n$2`);
}

/** README.md as it should be. */
export function syncedReadme(doc: string): string {
  return replaceSection(replaceSection(doc, 'error-codes', errorCodeTable()), 'config', configReference());
}

if (import.meta.main) writeFileSync(README, syncedReadme(readFileSync(README, 'utf8')));
