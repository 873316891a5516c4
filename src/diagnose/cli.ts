/**
 * `podlog diagnose`: the CLI entry that needs no agent. Reads a pod (`kubectl get pod X -o json`) and Events
 * (`kubectl get events -o json`: an EventList, possibly with the owner's Events too) from files or stdin, or
 * fetches both live with `--kubeconfig FILE NAMESPACE/POD` (with the related objects that name what is at fault:
 * owner, claims, StorageClasses, nodes, PriorityClasses), runs {@link diagnose} and prints text or JSON.
 * The lead registers it as a commander subcommand in src/cli.ts.
 *
 * Exit codes: 0 a diagnosis was printed (whatever it found); 2 bad usage or unreadable / invalid input (the
 * message names the file); 3 the Kubernetes API could not be read.
 */
import { readFile } from 'node:fs/promises';
import { diagnose } from './index.ts';
import { eventsFrom } from './events.ts';
import { renderText } from './render.ts';
import { apiPath } from '../kube/api-path.ts';
import { fetchRelated } from '../kube/related-objects.ts';
import type { DiagnoseInput, EventJson, KubeObjectJson, PodJson } from './types.ts';

/** Options of {@link runDiagnose}, as commander parses them. */
export interface DiagnoseCliOptions {
  /** Pod JSON file, or `-` for stdin. */
  pod?: string;
  /** Events JSON file (EventList, array or one Event), or `-` for stdin. */
  events?: string;
  /** Related objects JSON file (`kubectl get job,cronjob,rs,pvc,sc,nodes,priorityclass -o json`: a List, an array or one object). */
  objects?: string;
  /** RFC 3339 time to use as "now" (reproducible output); default the system clock. */
  now?: string;
  output: 'text' | 'json';
  /** Kubeconfig file: fetch pod and Events live; needs `target`. */
  kubeconfig?: string;
  /** `NAMESPACE/POD` (or `POD` in the kubeconfig context's namespace) with `kubeconfig`. */
  target?: string;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  /** Where errors go; default process.stderr. */
  stderr?: NodeJS.WritableStream;
}

/** Largest input read from a file or stdin, in bytes (a pod or EventList is far smaller). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

class UsageError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > MAX_INPUT_BYTES) throw new UsageError(`stdin: input larger than ${MAX_INPUT_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(path: string, what: string, stdin: NodeJS.ReadableStream): Promise<unknown> {
  const name = path === '-' ? 'stdin' : path;
  let text: string;
  try {
    if (path === '-') text = await readStdin(stdin);
    else {
      const buf = await readFile(path);
      if (buf.length > MAX_INPUT_BYTES) throw new UsageError(`${name}: ${what} file larger than ${MAX_INPUT_BYTES} bytes`);
      text = buf.toString('utf8');
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${name}: cannot read ${what} file${code === 'ENOENT' ? ': no such file' : code ? `: ${code}` : ''}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`${name}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

/** Accepts a Pod, or a PodList / List holding exactly one Pod. */
function podFrom(json: unknown, name: string): PodJson {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`${name}: expected a Pod object (kubectl get pod X -o json)`);
  const o = json as { kind?: string; items?: unknown[]; metadata?: unknown };
  if (Array.isArray(o.items)) {
    if (o.items.length !== 1) throw new UsageError(`${name}: expected one Pod, got a list of ${o.items.length}`);
    return podFrom(o.items[0], name);
  }
  if (o.kind !== undefined && o.kind !== 'Pod') throw new UsageError(`${name}: expected kind Pod, got ${o.kind}`);
  if (typeof o.metadata !== 'object' || o.metadata === null) throw new UsageError(`${name}: the Pod has no metadata`);
  const spec = (json as { spec?: unknown }).spec;
  if (typeof spec !== 'object' || spec === null) throw new UsageError(`${name}: expected a Pod (kubectl get pod X -o json), found an object without spec`);
  return json as PodJson;
}

/** Related objects from a List (`kubectl get a,b -o json`), an array, or one object with a `kind`. */
function objectsFrom(json: unknown, name: string): KubeObjectJson[] {
  const isObj = (x: unknown): x is KubeObjectJson => typeof x === 'object' && x !== null && typeof (x as { kind?: unknown }).kind === 'string';
  const items = Array.isArray(json) ? json : typeof json === 'object' && json !== null && Array.isArray((json as { items?: unknown }).items) ? (json as { items: unknown[] }).items : [json];
  const out = items.filter(isObj);
  if (!out.length && items.length) throw new UsageError(`${name}: expected Kubernetes objects with a kind (kubectl get job,pvc,nodes -o json)`);
  return out;
}

function parseNow(s: string | undefined): Date {
  if (s === undefined) return new Date();
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(s) ? Date.parse(s) : NaN;
  if (Number.isNaN(ms)) throw new UsageError(`--now: "${s}" is not an RFC 3339 time (e.g. 2024-05-01T10:00:00Z)`);
  return new Date(ms);
}

