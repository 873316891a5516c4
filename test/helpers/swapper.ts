/**
 * A real folder swapper for race tests: a child process that exchanges two paths with
 * `renameat2(RENAME_EXCHANGE)` in a loop, the way a hostile pod swaps its container folder with a symlink.
 * Built at test time from C with `cc`, else run through Python's ctypes; neither → `undefined` (skip loudly).
 * The child stops when asked, after `maxSwaps` exchanges, or when its parent goes away.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const C_SOURCE = `#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
int main(int argc, char **argv) {
  if (argc != 4) return 2;
  long max = atol(argv[3]), n = 0;
  pid_t parent = getppid();
  for (; n < max; n++) {
    if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) { perror("renameat2"); return 1; }
    if ((n & 1023) == 0) {
      if (getppid() != parent) break;
      if (n == 0) { printf("started\\n"); fflush(stdout); }
    }
    sched_yield();
  }
  printf("%ld\\n", n);
  return 0;
}
`;

const PY_SOURCE = `import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fn = libc.renameat2
a, b, top, parent = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2]), int(sys.argv[3]), os.getppid()
n = 0
while n < top:
    if fn(-100, a, -100, b, 2) != 0:
        raise OSError(ctypes.get_errno(), 'renameat2')
    if n % 1024 == 0:
        if os.getppid() != parent: break
        if n == 0: print('started', flush=True)
    n += 1
print(n, flush=True)
`;

/** A running swapper. */
export interface Swapper {
  /** How the swapper was built: `cc` or `python3`. */
  readonly kind: string;
  /** Stop it (SIGTERM) and remove its build folder; resolves when it has exited. */
  stop(): Promise<void>;
}

/**
 * Start swapping `a` and `b` (absolute paths that both exist); resolves once the first exchange is done.
 * @param maxSwaps upper bound on exchanges, so the child ends by itself even if never stopped
 * @returns the swapper, or `undefined` with `reason` when neither `cc` nor `python3` with `renameat2` is available
 */
export async function startSwapper(a: string, b: string, maxSwaps = 50_000_000): Promise<Swapper | { reason: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-swapper-'));
  let child: ChildProcess | undefined;
  let kind = 'cc';
  try {
    writeFileSync(join(dir, 'swap.c'), C_SOURCE);
    execFileSync('cc', ['-O2', '-o', join(dir, 'swap'), join(dir, 'swap.c')], { stdio: 'ignore' });
    child = spawn(join(dir, 'swap'), [a, b, String(maxSwaps)], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    kind = 'python3';
    try {
      writeFileSync(join(dir, 'swap.py'), PY_SOURCE);
      execFileSync('python3', ['-c', 'import ctypes; ctypes.CDLL(None).renameat2'], { stdio: 'ignore' });
      child = spawn('python3', [join(dir, 'swap.py'), a, b, String(maxSwaps)], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch {
      rmSync(dir, { recursive: true, force: true });
      return { reason: 'neither cc nor python3 with renameat2 is available' };
    }
  }
  const proc = child;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const started = await new Promise<boolean>((resolve) => {
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve(true);
    });
    proc.once('exit', () => resolve(false));
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  if (!started) {
    await stop();
    return { reason: `the ${kind} swapper did not start: ${err.trim() || 'no output'}` };
  }
  return { kind, stop };
}
