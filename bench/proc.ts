/** What the kernel says of a benchmarked process (Linux `/proc`). */
import { readFileSync } from 'node:fs';

/**
 * Resident memory of a running process now: `VmRSS` of `/proc/<pid>/status`, in MiB (the benches' "MB").
 * @returns NaN when the kernel reports no VmRSS (a zombie)
 * @throws the read error when the process is gone
 */
export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
