/**
 * The real agent as a child process (`bin/podlog.js agent …` on the pinned Node), for tests of what an
 * operator sees: start-up errors on stderr, `/readyz`. Resolves when it listens or when it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import split2 from 'split2';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

/** How a spawned agent ended its start. */
export type Spawned =
  | { kind: 'listening'; url: string; child: ChildProcess; logs: () => string[]; stderr: () => string; stop: () => Promise<void> }
  | { kind: 'exited'; code: number | null; stderr: string; stdout: string };

/**
 * Start `podlog agent` with `args` (add `--root`, `--state-dir`…; `--port 0 --host 127.0.0.1` are added).
 * The cluster link is off unless `env` brings one (`KUBECONFIG` and `NODE_NAME` are cleared first).
 * @param opts.guardMs give up (kill it and reject) if it neither listens nor exits by then (default 60 s)
 * @param opts.env extra environment, e.g. `PODLOG_*` config values
 * @param opts.entry the script to run, absolute or relative to the repo (default `bin/podlog.js`; the
 *   bundle's `cli.js` to test what the image runs)
 */
export function spawnAgent(args: string[], opts: { guardMs?: number; env?: Record<string, string>; entry?: string } = {}): Promise<Spawned> {
  const guardMs = opts.guardMs ?? 60_000;
  const child = spawn(NODE, [opts.entry ?? 'bin/podlog.js', 'agent', '--port', '0', '--host', '127.0.0.1', '--log-level', 'info', ...args], {
    cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '', NODE_NAME: '', ...opts.env },
  });
  let stderr = '';
  let stdout = '';
  const lines: string[] = [];
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<Spawned>((resolve, reject) => {
    const guard = AbortSignal.timeout(guardMs);
    const giveUp = () => {
      child.kill('SIGKILL');
      reject(new Error(`the agent neither listened nor exited: ${stderr.slice(-2000)}`));
    };
    guard.addEventListener('abort', giveUp, { once: true });
    let settled = false;
    child.once('exit', (code) => {
      guard.removeEventListener('abort', giveUp);
      if (!settled) resolve({ kind: 'exited', code, stderr, stdout });
      settled = true;
    });
    child.stdout.pipe(split2()).on('data', (line: string) => {
      stdout += `${line}\n`;
      lines.push(line);
      let o: { msg?: string; url?: string } = {};
      try {
        o = JSON.parse(line) as typeof o;
      } catch {
        return;
      }
      if (o.msg !== 'listening' || !o.url || settled) return;
      settled = true;
      guard.removeEventListener('abort', giveUp);
      resolve({
        kind: 'listening', url: o.url, child, logs: () => [...lines], stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
