/**
 * A protocol-faithful Kubernetes API server for tests (PROTOCOLS.md B1-B6), real HTTP on 127.0.0.1,
 * port 0 by default. It serves what podlog's API calls use:
 * - list with resourceVersion, `limit`/`continue` (an expired token gives 410), field and label selectors
 *   (unsupported fields give 400 "field label not supported");
 * - watch: 200 chunked, one `\n`-terminated JSON event per line, BOOKMARKs when `allowWatchBookmarks=true`,
 *   a too-old resourceVersion answered by an in-stream ERROR 410 then close, `timeoutSeconds` honoured,
 *   objects leaving a field selector sent as DELETED with the previous object (the watch cache's behaviour);
 * - pods GET, Events, Leases (GET/POST/PUT, 409 Conflict on a stale resourceVersion), TokenReview and
 *   SubjectAccessReview (token table and allow rules) for the authentication work;
 * - read-only objects of other kinds by their API path ({@link FakeKube.putObject}: PersistentVolumeClaims,
 *   StorageClasses, Nodes — listed at `/api/v1/nodes` —, PriorityClasses, Jobs, ReplicaSets).
 * Faults on cue: {@link FakeKube.inject} (500 / 410 / drop / stall for the next matching requests),
 * {@link FakeKube.dropWatches}, {@link FakeKube.stallWatches}, {@link FakeKube.compact}, and
 * {@link FakeKube.close} + {@link FakeKube.listen} on the same port ("the API server goes away").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

type Obj = { metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; [k: string]: unknown }; [k: string]: any };
type Kind = 'pods' | 'events' | 'leases';
interface Change { rv: number; kind: Kind; type: 'ADDED' | 'MODIFIED' | 'DELETED'; prev?: Obj; obj: Obj }

/** A fault for the next `times` requests matching `match` (method + path + query string). */
export interface Fault {
  match: (req: { method: string; path: string; query: URLSearchParams }) => boolean;
  action: 'status500' | 'status410' | 'status404' | 'status403' | 'drop' | 'stall' | 'expire';
  times: number;
}

/** One request as the server saw it. */
export interface SeenRequest { method: string; path: string; query: URLSearchParams; auth?: string; at: number; watch: boolean }

const KIND_INFO: Record<Kind, { kind: string; apiVersion: string; list: string }> = {
  pods: { kind: 'Pod', apiVersion: 'v1', list: 'PodList' },
  events: { kind: 'Event', apiVersion: 'v1', list: 'EventList' },
  leases: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', list: 'LeaseList' },
};

const FIELDS: Record<Kind, Record<string, (o: Obj) => string>> = {
  pods: {
    'metadata.name': (o) => o.metadata.name, 'metadata.namespace': (o) => o.metadata.namespace ?? '',
    'spec.nodeName': (o) => o.spec?.nodeName ?? '', 'status.phase': (o) => o.status?.phase ?? '',
    'spec.restartPolicy': (o) => o.spec?.restartPolicy ?? '', 'spec.schedulerName': (o) => o.spec?.schedulerName ?? '',
    'spec.serviceAccountName': (o) => o.spec?.serviceAccountName ?? '', 'status.podIP': (o) => o.status?.podIP ?? '',
    'status.nominatedNodeName': (o) => o.status?.nominatedNodeName ?? '', 'spec.hostNetwork': (o) => String(!!o.spec?.hostNetwork),
  },
  events: {
    'metadata.name': (o) => o.metadata.name, 'metadata.namespace': (o) => o.metadata.namespace ?? '',
    'involvedObject.kind': (o) => o.involvedObject?.kind ?? '', 'involvedObject.namespace': (o) => o.involvedObject?.namespace ?? '',
    'involvedObject.name': (o) => o.involvedObject?.name ?? '', 'involvedObject.uid': (o) => o.involvedObject?.uid ?? '',
    'involvedObject.apiVersion': (o) => o.involvedObject?.apiVersion ?? '', 'involvedObject.resourceVersion': (o) => o.involvedObject?.resourceVersion ?? '',
    'involvedObject.fieldPath': (o) => o.involvedObject?.fieldPath ?? '', reason: (o) => o.reason ?? '', type: (o) => o.type ?? '',
    source: (o) => o.source?.component ?? o.reportingComponent ?? '', reportingComponent: (o) => o.reportingComponent ?? '',
  },
  leases: { 'metadata.name': (o) => o.metadata.name, 'metadata.namespace': (o) => o.metadata.namespace ?? '' },
};

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: { name: '' }, status: 'Failure', message, reason, code } as unknown as Obj;
}

