#!/usr/bin/env node
import { Command, Option } from 'commander';
import { loadConfig, type RawConfig } from './config/load.ts';
import { runDiagnose } from './diagnose/cli.ts';
import { runJobDiagnose } from './flink/cli.ts';
import { retentionCommand } from './retention/cli.ts';
import { isPodlogError } from './errors.ts';
import { createLogger } from './observability/logger.ts';
import { startAgent } from './main.ts';
import { createDemoFolder, runLiveAppender, type DemoFolder } from './demo/demo.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Flags of `podlog agent`, nested like the config schema. Only flags given on the command line are set. */
function agentFlags(o: Record<string, unknown>): RawConfig {
  const flags: RawConfig = {};
  if (o.root) flags.roots = o.root;
  if (o.stateDir) flags.stateDir = o.stateDir;
  if (o.port !== undefined) flags.port = o.port;
  if (o.host) flags.host = o.host;
  if (o.logLevel) flags.logLevel = o.logLevel;
  if (o.nodeName || o.kubeconfig) flags.kube = { ...(o.nodeName ? { nodeName: o.nodeName } : {}), ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}) };
  if (o.demo) flags.demo = true;
  const retention = { maxAge: o.retentionMaxAge, maxBytes: o.retentionMaxBytes, minFree: o.retentionMinFree, dryRun: o.retentionDryRun ? true : undefined, kubeletPodsDir: o.kubeletPodsDir };
  if (Object.values(retention).some((v) => v !== undefined)) flags.retention = retention;
  const auth = { mode: o.auth, tokenFile: o.authTokenFile, allowNonLoopback: o.allowNonLoopback ? true : undefined };
  if (Object.values(auth).some((v) => v !== undefined)) flags.auth = auth;
  const ship = { esUrl: o.esUrl, namespaces: o.shipNamespace };
  if (Object.values(ship).some((v) => v !== undefined)) flags.ship = ship;
  const cluster = { peers: o.peer, peerService: o.peerService };
  if (Object.values(cluster).some((v) => v !== undefined)) flags.cluster = cluster;
  return flags;
}

