/**
 * The real control plane tier's harness: starts etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok (built from the Go module proxy by scripts/kube/build.sh) on 127.0.0.1 through
 * scripts/kube/up.sh, drives it with the real kubectl, and runs podlog agents as child processes with a
 * DaemonSet pod's identity. Agents carry the loopback guard (loopback-guard.ts).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../helpers/wait.ts';
import { loopbackOf } from './loopback-guard.ts';
import { daemonSetTuning } from '../helpers/daemonset.ts';

const run = promisify(execFile);
/** The repository root. */
export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SCRIPTS = join(REPO, 'scripts', 'kube');

/** Why the tier cannot run here, or undefined when it can (Go is what the build needs). */
export function skipReason(): string | undefined {
  if (process.env.PODLOG_SKIP_CLUSTER === '1') return 'PODLOG_SKIP_CLUSTER=1';
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) return 'Go is not installed: the cluster tier builds etcd, kube-apiserver, kube-scheduler, kube-controller-manager and kwok from source (https://go.dev/dl/)';
  return undefined;
}

/** Print the skip reason so nobody mistakes a skipped tier for a passed one. */
export function announceSkip(reason: string): void {
  process.stderr.write(`\n*** CLUSTER TIER SKIPPED: ${reason} ***\n\n`);
}

/** A running control plane. */
export interface ControlPlane {
  dir: string;
  /** kubeconfig of `admin` (system:masters). */
  kubeconfig: string;
  /** e.g. https://127.0.0.1:34567 */
  api: string;
  etcd: string;
  caFile: string;
  /** Static tokens from the apiserver's token file, by user (admin, alice, bob). */
  tokens: Record<string, string>;
  /** Run kubectl as admin (or with `token`); resolves stdout; rejects with stderr on failure. */
  kubectl(args: string[], opts?: { input?: string; token?: string }): Promise<string>;
  /** `kubectl get -o json`, parsed. */
  getJson(args: string[]): Promise<any>;
  /** Stop and start one component (etcd, apiserver, controller-manager, scheduler, kwok). */
  stopComponent(name: string): Promise<void>;
  startComponent(name: string): Promise<void>;
  /** Audit log entries (one JSON object per line) written so far. */
  audit(): any[];
  stop(): Promise<void>;
}