/** A parsed field selector: terms ANDed; throws a 400 Status on an unsupported field. */
function fieldMatcher(kind: Kind, sel: string | null): (o: Obj) => boolean {
  if (!sel) return () => true;
  const terms = sel.split(',').filter(Boolean).map((t) => {
    const m = /^([^!=]+)(==|!=|=)(.*)$/.exec(t);
    if (!m) throw status(400, 'BadRequest', `invalid field selector: ${t}`);
    const get = FIELDS[kind][m[1]!];
    if (!get) throw status(400, 'BadRequest', `field label not supported: ${m[1]}`);
    return { get, neg: m[2] === '!=', value: m[3]! };
  });
  return (o) => terms.every((t) => (t.get(o) === t.value) !== t.neg);
}

function labelMatcher(sel: string | null): (o: Obj) => boolean {
  if (!sel) return () => true;
  const terms = sel.split(',').map((t) => t.split('=') as [string, string]);
  return (o) => terms.every(([k, v]) => (o.metadata.labels as Record<string, string> | undefined)?.[k] === v);
}

interface WatchConn { kind: Kind; selector: string; ns?: string; match: (o: Obj) => boolean; res: ServerResponse; bookmarks: boolean; stalled: boolean; lastRv: number }

/** The fake API server. */
export class FakeKube {
  port = 0;
  readonly requests: SeenRequest[] = [];
  /** Bearer tokens TokenReview accepts: token → user. */
  readonly tokens = new Map<string, { username: string; uid?: string; groups?: string[] }>();
  /** SubjectAccessReview rules: allowed when any returns true. */
  readonly allow: Array<(spec: any) => boolean> = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly store: Record<Kind, Map<string, Obj>> = { pods: new Map(), events: new Map(), leases: new Map() };
  private readonly history: Change[] = [];
  private rv = 100;
  private minRv = 0;
  private readonly watches = new Set<WatchConn>();
  private readonly faults: Fault[] = [];
  private readonly watchListeners = new Set<() => void>();
  private readonly objects = new Map<string, Obj>();

  /**
   * Serve `obj` at its API path (e.g. `/apis/storage.k8s.io/v1/storageclasses/gp3`) for GET; objects under
   * `/api/v1/nodes/` are also listed at `/api/v1/nodes` (with `limit` and `continue`).
   */
  putObject(path: string, obj: Obj): void {
    this.objects.set(path, { ...obj, metadata: { uid: randomUUID(), resourceVersion: String(++this.rv), ...obj.metadata } });
  }

  /** Start listening on 127.0.0.1 (`port` 0 = any; pass the old port to come back after {@link close}). */
  async listen(port = this.port): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Base URL, e.g. `http://127.0.0.1:34567`. */
  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Stop listening and destroy every connection (open watches end abruptly). State is kept. */
  async close(): Promise<void> {
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }

  /** Current resourceVersion. */
  resourceVersion(): string {
    return String(this.rv);
  }

  /** Forget history older than now: watches from an older resourceVersion get 410 (and so do old continue tokens). */
  compact(): void {
    this.minRv = this.rv;
    this.history.length = 0;
  }

  /** Add a fault for the next `times` matching requests. */
  inject(f: Fault): void {
    this.faults.push(f);
  }

  /** Destroy the connections of every open watch (a dropped connection, as after a load-balancer reset). */
  dropWatches(): void {
    for (const w of this.watches) w.res.destroy();
    this.watches.clear();
  }

  /** Keep every open watch open but send nothing more on it (a silently stalled watch). */
  stallWatches(): void {
    for (const w of this.watches) w.stalled = true;
  }

