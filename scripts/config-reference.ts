/**
 * Print the configuration reference (every key, its env variable, default and description) as a
 * Markdown table, for README.md. Run: node scripts/config-reference.ts
 */
import { configKeys } from '../src/config/load.ts';
import { ConfigSchema } from '../src/config/schema.ts';

/** The Markdown table of every config key, in schema order. */
export function configReference(): string {
  const defaults = ConfigSchema.parse({}) as Record<string, unknown>;
  const get = (path: string[]) => path.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], defaults);
  const rows = configKeys().map((k) => `| \`${k.path.join('.')}\` | \`${k.env}\` | \`${JSON.stringify(get(k.path))}\` | ${k.description} |`);
  return ['| key | env | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (import.meta.main) console.log(configReference());
