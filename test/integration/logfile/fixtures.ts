/** Temp-dir fixtures for logfile integration tests: real files opened through openSafe. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafe, type SafeFile } from '../../../src/store/safe-open.ts';

/** A temp root that tracks opened files and removes everything on `cleanup()`. */
export interface TempRoot {
  dir: string;
  /** Write `content` to `name` and open it with openSafe. */
  file(name: string, content: string | Buffer): Promise<SafeFile>;
  open(name: string): Promise<SafeFile>;
  path(name: string): string;
  cleanup(): Promise<void>;
}

export async function tempRoot(): Promise<TempRoot> {
  const dir = await mkdtemp(join(tmpdir(), 'podlog-logfile-'));
  const opened: SafeFile[] = [];
  const open = async (name: string): Promise<SafeFile> => {
    const f = await openSafe(dir, join(dir, name));
    opened.push(f);
    return f;
  };
  return {
    dir,
    path: (name) => join(dir, name),
    open,
    async file(name, content) {
      await writeFile(join(dir, name), content);
      return open(name);
    },
    async cleanup() {
      for (const f of opened) await f.handle.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Write `parts` pieces produced by `piece(i)` through a write stream (no whole-file buffer). */
export async function writeStreamed(path: string, parts: number, piece: (i: number) => string | Buffer): Promise<void> {
  const ws = createWriteStream(path);
  for (let i = 0; i < parts; i++) {
    if (!ws.write(piece(i))) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
}