  /** Send a BOOKMARK on every open watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watches) if (w.bookmarks && !w.stalled) this.write(w, { type: 'BOOKMARK', object: { kind: KIND_INFO[w.kind].kind, apiVersion: KIND_INFO[w.kind].apiVersion, metadata: { resourceVersion: String(this.rv) } } });
  }

  /** Open (not stalled) watches on `kind` (optionally only those with exactly this field selector). */
  openWatches(kind: Kind, fieldSelector?: string): number {
    return [...this.watches].filter((w) => w.kind === kind && !w.stalled && (fieldSelector === undefined || w.selector === fieldSelector)).length;
  }

  /** Requests matching a predicate. */
  seen(pred: (r: SeenRequest) => boolean): SeenRequest[] {
    return this.requests.filter(pred);
  }

  // ---- state changes (as the control plane would make them) ----

  /** Create an object (uid and creationTimestamp filled in); returns it. */
  create(kind: Kind, obj: Obj): Obj {
    const o = structuredClone(obj);
    o.metadata.uid ??= randomUUID();
    o.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const key = this.key(o);
    if (this.store[kind].has(key)) throw status(409, 'AlreadyExists', `${kind} "${o.metadata.name}" already exists`);
    this.commit(kind, 'ADDED', undefined, o);
    return o;
  }

  /** Change an object with `mutate` (on a copy); returns the new object. */
  update(kind: Kind, namespace: string | undefined, name: string, mutate: (o: Obj) => void): Obj {
    const prev = this.get(kind, namespace, name);
    if (!prev) throw new Error(`no ${kind} ${namespace}/${name}`);
    const o = structuredClone(prev);
    mutate(o);
    this.commit(kind, 'MODIFIED', prev, o);
    return o;
  }

  /** Delete an object (the final state is `prev` with a new resourceVersion). */
  remove(kind: Kind, namespace: string | undefined, name: string): void {
    const prev = this.get(kind, namespace, name);
    if (!prev) throw new Error(`no ${kind} ${namespace}/${name}`);
    this.commit(kind, 'DELETED', prev, structuredClone(prev));
  }

  /** One stored object, or undefined. */
  get(kind: Kind, namespace: string | undefined, name: string): Obj | undefined {
    return this.store[kind].get(`${namespace ?? ''}/${name}`);
  }

  /** Resolve when a new watch request arrives (after any currently open ones). */
  nextWatch(): Promise<void> {
    return new Promise((r) => {
      const l = (): void => {
        this.watchListeners.delete(l);
        r();
      };
      this.watchListeners.add(l);
    });
  }

  private key(o: Obj): string {
    return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  }

  private commit(kind: Kind, type: Change['type'], prev: Obj | undefined, obj: Obj): void {
    this.rv += 1;
    obj.metadata.resourceVersion = String(this.rv);
    if (type === 'DELETED') this.store[kind].delete(this.key(obj));
    else this.store[kind].set(this.key(obj), obj);
    const c: Change = { rv: this.rv, kind, type, prev, obj };
    this.history.push(c);
    for (const w of this.watches) this.send(w, c);
  }

  private withKind(kind: Kind, o: Obj): Obj {
    return { kind: KIND_INFO[kind].kind, apiVersion: KIND_INFO[kind].apiVersion, ...o };
  }

  private send(w: WatchConn, c: Change): void {
    if (c.kind !== w.kind || c.rv <= w.lastRv || w.stalled) return;
    const inNs = (o: Obj | undefined): boolean => !!o && (w.ns === undefined || o.metadata.namespace === w.ns);
    const was = c.type !== 'ADDED' && inNs(c.prev) && w.match(c.prev!);
    const is = c.type !== 'DELETED' && inNs(c.obj) && w.match(c.obj);
    w.lastRv = c.rv;
    if (!was && !is) return;
    let type: Change['type'] = c.type;
    let obj = c.obj;
    if (c.type === 'MODIFIED' && !was) type = 'ADDED';
    if (c.type === 'MODIFIED' && !is) {
      type = 'DELETED';
      obj = { ...c.prev!, metadata: { ...c.prev!.metadata, resourceVersion: String(c.rv) } };
    }
    this.write(w, { type, object: this.withKind(c.kind, obj) });
  }

  private write(w: WatchConn, ev: unknown): void {
    w.res.write(`${JSON.stringify(ev)}\n`);
  }

  private json(res: ServerResponse, code: number, body: unknown): void {
    const s = JSON.stringify(body);
    res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
    res.end(s);
  }

