import { join } from 'node:path';
import { PodlogError } from '../errors.ts';
import type { Catalog } from '../store/catalog.ts';
import { safeSegment } from '../store/paths.ts';
import { lstatSafe, openSafe, type SafeFile } from '../store/safe-open.ts';
import type { ContainerEntry, FileEntry, PodEntry } from '../store/types.ts';

/** Route parameters naming one file. */
export interface FileParams {
  ns: string;
  pod: string;
  container: string;
  file: string;
  uid?: string;
}

/** An opened catalog file; close `safe.handle` when done. */
export interface OpenedFile {
  pod: PodEntry;
  container: ContainerEntry;
  entry: FileEntry;
  safe: SafeFile;
}

/**
 * Resolve route parameters to a catalog file and open it safely: each name must be one path segment,
 * and the file is opened with {@link openSafe} (no link anywhere on its path, no-follow, non-blocking). A file that exists on disk but has not
 * reached the catalog yet (a watcher event in flight) is picked up by a direct re-stat.
 * @throws PodlogError `PODLOG_E_BAD_PATH`, `PODLOG_E_NOT_FOUND`, `PODLOG_E_NOT_REGULAR`
 */
export async function openCatalogFile(catalog: Catalog, p: FileParams): Promise<OpenedFile> {
  for (const [what, v] of [['namespace', p.ns], ['pod', p.pod], ['container', p.container], ['file', p.file]] as const) safeSegment(what, v);
  const pod = catalog.findPod(p.ns, p.pod, p.uid);
  let container = pod.containers.get(p.container);
  let entry = container?.files.get(p.file);
  if (!entry) {
    await catalog.refresh(join(pod.path, p.container, p.file));
    container = pod.containers.get(p.container);
    entry = container?.files.get(p.file);
  }
  if (!container || !entry) return refuseWhatExists(pod, p);
  const safe = await openSafe(pod.root, entry.path);
  return { pod, container, entry, safe };
}

/**
 * Why a name the catalog does not hold cannot be served: `PODLOG_E_NOT_REGULAR` when it exists on disk but is
 * a link, FIFO, socket, device or folder (or its container folder is a link or a file), else `PODLOG_E_NOT_FOUND`.
 * Looked up through the door (no link followed). Always throws.
 */
async function refuseWhatExists(pod: PodEntry, p: FileParams): Promise<never> {
  const what = `${p.ns}/${p.pod}/${p.container}/${p.file}`;
  const folder = await lstatSafe(pod.root, join(pod.path, p.container));
  if (folder && !folder.isDirectory()) {
    throw new PodlogError('PODLOG_E_NOT_REGULAR', `the container folder of ${what} is a link or not a folder; podlog does not follow links`);
  }
  const file = folder && (await lstatSafe(pod.root, join(pod.path, p.container, p.file)));
  if (file && !file.isFile()) {
    throw new PodlogError('PODLOG_E_NOT_REGULAR', `${what} is not a regular file (a link, FIFO, socket, device or folder); podlog serves regular files only`);
  }
  throw new PodlogError('PODLOG_E_NOT_FOUND', `pod ${p.ns}/${p.pod} has no file ${p.container}/${p.file}`);
}

/** Read the file params from an express request (`:ns`, `:pod`, `:container`, `:file`, `?uid`). */
export function fileParams(params: Record<string, string>, query: Record<string, unknown>): FileParams {
  const uid = typeof query.uid === 'string' && query.uid !== '' ? query.uid : undefined;
  return { ns: params.ns!, pod: params.pod!, container: params.container!, file: params.file!, uid };
}
