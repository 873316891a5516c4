import { PodlogError } from '../errors.ts';

/** A query value as a single string (express gives string | string[] | object); the first of repeated values. */
export function queryString(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Parse an optional non-negative integer query parameter.
 * @param name parameter name, for the error message
 * @param max the largest accepted value
 * @throws PodlogError `PODLOG_E_BAD_PARAM` for anything but digits within [0, max]
 */
export function queryInt(name: string, v: unknown, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const s = queryString(v);
  if (s === undefined || s === '') return undefined;
  if (!/^\d+$/.test(s) || Number(s) > max) {
    throw new PodlogError('PODLOG_E_BAD_PARAM', `${name} must be a whole number from 0 to ${max}`);
  }
  return Number(s);
}

/**
 * Parse an optional boolean query parameter (`true|false|1|0`).
 * @throws PodlogError `PODLOG_E_BAD_PARAM`
 */
export function queryBool(name: string, v: unknown): boolean | undefined {
  const s = queryString(v);
  if (s === undefined || s === '') return undefined;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  throw new PodlogError('PODLOG_E_BAD_PARAM', `${name} must be true or false`);
}

/**
 * Parse an optional enumerated query parameter.
 * @throws PodlogError `PODLOG_E_BAD_PARAM` naming the accepted values
 */
export function queryEnum<T extends string>(name: string, v: unknown, allowed: readonly T[]): T | undefined {
  const s = queryString(v);
  if (s === undefined || s === '') return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw new PodlogError('PODLOG_E_BAD_PARAM', `${name} must be one of ${allowed.join(', ')}`);
  return s as T;
}