  private async body(req: IncomingMessage): Promise<any> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.route(req, res).catch((err: unknown) => {
      const st = (err as Obj | null)?.kind === 'Status' ? (err as unknown as { code: number }) : undefined;
      if (!res.headersSent) this.json(res, st?.code ?? 500, st ?? status(500, 'InternalError', String(err)));
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const q = u.searchParams;
    const path = u.pathname;
    const method = req.method ?? 'GET';
    const isWatch = q.get('watch') === 'true' || q.get('watch') === '1';
    this.requests.push({ method, path, query: q, auth: req.headers.authorization, at: Date.now(), watch: isWatch });
    const fault = this.faults.find((f) => f.times > 0 && f.match({ method, path, query: q }));
    if (fault) {
      fault.times -= 1;
      if (fault.action === 'drop') return void req.socket.destroy();
      if (fault.action === 'stall') return; // never answer
      if (fault.action === 'status500') return this.json(res, 500, status(500, 'InternalError', 'injected failure'));
      if (fault.action === 'status404') return this.json(res, 404, status(404, 'NotFound', 'injected not found'));
      if (fault.action === 'status403') return this.json(res, 403, status(403, 'Forbidden', `injected: forbidden: ${path}`));
      if (fault.action === 'status410') return this.json(res, 410, status(410, 'Expired', 'injected: the resourceVersion is too old'));
      if (fault.action === 'expire' && isWatch) {
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${q.get('resourceVersion')} (${this.rv})`) })}\n`);
        return;
      }
    }
    let m: RegExpExecArray | null;
    if ((m = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?(pods|events)$/.exec(path)) && method === 'GET') {
      return isWatch ? this.watch(m[2] as Kind, m[1], q, res) : this.list(m[2] as Kind, m[1], q, res);
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/(pods|events)\/([^/]+)$/.exec(path)) && method === 'GET') {
      const o = this.get(m[2] as Kind, m[1], m[3]!);
      return o ? this.json(res, 200, this.withKind(m[2] as Kind, o)) : this.json(res, 404, status(404, 'NotFound', `${m[2]} "${m[3]}" not found`));
    }
    if (method === 'GET' && this.objects.has(path)) return this.json(res, 200, this.objects.get(path)!);
    if (method === 'GET' && path === '/api/v1/nodes') {
      const limit = Number(q.get('limit') ?? 0);
      const offset = Number(q.get('continue') ?? 0);
      const all = [...this.objects].filter(([p]) => p.startsWith('/api/v1/nodes/')).map(([, o]) => o);
      const more = limit > 0 && offset + limit < all.length;
      return this.json(res, 200, { kind: 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(offset + limit) } : {}) },
        items: limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset) });
    }
    if ((m = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(path))) {
      return this.lease(method, m[1]!, m[2], req, res);
    }
    if (path === '/apis/authentication.k8s.io/v1/tokenreviews' && method === 'POST') {
      const b = await this.body(req);
      const user = this.tokens.get(b?.spec?.token);
      const st = user ? { authenticated: true, user: { username: user.username, uid: user.uid ?? '', groups: user.groups ?? [], extra: {} }, audiences: b.spec.audiences ?? [] }
        : { authenticated: false, error: 'invalid bearer token' };
      return this.json(res, 201, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: { creationTimestamp: null }, spec: b.spec, status: st });
    }
    if (path === '/apis/authorization.k8s.io/v1/subjectaccessreviews' && method === 'POST') {
      const b = await this.body(req);
      const allowed = this.allow.some((f) => f(b.spec));
      return this.json(res, 201, { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: { creationTimestamp: null }, spec: b.spec,
        status: allowed ? { allowed: true, reason: 'allowed by test rule' } : { allowed: false } });
    }
    this.json(res, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }

  private list(kind: Kind, ns: string | undefined, q: URLSearchParams, res: ServerResponse): void {
    const fm = fieldMatcher(kind, q.get('fieldSelector'));
    const lm = labelMatcher(q.get('labelSelector'));
    let listRv = this.rv;
    let offset = 0;
    const cont = q.get('continue');
    if (cont) {
      const t = JSON.parse(Buffer.from(cont, 'base64url').toString()) as { rv: number; offset: number };
      if (t.rv < this.minRv) throw status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result.');
      listRv = t.rv;
      offset = t.offset;
    }
    const all = [...this.store[kind].values()]
      .filter((o) => (ns === undefined || o.metadata.namespace === ns) && fm(o) && lm(o) && Number(o.metadata.resourceVersion) <= listRv)
      .sort((a, b) => this.key(a).localeCompare(this.key(b)));
    const limit = Number(q.get('limit') ?? 0);
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const more = limit > 0 && offset + limit < all.length;
    const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
    if (more) {
      metadata.continue = Buffer.from(JSON.stringify({ rv: listRv, offset: offset + limit })).toString('base64url');
      metadata.remainingItemCount = all.length - offset - limit;
    }
    this.json(res, 200, { kind: KIND_INFO[kind].list, apiVersion: KIND_INFO[kind].apiVersion, metadata, items: page });
  }

  private watch(kind: Kind, ns: string | undefined, q: URLSearchParams, res: ServerResponse): void {
    const fm = fieldMatcher(kind, q.get('fieldSelector'));
    const lm = labelMatcher(q.get('labelSelector'));
    const from = Number(q.get('resourceVersion') || this.rv);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: WatchConn = { kind, selector: q.get('fieldSelector') ?? '', ns, match: (o) => fm(o) && lm(o), res, bookmarks: q.get('allowWatchBookmarks') === 'true', stalled: false, lastRv: from };
    if (from < this.minRv) {
      this.write(w, { type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.rv})`) });
      res.end();
      return;
    }
    this.watches.add(w);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    timer?.unref();
    res.on('close', () => {
      this.watches.delete(w);
      if (timer) clearTimeout(timer);
    });
    for (const c of this.history) if (c.rv > from) this.send(w, c);
    w.lastRv = this.rv;
    if (w.bookmarks) this.write(w, { type: 'BOOKMARK', object: { kind: KIND_INFO[kind].kind, apiVersion: KIND_INFO[kind].apiVersion, metadata: { resourceVersion: String(this.rv) } } });
    for (const l of [...this.watchListeners]) l();
  }

  private async lease(method: string, ns: string, name: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (method === 'GET' && name) {
      const o = this.get('leases', ns, name);
      return o ? this.json(res, 200, this.withKind('leases', o)) : this.json(res, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`));
    }
    if (method === 'POST' && !name) {
      const b = (await this.body(req)) as Obj;
      b.metadata.namespace = ns;
      if (this.get('leases', ns, b.metadata.name)) return this.json(res, 409, status(409, 'AlreadyExists', `leases.coordination.k8s.io "${b.metadata.name}" already exists`));
      this.checkMicroTime(b);
      return this.json(res, 201, this.withKind('leases', this.create('leases', b)));
    }
    if (method === 'PUT' && name) {
      const b = (await this.body(req)) as Obj;
      const cur = this.get('leases', ns, name);
      if (!cur) return this.json(res, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${name}" not found`));
      if (b.metadata.resourceVersion !== cur.metadata.resourceVersion) {
        return this.json(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`));
      }
      this.checkMicroTime(b);
      const o = this.update('leases', ns, name, (x) => {
        x.spec = b.spec;
        x.metadata.annotations = b.metadata.annotations;
      });
      return this.json(res, 200, this.withKind('leases', o));
    }
    this.json(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
  }

  /** Go's MicroTime parser needs exactly 6 fractional digits (PROTOCOLS.md B6); reject anything else like a real server would. */
  private checkMicroTime(b: Obj): void {
    for (const f of ['acquireTime', 'renewTime']) {
      const v = b.spec?.[f];
      if (v !== undefined && v !== null && !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(v)) {
        throw status(400, 'BadRequest', `Lease in version "v1" cannot be handled as a Lease: parsing time "${v}" as MicroTime`);
      }
    }
  }
}

/**
 * A KubeConfig pointing @kubernetes/client-node at `fake` over http (an `http:` server needs
 * `skipTLSVerify`, PROTOCOLS.md B3), presenting `token` as its bearer token.
 */
export function kubeConfigFor(fake: FakeKube, token = 'test-token'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: fake.url(), skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}
