/**
 * A real folder swapper for race tests: a child process that exchanges two paths with
 * `renameat2(RENAME_EXCHANGE)` in a loop, the way a hostile pod swaps its container folder with a symlink.
 * Built at test time from C with `cc`, else run through Python's ctypes; neither → `undefined` (skip loudly).
 * The child stops when asked, after `maxSwaps` attempts, or when its parent goes away.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import split2 from 'split2';

const C_SOURCE = `#define _GNU_SOURCE
#include <fcntl.h>
#include <errno.h>
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
  long max = atol(argv[3]), n = 0, done = 0;
  pid_t parent = getppid();
  for (; n < max; n++) {
    if ((n & 1023) == 0 && getppid() != parent) break;
    if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) != 0) {
      if (errno == ENOENT && done) { sched_yield(); continue; } /* one side is being removed: keep trying */
      perror("renameat2");
      return 1;
    }
    if (done++ == 0) { printf("started\\n"); fflush(stdout); }
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
n = done = 0
while n < top:
    n += 1
    if n % 1024 == 0 and os.getppid() != parent: break
    if fn(-100, a, -100, b, 2) != 0:
        if ctypes.get_errno() == 2 and done: continue
        raise OSError(ctypes.get_errno(), 'renameat2')
    done += 1
    if done == 1: print('started', flush=True)
print(n, flush=True)
`;

/** A running swapper. */
export interface Swapper {
  /** How the swapper was built: `cc` or `python3`. */
  readonly kind: string;
  /** Stop it (SIGTERM); resolves when it has exited. */
  stop(): Promise<void>;
}

/** The swapper's command, built once per test process (its folder is removed when the process exits). */
let built: { kind: string; command: string[] } | { reason: string } | undefined;

function build(): { kind: string; command: string[] } | { reason: string } {
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'podlog-swapper-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  try {
    writeFileSync(join(dir, 'swap.c'), C_SOURCE);
    execFileSync('cc', ['-O2', '-o', join(dir, 'swap'), join(dir, 'swap.c')], { stdio: 'ignore' });
    built = { kind: 'cc', command: [join(dir, 'swap')] };
  } catch {
    try {
      writeFileSync(join(dir, 'swap.py'), PY_SOURCE);
      execFileSync('python3', ['-c', 'import ctypes; ctypes.CDLL(None).renameat2'], { stdio: 'ignore' });
      built = { kind: 'python3', command: ['python3', join(dir, 'swap.py')] };
    } catch {
      built = { reason: 'neither cc nor python3 with renameat2 is available' };
    }
  }
  return built;
}

/**
 * Start swapping `a` and `b` (absolute paths that both exist); resolves once the first exchange is done.
 * After that, a side that vanishes (removed by the code under test) is retried, not fatal.
 * @param maxSwaps upper bound on attempts, so the child ends by itself even if never stopped
 * @returns the swapper, or `{reason}` when neither `cc` nor `python3` with `renameat2` is available
 */
export async function startSwapper(a: string, b: string, maxSwaps = 50_000_000): Promise<Swapper | { reason: string }> {
  const b0 = build();
  if ('reason' in b0) return b0;
  const [cmd, ...pre] = b0.command as [string, ...string[]];
  const proc: ChildProcess = spawn(cmd, [...pre, a, b, String(maxSwaps)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', () => resolve());
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const started = await new Promise<boolean>((resolve) => {
    proc.stdout!.pipe(split2()).on('data', (line: string) => {
      if (line.includes('started')) resolve(true);
    });
    proc.once('exit', () => resolve(false));
    proc.once('error', () => resolve(false));
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  if (!started) {
    await stop();
    return { reason: `the ${b0.kind} swapper did not start: ${err.trim() || 'no output'}` };
  }
  return { kind: b0.kind, stop };
}