/** Start a control plane in a temp dir (builds the binaries first when they are missing: 15–40 min cold on 2 cores). */
export async function startControlPlane(nodes = 2): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'podlog-kube-'));
  const env = { ...process.env, PODLOG_KUBE_NODES: String(nodes) };
  const up = spawn(join(SCRIPTS, 'up.sh'), [dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  up.stdout.on('data', (d) => (out += d));
  up.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => up.on('exit', r));
  if (code !== 0) {
    spawnSync(join(SCRIPTS, 'down.sh'), [dir]);
    throw new Error(`scripts/kube/up.sh failed (${code}):\n${out.slice(-4000)}`);
  }
  const vars = Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const tokens: Record<string, string> = {};
  for (const line of readFileSync(join(dir, 'pki', 'tokens.csv'), 'utf8').trim().split('\n')) {
    const [tok, user] = line.split(',');
    tokens[user!] = tok!;
  }
  const kubectlBin = join(vars.PODLOG_KUBE_BIN!, 'kubectl');
  const kubeconfig = vars.KUBECONFIG!;
  const kubectl = async (args: string[], opts: { input?: string; token?: string } = {}) => {
    const auth = opts.token ? ['--token', opts.token] : [];
    return new Promise<string>((resolveP, reject) => {
      const p = execFile(kubectlBin, ['--kubeconfig', kubeconfig, ...auth, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        if (err) reject(Object.assign(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`), { stderr }));
        else resolveP(stdout);
      });
      if (opts.input !== undefined) p.stdin!.end(opts.input);
      else p.stdin!.end();
    });
  };
  const component = (action: string, name: string) => run(join(SCRIPTS, 'component.sh'), [dir, action, name]).then(() => undefined);
  return {
    dir, kubeconfig, api: vars.PODLOG_KUBE_API!, etcd: vars.PODLOG_KUBE_ETCD!, caFile: join(dir, 'pki', 'ca.crt'), tokens, kubectl,
    getJson: async (args) => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])),
    stopComponent: (name) => component('stop', name),
    startComponent: (name) => component('start', name),
    audit: () => readFileSync(join(dir, 'logs', 'audit.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    async stop() {
      await run(join(SCRIPTS, 'down.sh'), [dir, process.env.PODLOG_KEEP_CLUSTER === '1' ? '--keep' : '']);
    },
  };
}

/** Write a kubeconfig for `token` against the control plane; returns its path. */
export function kubeconfigFor(cp: ControlPlane, token: string, dir: string, name = 'kubeconfig'): string {
  const file = join(dir, name);
  writeFileSync(file, [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{name: c, cluster: {server: "${cp.api}", certificate-authority: "${cp.caFile}"}}]`,
    `users: [{name: u, user: {token: "${token}"}}]`,
    'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x', '',
  ].join('\n'), { mode: 0o600 });
  return file;
}

/** A podlog agent child process. */
export interface AgentProcess {
  node: string;
  /** The DaemonSet pod it stands for, and that pod's address (kwok's, 10.244.x.y). */
  podName: string;
  podIp: string;
  /** Where it listens: the pod address mapped onto loopback (127.244.x.y). */
  url: string;
  root: string;
  stateDir: string;
  child: ChildProcess;
  /** Everything it wrote to stderr and stdout so far. */
  output(): string;
  /** GET `path` with a bearer token (default: admin's). */
  get(path: string, token?: string): Promise<Response>;
  getJson(path: string, token?: string): Promise<any>;
  /** SIGTERM (default) or SIGKILL; resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How to run an agent as the DaemonSet would on `node`. */
export interface AgentSpec {
  cp: ControlPlane;
  node: string;
  podName: string;
  podIp: string;
  /** Token the agent uses (its ServiceAccount's, from TokenRequest). */
  token: string;
  /** The ConfigMap's podlog.yaml. */
  configFile: string;
  root: string;
  stateDir: string;
  /** Folder for its kubeconfig, token file and output. */
  work: string;
  port?: number;
  env?: Record<string, string>;
}

/**
 * Start `node src/cli.ts agent` with the DaemonSet's args and env (downward API values filled in from the
 * DaemonSet pod), listening on the pod's address mapped onto loopback, and wait for /readyz.
 */
export async function startAgentProcess(s: AgentSpec): Promise<AgentProcess> {
  mkdirSync(s.work, { recursive: true });
  const kubeconfig = kubeconfigFor(s.cp, s.token, s.work);
  const tokenFile = join(s.work, 'sa-token');
  writeFileSync(tokenFile, s.token, { mode: 0o600 });
  const port = s.port ?? 8080;
  const listenOn = loopbackOf(s.podIp);
  if (!listenOn) throw new Error(`pod address ${s.podIp} is outside kwok's 10.244.0.0/16`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp',
    // manifests/base/daemonset.yaml
    NODE_NAME: s.node, POD_NAME: s.podName, POD_NAMESPACE: 'podlog', POD_IP: s.podIp,
    PODLOG_KUBE_IDENTITY: s.podName, PODLOG_KUBE_LEASE_NAMESPACE: 'podlog', PODLOG_KUBE_PEER_ADDRESS: `http://${s.podIp}:${port}`,
    ...daemonSetTuning(),
    // in a pod: the projected ServiceAccount token and KUBERNETES_SERVICE_HOST; here a kubeconfig with the same token
    PODLOG_KUBE_KUBECONFIG: kubeconfig, PODLOG_CLUSTER_TOKEN_FILE: tokenFile,
    ...s.env,
  };
  const node = join(REPO, 'node_modules', '.bin', 'node');
  const child = spawn(node, [
    '--import', join(REPO, 'test', 'cluster', 'loopback-guard.ts'), join(REPO, 'src', 'cli.ts'),
    'agent', `--config=${s.configFile}`, `--root=${s.root}`, `--state-dir=${s.stateDir}`, `--host=${listenOn}`, `--port=${port}`,
  ], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const log = createWriteStream(join(s.work, `agent-${Date.now()}.log`));
  child.stdout!.on('data', (d) => { out += d; log.write(d); });
  child.stderr!.on('data', (d) => { out += d; log.write(d); });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => { log.end(); r(code); }));
  let dead = false;
  void exited.then(() => (dead = true));
  const url = `http://${listenOn}:${port}`;
  const get = (path: string, token = s.cp.tokens.admin) => fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
  await waitFor(async () => {
    if (dead) throw new Error(`agent on ${s.node} exited:\n${out.slice(-3000)}`);
    const r = await fetch(url + '/readyz').catch(() => undefined);
    return r?.status === 200;
  }, { what: `agent on ${s.node} ready`, timeoutMs: 60_000, intervalMs: 100 }).catch((e) => {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${out.slice(-3000)}`);
  });
  return {
    node: s.node, podName: s.podName, podIp: s.podIp, url, root: s.root, stateDir: s.stateDir, child,
    output: () => out,
    get,
    async getJson(path, token) {
      const r = await get(path, token);
      if (r.status !== 200) throw new Error(`GET ${path} → ${r.status}: ${await r.text()}`);
      return r.json();
    },
    async stop(signal = 'SIGTERM') {
      if (!dead) child.kill(signal);
      return exited;
    },
  };
}

/** A temp folder removed by the returned function. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Lines where the loopback guard refused a dial (must stay empty). */
export function refusedDials(output: string): string[] {
  return output.split('\n').filter((l) => l.includes('LOOPBACK-GUARD'));
}
