import { z } from 'zod';

/** Booleans from env and flags: `true|false|1|0|yes|no` (z.coerce.boolean would read "false" as true). */
export const zBool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off', ''].includes(s)) return false;
  return v;
}, z.boolean());

/** Lists from env and flags: a JSON/YAML array, or one comma-separated string. */
export function zList<T extends z.ZodType>(item: T, minItems = 0) {
  return z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(item).min(minItems));
}
