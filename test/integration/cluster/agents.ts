/**
 * Test agents for the auth and cluster tests: real HTTP servers on 127.0.0.1 port 0, each an app from
 * `createApp` over its own temp root (one root = one node), optionally authenticating against the fake
 * Kubernetes API server (TokenReview/SubjectAccessReview) and knowing the others as static peers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { AuthSchema } from '../../../src/auth/config.ts';
import { loadConfig } from '../../../src/config/load.ts';
import { createAuthGate } from '../../../src/auth/middleware.ts';
import { clientReviews } from '../../../src/auth/kube-reviews.ts';
import { kubeLivePods } from '../../../src/cluster/kube-sources.ts';
import { createClusterRouter, type ClusterRouting } from '../../../src/http/routes/cluster.ts';
import type { LivePodLookup } from '../../../src/cluster/locate.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createApp, type AppDeps } from '../../../src/http/app.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { Catalog } from '../../../src/store/catalog.ts';
import type { CatalogView } from '../../../src/store/types.ts';
import { makeRoot, type TestRoot } from '../../helpers/agent.ts';
import { kubeConfigFor, type FakeKube } from '../../servers/fake-kube.ts';

/** The service account token every test agent presents to its peers, and the user TokenReview maps it to. */
export const AGENT_SA_TOKEN = 'sa-token-of-the-podlog-agents';
export const AGENT_SA_USER = 'system:serviceaccount:podlog:podlog';

/** How to build one agent. */
export interface AgentSpec {
  node: string;
  /** Lay out this node's pod folders. */
  files?: (root: TestRoot) => void;
  /** `auth` section values (mode defaults to 'none'). */
  auth?: Record<string, unknown>;
  /** Extra `cluster` section values. */
  cluster?: Record<string, unknown>;
  /** Other config values (e.g. `search`). */
  config?: Record<string, unknown>;
}

/** A running test agent. */
export interface TestAgent {
  node: string;
  url: string;
  root: TestRoot;
  server: Server;
  cluster?: ClusterRouting;
  /** Stop serving (connections destroyed); the others then see this node as down. */
  stop(): Promise<void>;
}

/**
 * Like `buildTestApp` of `test/helpers/agent.ts`, from an already loaded config (its `overrides.config` would also replace
 * the loaded config in the app's deps).
 */
async function buildApp(config: Config, deps: Pick<AppDeps, 'auth' | 'cluster' | 'logger' | 'apiRouters' | 'rootRouters'>) {
  const catalog = new Catalog({ roots: config.roots, logger: deps.logger });
  const controller = new AbortController();
  await catalog.start(controller.signal);
  const app = createApp({ config, catalog, metrics: createMetrics(), ready: () => true, shutdown: controller.signal, ...deps });
  return {
    app,
    catalog,
    async close() {
      controller.abort();
      await catalog.stop();
    },
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * Start agents that know each other (`cluster.peers` = every agent as `node=url`, itself included).
 * With `fake`, mode kubernetes agents review tokens there and find live pods' nodes there.
 */
export async function startAgents(specs: AgentSpec[], fake?: FakeKube, opts: {
  livePod?: LivePodLookup; clustered?: boolean; logger?: Logger; extraPeers?: string[];
  /** Further routers per agent, as `startAgent` wires them (the catalog is usable once requests arrive). */
  routers?: (a: { catalog: CatalogView; cluster: ClusterRouting; logger: Logger }) => Pick<AppDeps, 'apiRouters' | 'rootRouters'>;
} = {}) {
  const saDir = mkdtempSync(join(tmpdir(), 'podlog-sa-'));
  const saFile = join(saDir, 'token');
  writeFileSync(saFile, AGENT_SA_TOKEN + '\n');
  const servers = specs.map(() => createServer());
  const urls = await Promise.all(servers.map(listen));
  const peers = [...specs.map((s, i) => `${s.node}=${urls[i]}`), ...(opts.extraPeers ?? [])];
  const kc = fake ? kubeConfigFor(fake, 'agent-token') : undefined;
  const logger = opts.logger ?? pino({ level: process.env.PODLOG_TEST_LOG ?? 'silent' });
  const agents: TestAgent[] = [];
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    await Promise.all(closers.map((c) => c()));
    for (const s of servers) if (s.listening) s.close();
    rmSync(saDir, { recursive: true, force: true });
  };
  try {
  for (const [i, spec] of specs.entries()) {
    const root = makeRoot();
    spec.files?.(root);
    const clusterCfg = { peers: opts.clustered === false ? [] : peers, tokenFile: saFile, peerDeadlineMs: 2000, locateCacheMs: 600_000, ...spec.cluster };
    const authCfg = AuthSchema.parse({ mode: 'none', ...spec.auth });
    const auth = createAuthGate(authCfg, { ...(kc ? { reviews: clientReviews(kc) } : {}), logger });
    let catalog: { generations: (ns: string, pod: string) => Array<{ uid: string }> } | undefined;
    const config = { ...spec.config, kube: { enabled: 'off', nodeName: spec.node }, auth: spec.auth ?? {}, cluster: clusterCfg };
    const stateDir = mkdtempSync(join(tmpdir(), 'podlog-state-'));
    const loaded = loadConfig({ flags: { roots: [root.dir], stateDir, ...config } });
    const cluster = createClusterRouter({
      config: loaded.cluster, nodeName: spec.node, selfUrl: () => urls[i], search: loaded.search,
      livePod: opts.livePod ?? (kc ? kubeLivePods(kc) : undefined), logger, catalog: { generations: (ns, pod) => catalog!.generations(ns, pod) as never },
    });
    let built: Catalog | undefined;
    const lazy: CatalogView = { pods: () => built!.pods(), generations: (n, p) => built!.generations(n, p), onChange: (l) => built!.onChange(l) };
    const t = await buildApp(loaded, { auth, cluster, logger, ...opts.routers?.({ catalog: lazy, cluster, logger }) });
    catalog = t.catalog;
    built = t.catalog;
    const server = servers[i]!;
    server.on('request', t.app);
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    };
    closers.push(async () => {
      await stop();
      await t.close();
      root.cleanup();
      rmSync(stateDir, { recursive: true, force: true });
    });
    agents.push({ node: spec.node, url: urls[i]!, root, server, cluster, stop });
  }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { agents, byNode: (n: string) => agents.find((a) => a.node === n)!, close: closeAll };
}

/**
 * Read a streaming response (SSE or NDJSON) until `done(textSoFar)` holds, then cancel it.
 * @throws Error when the stream ends first or `timeoutMs` passes
 */
export async function readUntil(res: Response, done: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  const timer = setTimeout(() => void reader.cancel(new Error('timeout')), timeoutMs);
  try {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (value) text += dec.decode(value, { stream: true });
      if (done(text)) return text;
      if (end) throw new Error(`stream ended before the condition held; got: ${text.slice(0, 500)}`);
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
}
