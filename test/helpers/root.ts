import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A uid for test pods; `n` makes distinct ones. */
export function uid(n = 0): string {
  return `0b0f3f0e-6f2c-4e3a-9c1d-${String(n).padStart(12, '0')}`;
}

/** A temporary log root with helpers to lay out pod folders. */
export interface TestRoot {
  dir: string;
  /** Create `<ns>_<pod>_<uid>/<container>/` and return its path. */
  container(ns: string, pod: string, podUid: string, container: string): string;
  /** Write a file into a container folder (created as needed); returns its path. */
  file(ns: string, pod: string, podUid: string, container: string, name: string, content: string | Buffer): string;
  cleanup(): void;
}

/** Make a temporary root under the OS temp dir. */
export function makeRoot(): TestRoot {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-root-'));
  const container = (ns: string, pod: string, podUid: string, c: string) => {
    const p = join(dir, `${ns}_${pod}_${podUid}`, c);
    mkdirSync(p, { recursive: true });
    return p;
  };
  return {
    dir,
    container,
    file(ns, pod, podUid, c, name, content) {
      const p = join(container(ns, pod, podUid, c), name);
      writeFileSync(p, content);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
