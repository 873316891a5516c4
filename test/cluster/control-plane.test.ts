/**
 * The real control plane tier: podlog against unpatched etcd, kube-apiserver, kube-scheduler,
 * kube-controller-manager and kwok (fake kubelets), all on 127.0.0.1. One control plane serves the whole
 * file; the steps build on each other in order (deploy → agents → records → pending pods and the Lease →
 * authentication → apiserver restart and compaction → audit). Skipped loudly only where Go is missing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { waitFor } from '../helpers/wait.ts';
import {
  announceSkip, REPO, refusedDials, skipReason, startAgentProcess, startControlPlane, tempDir,
  type AgentProcess, type AgentSpec, type ControlPlane,
} from './harness.ts';

const skip = skipReason();
if (skip) announceSkip(skip);

const SA_USER = 'system:serviceaccount:podlog:podlog';
const SLOW = { timeoutMs: 120_000, intervalMs: 250 };

describe('podlog on a real control plane', { skip, timeout: 80 * 60_000 }, () => {
  let cp: ControlPlane;
  const work = tempDir('podlog-cluster-');
  const agents = new Map<string, AgentProcess>();
  const specs = new Map<string, AgentSpec>();
  const outputs: string[] = [];
  let configFile = '';
  let agentToken = '';
  const restartWindow = { from: Infinity, to: -Infinity };

  const kubectl = (args: string[], input?: string) => cp.kubectl(args, input === undefined ? {} : { input });
  const apply = (yaml: string) => kubectl(['apply', '--server-side', '--field-manager=podlog-test', '-f', '-'], yaml);
  const podJson = (ns: string, name: string) => cp.getJson(['pod', '-n', ns, name]);
  const metric = async (a: AgentProcess, name: string, labels: string): Promise<number> => {
    const text = await (await a.get('/metrics')).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const leaseHolder = async (): Promise<string | undefined> => {
    const l = await cp.getJson(['lease', '-n', 'podlog', 'podlog-cluster-recorder']).catch(() => undefined);
    return l?.spec?.holderIdentity;
  };
  const agentByPod = (podName: string) => [...agents.values()].find((a) => a.podName === podName);
  const start = async (node: string) => {
    const a = await startAgentProcess(specs.get(node)!);
    agents.set(node, a);
    return a;
  };
  const stop = async (node: string, signal: NodeJS.Signals = 'SIGTERM') => {
    const a = agents.get(node)!;
    const code = await a.stop(signal);
    outputs.push(a.output());
    agents.delete(node);
    return code;
  };
  const recordEvents = (a: AgentProcess, ns: string, pod: string) => a.getJson(`/api/v1/namespaces/${ns}/pods/${pod}/events?local=1`);
  const simplePod = (ns: string, name: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) => JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'job-1', component: 'taskmanager' } },
    spec: { containers: [{ name: 'flink-main-container', image: 'flink:1.20', ...container }], ...extra },
  });

  before(async () => {
    cp = await startControlPlane(2);
    // a third node nobody's pods tolerate (the DaemonSet tolerates everything)
    await apply(JSON.stringify({
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: 'kwok-tainted', annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { type: 'kwok', 'kubernetes.io/hostname': 'kwok-tainted' } },
      spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      status: { allocatable: { cpu: '4', memory: '16Gi', pods: '110' }, capacity: { cpu: '4', memory: '16Gi', pods: '110' } },
    }));
    await kubectl(['wait', '--for=condition=Ready', 'node/kwok-tainted', '--timeout=120s']);
    for (const ns of ['team-a', 'team-b', 'team-q']) await kubectl(['create', 'namespace', ns]);
  });

  after(async () => {
    for (const node of [...agents.keys()]) await stop(node, 'SIGKILL');
    await cp?.stop();
    work.cleanup();
  });

  it('applies the kustomize base server-side and the DaemonSet is scheduled on every node', async () => {
    const rendered = await kubectl(['kustomize', join(REPO, 'manifests', 'base')]);
    const out = await apply(rendered);
    const objects = parseAllDocuments(rendered).map((d) => d.toJS()).filter(Boolean);
    const applied = out.trim().split('\n').filter((l) => l.endsWith('serverside-applied'));
    assert.equal(applied.length, objects.length, `every object applied:\n${out}`);
    const nodes = (await cp.getJson(['nodes'])).items.map((n: any) => n.metadata.name).sort();
    assert.equal(nodes.length, 3);
    const pods = await waitFor(async () => {
      const list = (await cp.getJson(['pods', '-n', 'podlog', '-l', 'app.kubernetes.io/name=podlog'])).items;
      const running = list.filter((p: any) => p.status.phase === 'Running' && p.status.podIP);
      return running.length === nodes.length ? running : undefined;
    }, { what: 'a Running DaemonSet pod on every node', ...SLOW });
    assert.deepEqual(pods.map((p: any) => p.spec.nodeName).sort(), nodes);
    for (const p of pods) assert.match(p.status.podIP, /^10\.244\./, "kwok's pod addresses (--cidr), which the agents' loopback guard maps onto 127.244.0.0/16");
    const ds = await cp.getJson(['daemonset', '-n', 'podlog', 'podlog']);
    assert.equal(ds.status.desiredNumberScheduled, nodes.length);

    // the ConfigMap's podlog.yaml, exactly as shipped, is the agents' config file
    const cm = objects.find((o: any) => o.kind === 'ConfigMap');
    configFile = join(work.dir, 'podlog.yaml');
    writeFileSync(configFile, cm.data['podlog.yaml']);
  });

  it('runs two agents with their own ServiceAccount token and the DaemonSet env; one holds the Lease', async () => {
    agentToken = (await kubectl(['create', 'token', 'podlog', '-n', 'podlog', '--duration=2h'])).trim();
    const pods = (await cp.getJson(['pods', '-n', 'podlog', '-l', 'app.kubernetes.io/name=podlog'])).items;
    for (const node of ['kwok-node-1', 'kwok-node-2']) {
      const p = pods.find((x: any) => x.spec.nodeName === node);
      const root = join(work.dir, node, 'root');
      const stateDir = join(work.dir, node, 'state');
      mkdirSync(root, { recursive: true });
      specs.set(node, { cp, node, podName: p.metadata.name, podIp: p.status.podIP, token: agentToken, configFile, root, stateDir, work: join(work.dir, node) });
      await start(node);
    }
    const holder = await waitFor(leaseHolder, { what: 'a Lease holder', ...SLOW });
    assert.ok(agentByPod(holder), `the Lease is held by one of the agents (${holder})`);
    const self = await agents.get('kwok-node-1')!.getJson('/readyz').catch(() => undefined);
    assert.notEqual(self, null);
  });

  it("keeps a pod's record and the real scheduler's Events after the pod is deleted and the agent restarts", async () => {
    await apply(simplePod('team-a', 'flink-tm-1', { nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-1' } }));
    const pod = await waitFor(async () => {
      const p = await podJson('team-a', 'flink-tm-1');
      return p.status.phase === 'Running' ? p : undefined;
    }, { what: 'flink-tm-1 Running', ...SLOW });
    const uid = pod.metadata.uid;
    const folder = join(specs.get('kwok-node-1')!.root, `team-a_flink-tm-1_${uid}`, 'flink-main-container');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'taskmanager.log'), '2026-12-07 10:00:00,000 INFO  TaskManager started\n2026-12-07 10:00:01,000 ERROR boom\n');

    const agent = agents.get('kwok-node-1')!;
    const scheduled = (b: any) => b.events.find((e: any) => e.reason === 'Scheduled');
    const first = await waitFor(async () => {
      const b = await recordEvents(agent, 'team-a', 'flink-tm-1').catch(() => undefined);
      return b?.source === 'record' && scheduled(b) ? b : undefined;
    }, { what: "flink-tm-1's record with the Scheduled Event", ...SLOW });
    // the scheduler writes events.k8s.io/v1: the core/v1 view names it in reportingComponent, not source.component
    assert.equal(scheduled(first).reportingComponent, 'default-scheduler');
    assert.match(scheduled(first).message, /kwok-node-1/);

    await kubectl(['delete', 'pod', '-n', 'team-a', 'flink-tm-1', '--wait=true', '--timeout=120s']);
    await waitFor(async () => (await recordEvents(agent, 'team-a', 'flink-tm-1')).deletedAt, { what: 'the record marked deleted', ...SLOW });

    assert.equal(await stop('kwok-node-1'), 0, 'SIGTERM exits 0');
    const again = await start('kwok-node-1');
    const kept = await recordEvents(again, 'team-a', 'flink-tm-1');
    assert.equal(kept.source, 'record');
    assert.equal(kept.uid, uid);
    assert.ok(kept.deletedAt);
    assert.equal(scheduled(kept).reportingComponent, 'default-scheduler');
    const diagnosis = await again.getJson('/api/v1/namespaces/team-a/pods/flink-tm-1/diagnosis');
    assert.ok(diagnosis.timeline.some((t: any) => t.reason === 'Scheduled'), 'the diagnosis timeline has the scheduler Event');
    const files = await again.getJson('/api/v1/namespaces/team-a/pods/flink-tm-1');
    assert.equal(files.uid, uid);
  });

  it("records a container's exit code and the diagnosis names the OOM kill", async () => {
    await apply(simplePod('team-a', 'oom-victim', { restartPolicy: 'Never', nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-1' } },
      { resources: { requests: { memory: '1Gi' }, limits: { memory: '1Gi' } } }).replace('"labels"', '"annotations":{"podlog.test/oom-kill":"true"},"labels"'));
    const agent = agents.get('kwok-node-1')!;
    const d = await waitFor(async () => {
      const diag = await agent.getJson('/api/v1/namespaces/team-a/pods/oom-victim/diagnosis').catch(() => undefined);
      return diag?.findings?.some((f: any) => /OOM/i.test(f.class)) ? diag : undefined;
    }, { what: 'an OOM finding for oom-victim', ...SLOW });
    assert.match(JSON.stringify(d.findings), /137/);
    assert.equal((await recordEvents(agent, 'team-a', 'oom-victim')).source, 'record');
  });

  it("records pods that never reach a node, names the scheduler's reason, and hands the work over with the Lease", async () => {
    await apply(simplePod('team-a', 'too-much-cpu', {}, { resources: { requests: { cpu: '1000' } } }));
    await apply(simplePod('team-a', 'no-such-disk', { nodeSelector: { disktype: 'holographic' } }));
    await apply(simplePod('team-a', 'wants-gpu-node', { nodeSelector: { 'kubernetes.io/hostname': 'kwok-tainted' } }));
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'one-pod', namespace: 'team-q' }, spec: { hard: { pods: '1' } } }));
    // quota admission refuses everything until the quota controller has computed the quota's usage
    await waitFor(async () => (await cp.getJson(['resourcequota', '-n', 'team-q', 'one-pod'])).status?.used?.pods === '0', { what: 'the quota counted', ...SLOW });
    await apply(JSON.stringify({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'flink-tm', namespace: 'team-q' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'quota-job' } }, template: { metadata: { labels: { app: 'quota-job' } }, spec: { containers: [{ name: 'tm', image: 'flink:1.20' }] } } },
    }));

    const holder = (await leaseHolder())!;
    const leader = agentByPod(holder)!;
    const diagnosisText = async (a: AgentProcess, ns: string, pod: string) => JSON.stringify((await a.getJson(`/api/v1/namespaces/${ns}/pods/${pod}/diagnosis`)).findings);
    const expectations: Array<[string, RegExp]> = [
      ['too-much-cpu', /Insufficient cpu|not enough cpu|cpu/i],
      ['no-such-disk', /node selector|node affinity/i],
      ['wants-gpu-node', /taint/i],
    ];
    for (const [name, reason] of expectations) {
      await waitFor(async () => {
        const b = await recordEvents(leader, 'team-a', name).catch(() => undefined);
        return b?.source === 'record' && b.events.some((e: any) => e.reason === 'FailedScheduling');
      }, { what: `the elected agent's record of ${name} with FailedScheduling`, ...SLOW });
      const text = await diagnosisText(leader, 'team-a', name);
      assert.match(text, reason, `${name}: ${text}`);
    }
    // kube-scheduler 1.37 says "1 node(s) had untolerated taint(s)" without naming the taint; the diagnosis says so
    assert.match(await diagnosisText(leader, 'team-a', 'wants-gpu-node'), /untolerated taint|taints that the pod does not tolerate/);

    // a claim nobody provisions: the elected agent reads the claim, its StorageClass and the PriorityClass
    // itself (the ClusterRole's read rules; the 403 check below proves they suffice)
    await apply(JSON.stringify({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'nobody-provisions' }, provisioner: 'example.com/none', volumeBindingMode: 'Immediate' }));
    await apply(JSON.stringify({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'batch-low' }, value: 100 }));
    await apply(JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-needs-disk', namespace: 'team-a' },
      spec: { storageClassName: 'nobody-provisions', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
    await apply(simplePod('team-a', 'needs-disk', { priorityClassName: 'batch-low', volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-needs-disk' } }] }));
    await waitFor(async () => /StorageClass nobody-provisions, provisioner example\.com\/none/.test((await leader.getJson('/api/v1/namespaces/team-a/pods/needs-disk/diagnosis').catch(() => ({}))).headline ?? ''),
      { what: 'the claim traced to its StorageClass and provisioner', ...SLOW });

    // the ReplicaSet controller's FailedCreate names each pod the quota refused; the elected agent diagnoses it
    const refusedPod = await waitFor(async () => {
      const evs = (await cp.getJson(['events', '-n', 'team-q', '--field-selector', 'reason=FailedCreate'])).items;
      return evs.map((e: any) => /pods "([^"]+)" is forbidden/.exec(e.message)?.[1]).find(Boolean) as string | undefined;
    }, { what: 'a FailedCreate from the ReplicaSet controller', ...SLOW });
    await waitFor(async () => /exceeded quota|one-pod/.test(await diagnosisText(leader, 'team-q', refusedPod).catch(() => '')), { what: 'the quota refusal in the diagnosis', ...SLOW });
    assert.match(await diagnosisText(leader, 'team-q', refusedPod), /ReplicaSet flink-tm/);

    // the holder dies without releasing the Lease: the other agent takes over once it expires
    const leaderNode = leader.node;
    const other = [...agents.values()].find((a) => a !== leader)!;
    await stop(leaderNode, 'SIGKILL');
    await waitFor(async () => (await leaseHolder()) === other.podName, { what: 'the Lease handed to the other agent', ...SLOW });
    await apply(simplePod('team-a', 'too-much-cpu-2', {}, { resources: { requests: { cpu: '1000' } } }));
    await waitFor(async () => {
      const b = await recordEvents(other, 'team-a', 'too-much-cpu-2').catch(() => undefined);
      return b?.source === 'record' && b.events.some((e: any) => e.reason === 'FailedScheduling');
    }, { what: 'the new holder records pending pods', ...SLOW });
    assert.match(await diagnosisText(other, 'team-a', 'too-much-cpu-2'), /cpu/i);
    await start(leaderNode);
  });

  it('authenticates callers with real TokenReview and SubjectAccessReview (200 / 403 / 401, filtered listings)', async () => {
    await apply([
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'log-reader', namespace: 'team-a' }, rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }] },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'log-readers', namespace: 'team-a' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'log-reader' },
        subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }, { kind: 'ServiceAccount', name: 'reader', namespace: 'team-a' }] },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: 'team-a' } },
    ].map((o) => JSON.stringify(o)).join('\n---\n'));
    const agent = agents.get('kwok-node-1')!;
    const other = join(agent.root, 'team-b_secret-pod_0b9e6f3c-1d2e-4f5a-8b7c-9d0e1f2a3b4c', 'app');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'app.log'), 'team-b only\n');
    await waitFor(async () => (await agent.get('/api/v1/namespaces/team-b/pods/secret-pod')).status === 200, { what: 'team-b pod cataloged', ...SLOW });

    const alice = cp.tokens.alice!;
    assert.equal((await agent.get('/api/v1/namespaces/team-a/pods/flink-tm-1', alice)).status, 200);
    assert.equal((await agent.get('/api/v1/namespaces/team-b/pods/secret-pod', alice)).status, 403);
    assert.equal((await agent.get('/api/v1/namespaces/team-a/pods/flink-tm-1', cp.tokens.bob)).status, 403);
    const listed = (await agent.getJson('/api/v1/pods', alice)).items.map((p: any) => p.namespace);
    assert.ok(listed.length > 0 && listed.every((ns: string) => ns === 'team-a'), `alice lists team-a only: ${listed}`);
    const saToken = (await kubectl(['create', 'token', 'reader', '-n', 'team-a', '--duration=1h'])).trim();
    assert.equal((await agent.get('/api/v1/namespaces/team-a/pods/flink-tm-1', saToken)).status, 200);
    assert.equal((await agent.get('/api/v1/namespaces/team-b/pods/secret-pod', saToken)).status, 403);
    assert.equal((await agent.get('/api/v1/namespaces/team-a/pods/flink-tm-1', 'not-a-token')).status, 401);
  });

  it('answers for pods on other nodes through the peers the real EndpointSlices list', async () => {
    const slices = (await cp.getJson(['endpointslices', '-n', 'podlog', '-l', 'kubernetes.io/service-name=podlog-peers'])).items;
    const addresses = slices.flatMap((s: any) => s.endpoints ?? []).flatMap((e: any) => e.addresses) as string[];
    for (const a of agents.values()) assert.ok(addresses.includes(a.podIp), `${a.podIp} is a peer endpoint: ${addresses}`);
    const other = agents.get('kwok-node-2')!;
    // flink-tm-1's files exist only on kwok-node-1; kwok-node-2's agent finds and reads them through its peer
    const items = await waitFor(async () => {
      const list = (await other.getJson('/api/v1/pods?namespace=team-a')).items as any[];
      return list.some((p) => p.name === 'flink-tm-1' && p.containers?.length) ? list : undefined;
    }, { what: 'flink-tm-1 listed by the other node', ...SLOW });
    assert.ok(items.length > 0);
    const r = await other.get('/api/v1/namespaces/team-a/pods/flink-tm-1/containers/flink-main-container/files/taskmanager.log');
    assert.equal(r.status, 200);
    assert.match(await r.text(), /TaskManager started/);
  });

  it('survives an apiserver restart and an etcd compaction (410 → relist) without losing or doubling a record', async () => {
    const agent = agents.get('kwok-node-1')!;
    await apply(simplePod('team-a', 'before-restart', { nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-1' } }));
    await waitFor(async () => (await recordEvents(agent, 'team-a', 'before-restart').catch(() => undefined))?.source === 'record', { what: 'before-restart recorded', ...SLOW });
    const relists = await metric(agent, 'podlog_kube_relists_total', 'watch="pods"');

    restartWindow.from = Date.now();
    await cp.stopComponent('apiserver');
    const etcd = (path: string, body: unknown) => fetch(cp.etcd + path, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const rev = Number((await etcd('/v3/kv/range', { key: Buffer.from('/').toString('base64') })).header.revision);
    await etcd('/v3/kv/compaction', { revision: String(rev), physical: true });
    await cp.startComponent('apiserver'); // resolves once /readyz answers 200
    restartWindow.to = Date.now();

    await kubectl(['delete', 'pod', '-n', 'team-a', 'before-restart', '--wait=true', '--timeout=120s']);
    await apply(simplePod('team-a', 'after-restart', { nodeSelector: { 'kubernetes.io/hostname': 'kwok-node-1' } }));
    await waitFor(async () => (await recordEvents(agent, 'team-a', 'before-restart')).deletedAt, { what: 'the deletion seen after the restart', ...SLOW });
    await waitFor(async () => (await recordEvents(agent, 'team-a', 'after-restart').catch(() => undefined))?.source === 'record', { what: 'after-restart recorded', ...SLOW });
    assert.ok(await metric(agent, 'podlog_kube_relists_total', 'watch="pods"') > relists, 'the pod watch relisted after the compaction');
    assert.ok(await metric(agent, 'podlog_kube_watch_restarts_total', 'watch="pods",reason="expired"') >= 1, 'the resumed watch got 410 Gone');

    // the record exists from the pod's first event (pending); kwok marks it Running a moment later
    const all = await waitFor(async () => {
      const items = (await agent.getJson('/api/v1/pods?namespace=team-a')).items as any[];
      return items.find((p) => p.name === 'after-restart')?.state === 'running' ? items : undefined;
    }, { what: 'after-restart running in the cluster-wide list', ...SLOW });
    // cluster-wide: one item per pod, from the node it ran on (the elected agent also recorded each pod while it was pending)
    assert.equal(new Set(all.map((p) => p.uid)).size, all.length, `one item per pod: ${JSON.stringify(all.map((p) => [p.name, p.node, p.state]))}`);
    const afterRestart = all.find((p) => p.name === 'after-restart');
    assert.equal(afterRestart?.node, 'kwok-node-1');
    assert.equal(afterRestart?.state, 'running');
    const items = (await agent.getJson('/api/v1/pods?namespace=team-a&local=1')).items as any[];
    const uids = items.map((p) => p.uid);
    assert.equal(new Set(uids).size, uids.length, 'no record doubled');
    for (const name of ['flink-tm-1', 'before-restart', 'after-restart']) assert.ok(items.some((p) => p.name === name), `${name} kept`);
    const events = (await recordEvents(agent, 'team-a', 'before-restart')).events as any[];
    const keys = events.map((e) => `${e.metadata?.namespace}/${e.metadata?.name}`);
    assert.equal(new Set(keys).size, keys.length, 'no Event doubled');
  });

  it('the agents never got a 403 from the API server, and a request outside their rules is refused', async () => {
    const mine = () => cp.audit().filter((e) => e.user?.username === SA_USER);
    const calls = mine();
    assert.ok(calls.length > 20, `the agents made API calls (${calls.length})`);
    // A restarted apiserver answers before its RBAC caches are filled and refuses everyone until /readyz is
    // 200; the agents retry through that. Outside that window they must never be refused.
    const inRestart = (e: any) => { const t = Date.parse(e.requestReceivedTimestamp); return t >= restartWindow.from && t <= restartWindow.to; };
    const refused = calls.filter((e) => e.responseStatus?.code === 403 && !inRestart(e));
    assert.deepEqual(refused.map((e) => `${e.requestReceivedTimestamp} ${e.verb} ${e.requestURI}`), []);
    await assert.rejects(cp.kubectl(['get', 'secrets', '-n', 'podlog'], { token: agentToken }), /Forbidden|forbidden/);
    await waitFor(() => mine().some((e) => e.responseStatus?.code === 403 && /secrets/.test(e.requestURI)), { what: 'the refused request in the audit log', ...SLOW });
  });

  it('no agent dialed outside 127.0.0.0/8', () => {
    const all = [...outputs, ...[...agents.values()].map((a) => a.output())].join('\n');
    assert.deepEqual(refusedDials(all), []);
  });
});
