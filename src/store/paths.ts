import { isAbsolute, relative, resolve, sep } from 'node:path';
import { PodlogError } from '../errors.ts';

/**
 * Throw unless `path`, resolved, is `root` itself or lies below it. Pure string check on resolved
 * absolute paths (no file system access); symlinks are handled by no-follow opens and the catalog.
 * @throws PodlogError `PODLOG_E_BAD_PATH`
 */
export function assertInside(root: string, path: string): void {
  const rel = relative(resolve(root), resolve(path));
  if (rel === '' ) return;
  if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new PodlogError('PODLOG_E_BAD_PATH', 'path leaves the log root');
  }
}

/**
 * Validate one path segment taken from a URL or a directory listing (a namespace, pod, container
 * or file name). Rejects empty names, `.`, `..`, any `/` or `\`, NUL and other control characters.
 * @param what name of the parameter, for the error message
 * @returns the segment unchanged
 * @throws PodlogError `PODLOG_E_BAD_PATH`
 */
export function safeSegment(what: string, value: string): string {
  if (!isServableName(value)) {
    throw new PodlogError('PODLOG_E_BAD_PATH', `invalid ${what}: it must be a single path segment without '/', '\\', '..' or control characters`);
  }
  return value;
}

/**
 * True when `name` can be asked for through the API as one path segment: not empty, `.` or `..`, and without
 * `/`, `\`, NUL or other control characters. The catalog lists only such names, so every listed name is fetchable.
 */
export function isServableName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name !== '' && name !== '.' && name !== '..' && !/[/\\\u0000-\u001f\u007f]/.test(name);
}