/** Build the `podlog` command line (commander). Exported for tests. */
export function buildProgram(): Command {
  const program = new Command('podlog').description('Node-local log service for Kubernetes pods').version('0.1.0');
  program
    .command('agent')
    .description('Run the node agent: catalog the log roots and serve the API and page')
    .option('--config <file>', 'YAML or JSON config file (env PODLOG_CONFIG)')
    .option('--root <dir>', 'log root, repeatable (env PODLOG_ROOTS=a,b)', collect)
    .option('--state-dir <dir>', 'state directory (env PODLOG_STATE_DIR)')
    .option('--port <n>', 'listen port (env PODLOG_PORT)')
    .option('--host <addr>', 'listen address (env PODLOG_HOST)')
    .option('--node-name <name>', 'this node (env PODLOG_KUBE_NODE_NAME, or NODE_NAME from the downward API)')
    .option('--kubeconfig <file>', 'kubeconfig outside a cluster (env PODLOG_KUBE_KUBECONFIG, or KUBECONFIG)')
    .addOption(new Option('--log-level <level>', 'agent log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .option('--demo', 'serve the embedded demo: real Flink logs plus one pod appending live')
    .option('--retention-max-age <age>', "keep exited pods' folders this long, e.g. 7d (env PODLOG_RETENTION_MAX_AGE)")
    .option('--retention-max-bytes <size>', 'byte budget of the roots: 50Gi or 20% of the file system (env PODLOG_RETENTION_MAX_BYTES)')
    .option('--retention-min-free <size>', 'free-space floor, e.g. 5% or 10Gi (env PODLOG_RETENTION_MIN_FREE)')
    .option('--retention-dry-run', 'log what retention would delete, delete nothing')
    .option('--kubelet-pods-dir <dir>', "copy the kubelet's container stdout/stderr from here (e.g. /var/log/pods)")
    .addOption(new Option('--auth <mode>', 'who may read: none (loopback only), token, kubernetes (env PODLOG_AUTH_MODE)').choices(['none', 'token', 'kubernetes']))
    .option('--auth-token-file <file>', 'static bearer tokens and their namespaces (auth token)')
    .option('--allow-non-loopback', 'allow auth none on a non-loopback address (trusted networks only)')
    .option('--es-url <url>', 'ship high-priority pods to this Elasticsearch (env PODLOG_ES_URL)')
    .option('--ship-namespace <ns>', 'ship every pod of this namespace, repeatable (env PODLOG_SHIP_NAMESPACES=a,b)', collect)
    .option('--peer <node=url>', 'another agent, repeatable (env PODLOG_CLUSTER_PEERS=a=http://…,b=…)', collect)
    .option('--peer-service <name>', 'headless Service whose EndpointSlices list the other agents')
    .action(async (opts: Record<string, unknown>) => {
      const env = process.env;
      let config = loadConfig({ file: (opts.config as string | undefined) ?? env.PODLOG_CONFIG, env, flags: agentFlags(opts) });
      const logger = createLogger(config.logLevel);
      const controller = new AbortController();
      let demo: DemoFolder | undefined;
      if (config.demo) {
        demo = await createDemoFolder();
        const given = opts.root || env.PODLOG_ROOTS;
        config = loadConfig({
          file: (opts.config as string | undefined) ?? env.PODLOG_CONFIG,
          env,
          flags: { ...agentFlags(opts), roots: given ? config.roots : [demo.root], stateDir: opts.stateDir ?? env.PODLOG_STATE_DIR ?? demo.stateDir },
        });
        await runLiveAppender(demo.root, controller.signal, logger);
        logger.info({ root: demo.root }, 'demo root ready: real Flink fixtures plus a live pod (removed at exit)');
      }
      const agent = await startAgent(config, logger, env);
      let stopping = false;
      const stop = (signal: string) => {
        // a repeat is ignored: Ctrl-C in a terminal reaches both this process and a launcher that forwards it (bin/podlog.js)
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'shutting down');
        controller.abort();
        agent
          .close()
          .then(() => demo?.remove())
          .then(() => process.exit(0), () => process.exit(1));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
  program.addCommand(retentionCommand());
  program
    .command('diagnose')
    .description('Explain why a pod is not running, from `kubectl get pod -o json` and `kubectl get events -o json` output (no agent needed)')
    .argument('[target]', 'NAMESPACE/POD to fetch live with --kubeconfig')
    .option('--pod <file>', "the pod's JSON (`-` for stdin); omit to diagnose from Events alone")
    .option('--events <file>', 'an EventList JSON (`-` for stdin), may hold the owner\'s Events too')
    .option('--objects <file>', 'related objects JSON (`kubectl get job,rs,pvc,sc,nodes,priorityclass -o json`): owners, claims, taints, priorities')
    .option('--now <rfc3339>', 'fix the clock, for reproducible output')
    .option('--kubeconfig <file>', 'fetch the pod and its Events live from this cluster')
    .option('--job <ns/job>', 'tell a Flink job\'s story (job = cluster-id) from --jobmanager-log, with --pod (a PodList) and --events')
    .option('--jobmanager-log <file>', 'a JobManager log file (repeat for rotated files, oldest first; .gz allowed)', collect, [])
    .addOption(new Option('--output <format>', 'text or json').choices(['text', 'json']).default('text'))
    .action(async (target: string | undefined, o: Record<string, string | undefined> & { jobmanagerLog?: string[] }) => {
      if (o.job !== undefined) {
        process.exitCode = await runJobDiagnose({ job: o.job, jobManagerLogs: o.jobmanagerLog ?? [], pods: o.pod, events: o.events, now: o.now, output: o.output as 'text' | 'json', stdout: process.stdout });
        return;
      }
      process.exitCode = await runDiagnose({
        pod: o.pod,
        events: o.events,
        objects: o.objects,
        now: o.now,
        output: o.output as 'text' | 'json',
        kubeconfig: o.kubeconfig,
        target,
        stdin: process.stdin,
        stdout: process.stdout,
      });
    });
  return program;
}

/** Run the CLI with `process.argv`; PodlogErrors print one line and exit 2. */
export async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    if (isPodlogError(e)) {
      process.stderr.write(`podlog: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

if (import.meta.main) await main();
