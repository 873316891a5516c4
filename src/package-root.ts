import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of podlog's package.json: the nearest ancestor of this module that holds one. The same
 * answer whether the agent runs from its TypeScript sources (`src/`) or from the bundle `npm run build`
 * writes (`dist/`, where modules are merged into chunks and their own paths are gone).
 * @throws Error when no ancestor holds a package.json (a broken install).
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('podlog: package.json not found above its own modules');
  }
}

/** Absolute path of podlog's package folder (holds `web/dist`, `fixtures/`, `node_modules/`). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
