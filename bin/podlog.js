#!/usr/bin/env node
// The `podlog` command. Node 24 runs the TypeScript sources directly (type stripping), or the bundle in
// `dist/` where the sources are absent (the container image). Started by an
// older Node (a machine's default `node`), it runs itself again, with the same arguments, on the Node 24
// that `npm ci` installs with the repo (the `node` devDependency): stdio inherited, signals forwarded,
// the child's exit code or signal passed through. Plain JavaScript so that any Node parses it.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NEEDED_MAJOR = 24;

/**
 * The pinned Node binary: the `node` package's `bin` entry as installed beside this file, or
 * undefined when it is missing, not executable, or older than NEEDED_MAJOR.
 */
function pinnedNode() {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('node/package.json');
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (Number(String(pkg.version).split('.')[0]) < NEEDED_MAJOR) return undefined;
    const rel = typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.node;
    if (typeof rel !== 'string') return undefined;
    const binary = join(dirname(manifest), rel);
    accessSync(binary, constants.X_OK);
    return binary;
  } catch {
    return undefined;
  }
}

const major = Number(process.versions.node.split('.')[0]);
if (major >= NEEDED_MAJOR) {
  // A clone runs its TypeScript sources; the container image carries only the bundle (`npm run build`).
  const sources = new URL('../src/cli.ts', import.meta.url);
  const { main } = await import(existsSync(sources) ? sources.href : new URL('../dist/cli.js', import.meta.url).href);
  await main();
} else {
  const binary = pinnedNode();
  if (!binary || binary === process.execPath) {
    process.stderr.write(
      `podlog: needs Node.js ${NEEDED_MAJOR} (this is Node ${process.versions.node}), and the Node ${NEEDED_MAJOR} pinned by the repo is not installed.\n` +
        `Run \`npm ci\` in the podlog folder (it installs Node ${NEEDED_MAJOR} into node_modules), or start podlog with Node ${NEEDED_MAJOR}.\n`,
    );
    process.exit(1);
  }
  relaunch(binary, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}

/**
 * Run `binary args` in the foreground: stdio inherited; SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGUSR2
 * forwarded; when it ends, exit with its code, or die of its signal. (foreground-child does this too,
 * but its watchdog process dies of a terminal's Ctrl-C and takes the launcher down with an exception.)
 */
function relaunch(binary, args) {
  const child = spawn(binary, args, { stdio: 'inherit' });
  const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of forwarded) process.on(signal, forward);
  child.on('error', (err) => {
    process.stderr.write(`podlog: cannot start Node ${NEEDED_MAJOR}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const s of forwarded) process.removeListener(s, forward);
    if (signal === null) process.exit(code ?? 1);
    process.kill(process.pid, signal); // die the same way; the timer keeps the loop alive until the signal lands
    setTimeout(() => process.exit(128 + (osConstants.signals[signal] ?? 0)), 1000).unref?.();
  });
}