/**
 * Fetches the pod and its Events, plus its owners' Events and the related objects (`fetchRelated` of
 * `src/kube/related-objects.ts`), through `src/kube/api.ts`. A pod that does not exist (404) gives
 * Events-only input (Events whose involvedObject.name is the pod name).
 */
async function fetchLive(kubeconfig: string, target: string): Promise<{ pod?: PodJson; events: EventJson[]; objects: KubeObjectJson[] }> {
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const { kubeApi } = await import('../kube/api.ts');
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(kubeconfig);
  } catch (e) {
    throw new UsageError(`${kubeconfig}: cannot load kubeconfig (${(e as Error).message})`);
  }
  const slash = target.indexOf('/');
  const namespace = slash > 0 ? target.slice(0, slash) : kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const name = slash > 0 ? target.slice(slash + 1) : target;
  if (!name || /\//.test(name)) throw new UsageError(`"${target}": expected NAMESPACE/POD`);
  const api = kubeApi(kc);
  const list = async (fieldSelector: string): Promise<EventJson[]> =>
    (await api<{ items?: EventJson[] }>({ path: apiPath`/api/v1/namespaces/${namespace}/events`, query: { fieldSelector } })).items ?? [];
  try {
    let pod: PodJson | undefined;
    try {
      pod = await api<PodJson>({ path: apiPath`/api/v1/namespaces/${namespace}/pods/${name}` });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const events: EventJson[] = [];
    const uid = pod?.metadata?.uid;
    events.push(...(await list(uid ? `involvedObject.uid=${uid}` : `involvedObject.kind=Pod,involvedObject.name=${name}`)));
    for (const o of pod?.metadata?.ownerReferences ?? []) {
      events.push(...(await list(o.uid ? `involvedObject.uid=${o.uid}` : `involvedObject.kind=${o.kind},involvedObject.name=${o.name}`)));
    }
    if (!pod) return { events, objects: [] };
    const related = await fetchRelated(api, pod, events);
    return { pod, events: [...events, ...related.events], objects: related.objects };
  } catch (e) {
    const code = (e as { code?: number }).code;
    throw new UsageError(`Kubernetes API: cannot read pod ${namespace}/${name} or its Events${code ? ` (HTTP ${code})` : ''}: ${(e as Error).message.split('\n')[0]}`, 3);
  }
}

/**
 * Runs `podlog diagnose`.
 * @returns the exit code (0 printed, 2 bad input, 3 API unreachable); never throws
 */
export async function runDiagnose(opts: DiagnoseCliOptions): Promise<number> {
  const stderr = opts.stderr ?? process.stderr;
  try {
    if (opts.output !== 'text' && opts.output !== 'json') throw new UsageError(`--output: expected text or json, got "${String(opts.output)}"`);
    const now = parseNow(opts.now);
    let input: DiagnoseInput;
    if (opts.kubeconfig) {
      if (!opts.target) throw new UsageError('--kubeconfig needs NAMESPACE/POD');
      if (opts.pod || opts.events) throw new UsageError('--kubeconfig fetches the pod and Events itself; do not combine it with --pod or --events');
      const live = await fetchLive(opts.kubeconfig, opts.target);
      input = { ...(live.pod ? { pod: live.pod } : {}), events: live.events, objects: live.objects, now };
    } else {
      if (!opts.pod && !opts.events) throw new UsageError('give --pod FILE and/or --events FILE (or --kubeconfig FILE NAMESPACE/POD)');
      if ([opts.pod, opts.events, opts.objects].filter((x) => x === '-').length > 1) throw new UsageError('only one of --pod, --events and --objects can read stdin (-)');
      const pod = opts.pod ? podFrom(await readJson(opts.pod, 'pod', opts.stdin), opts.pod === '-' ? 'stdin' : opts.pod) : undefined;
      let events: EventJson[] = [];
      if (opts.events) {
        const json = await readJson(opts.events, 'events', opts.stdin);
        events = eventsFrom(json);
        if (!events.length && !(typeof json === 'object' && json !== null && Array.isArray((json as { items?: unknown }).items)) && !Array.isArray(json)) {
          throw new UsageError(`${opts.events === '-' ? 'stdin' : opts.events}: expected an EventList (kubectl get events -o json), an array of Events or one Event`);
        }
      }
      input = pod ? { pod, events, now } : { events, now };
    }
    if (opts.objects) input.objects = [...(input.objects ?? []), ...objectsFrom(await readJson(opts.objects, 'objects', opts.stdin), opts.objects)];
    const d = diagnose(input);
    opts.stdout.write(opts.output === 'json' ? `${JSON.stringify(d, null, 2)}\n` : renderText(d));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      stderr.write(`podlog diagnose: ${e.message}\n`);
      return e.exitCode;
    }
    stderr.write(`podlog diagnose: internal error: ${(e as Error).message}\n`);
    return 1;
  }
}
