/**
 * Every manifest validates against the Kubernetes OpenAPI schema (kubernetes-models, generated from the
 * upstream OpenAPI spec), the kustomize base is complete and consistent, the ConfigMap carries every
 * config key, and the Flink pod templates put logs where podlog's layout parser finds them.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { ConfigSchema } from '../../../src/config/schema.ts';
import { kubeConfigSchema } from '../../../src/kube/config.ts';
import { classifyFileName, isContainerName, parsePodDirName } from '../../../src/store/layout.ts';

const DIR = join(import.meta.dirname, '../../../manifests');
type Obj = { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

function docs(file: string): Obj[] {
  return YAML.parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);
}

/** Validate with the kubernetes-models class for apiVersion/kind (throws a list of schema errors). */
async function validate(o: Obj): Promise<void> {
  const path = o.apiVersion.includes('/') ? o.apiVersion : `v1`;
  const mod = (await import(`kubernetes-models/${path}/${o.kind}`)) as Record<string, new (x: unknown) => { validate(): void }>;
  const Cls = mod[o.kind] ?? (mod as { default?: Record<string, new (x: unknown) => { validate(): void }> }).default?.[o.kind];
  assert.ok(Cls, `no model for ${o.apiVersion} ${o.kind}`);
  new Cls(o).validate();
}

const kustomization = YAML.parse(readFileSync(join(DIR, 'base/kustomization.yaml'), 'utf8')) as { resources: string[]; namespace: string; images: { name: string }[] };
const base = kustomization.resources.flatMap((f) => docs(join(DIR, 'base', f)));
const byKind = (kind: string) => base.filter((o) => o.kind === kind);
const daemonSet = byKind('DaemonSet')[0]!;
const podSpec = daemonSet.spec.template.spec;
const agent = podSpec.containers[0];

test('kustomization lists every file of the base', () => {
  const files = readdirSync(join(DIR, 'base')).filter((f) => f !== 'kustomization.yaml').sort();
  assert.deepEqual([...kustomization.resources].sort(), files);
});

test('every base object and example pod template validates against the Kubernetes OpenAPI schema', async () => {
  for (const o of base) await validate(o);
  for (const f of ['jobmanager-pod-template.yaml', 'taskmanager-pod-template.yaml']) for (const o of docs(join(DIR, 'examples/flink-native', f))) await validate(o);
  const fd = docs(join(DIR, 'examples/flink-operator/flinkdeployment.yaml'))[0]!;
  assert.equal(fd.apiVersion, 'flink.apache.org/v1beta1');
  assert.equal(fd.kind, 'FlinkDeployment');
  await validate(fd.spec.podTemplate);
  // And a broken one is caught (the validation is real).
  await assert.rejects(validate({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'x' }, spec: { template: { spec: { containers: 'nope' } } } }));
});

test('kubectl kustomize renders the base, and the rendered objects validate', { skip: !hasKubectl() && 'kubectl not installed' }, async () => {
  const out = execFileSync('kubectl', ['kustomize', join(DIR, 'base')], { encoding: 'utf8' });
  const rendered = YAML.parseAllDocuments(out).map((d) => d.toJS() as Obj);
  assert.equal(rendered.length, base.length);
  for (const o of rendered) {
    await validate(o);
    if (o.kind !== 'Namespace' && o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding') assert.equal(o.metadata?.namespace, 'podlog', `${o.kind} namespaced`);
  }
});

test('the DaemonSet: hostPath root and state, NODE_NAME, every taint, node-critical, probes, resources, tight securityContext', () => {
  const vol = (n: string) => podSpec.volumes.find((v: { name: string }) => v.name === n);
  assert.deepEqual(vol('root').hostPath, { path: '/var/log/podlog', type: 'DirectoryOrCreate' });
  assert.deepEqual(vol('state').hostPath, { path: '/var/lib/podlog', type: 'DirectoryOrCreate' });
  assert.deepEqual(agent.env.find((e: { name: string }) => e.name === 'NODE_NAME').valueFrom, { fieldRef: { fieldPath: 'spec.nodeName' } });
  assert.deepEqual(podSpec.tolerations, [{ operator: 'Exists' }]);
  assert.equal(podSpec.priorityClassName, 'system-node-critical');
  assert.equal(podSpec.serviceAccountName, byKind('ServiceAccount')[0]!.metadata!.name);
  assert.ok(podSpec.terminationGracePeriodSeconds >= 20);
  assert.equal(agent.livenessProbe.httpGet.path, '/healthz');
  assert.equal(agent.readinessProbe.httpGet.path, '/readyz');
  assert.ok(agent.resources.requests.memory && agent.resources.limits.memory && agent.resources.requests.cpu);
  const sc = agent.securityContext;
  assert.deepEqual(sc.capabilities, { drop: ['ALL'], add: ['DAC_READ_SEARCH'] });
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(podSpec.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.ok(agent.args.includes('--root=/var/log/podlog') && agent.args.includes('--state-dir=/var/lib/podlog') && agent.args.includes('--port=8080'));
  assert.equal(agent.ports[0].containerPort, 8080);
  // Images are set through kustomize's `images`.
  for (const c of [...podSpec.initContainers, ...podSpec.containers]) assert.equal(c.image, kustomization.images[0]!.name);
  // The Service selects the agent pods.
  const svc = byKind('Service')[0]!;
  for (const [k, v] of Object.entries(svc.spec.selector as Record<string, string>)) assert.equal(daemonSet.spec.template.metadata.labels[k], v);
  assert.deepEqual(daemonSet.spec.selector.matchLabels, svc.spec.selector);
});

test('RBAC: pods and Events get/list/watch, Leases, system:auth-delegator', () => {
  const rules = byKind('ClusterRole')[0]!.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  const can = (res: string, verb: string, group = '') => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(res) && r.verbs.includes(verb));
  for (const v of ['get', 'list', 'watch']) assert.ok(can('pods', v) && can('events', v), v);
  assert.ok(!rules.some((r) => r.verbs.includes('*') || r.resources.includes('*') || r.verbs.includes('delete')));
  // The related objects of a diagnosis (src/kube/related-objects.ts): exactly the calls it makes, read-only.
  assert.ok(can('persistentvolumeclaims', 'get') && can('nodes', 'list') && can('jobs', 'get', 'batch') && can('replicasets', 'get', 'apps')
    && can('storageclasses', 'get', 'storage.k8s.io') && can('priorityclasses', 'get', 'scheduling.k8s.io'));
  assert.ok(!can('nodes', 'get') && !can('cronjobs', 'get', 'batch') && !can('secrets', 'get'));
  assert.ok(rules.every((r) => r.verbs.every((v) => ['get', 'list', 'watch'].includes(v))), 'the ClusterRole only reads');
  const role = byKind('Role')[0]!;
  for (const v of ['get', 'create', 'update']) assert.ok(role.rules.some((r: { resources: string[]; verbs: string[] }) => r.resources.includes('leases') && r.verbs.includes(v)));
  assert.ok(byKind('ClusterRoleBinding').some((b) => b.roleRef.name === 'system:auth-delegator' && b.subjects[0].name === 'podlog'));
});

test('the ConfigMap holds every config key with a comment, and it validates', (t) => {
  const cm = byKind('ConfigMap')[0]!;
  const text: string = cm.data['podlog.yaml'];
  const cfg = YAML.parse(text) as Record<string, unknown>;
  kubeConfigSchema.parse(cfg.kube);
  const shape = (ConfigSchema as unknown as { shape: Record<string, unknown> }).shape;
  if ('kube' in shape) ConfigSchema.parse(cfg);
  else {
    const { kube: _k, ...main } = cfg;
    ConfigSchema.parse(main);
  }
  const lines = text.split('\n');
  for (const key of Object.keys(kubeConfigSchema.shape)) {
    const i = lines.findIndex((l) => new RegExp(`^  (# )?${key}:`).test(l));
    assert.ok(i > 0, `kube.${key} present`);
    assert.match(lines[i - 1]!, /^\s+#/, `kube.${key} has a comment`);
  }
  const missing = Object.keys(shape).filter((k) => !lines.some((l) => new RegExp(`^(# )?${k}:`).test(l)));
  if (missing.length > 0) t.diagnostic(`config keys not yet in manifests/base/configmap.yaml: ${missing.join(', ')}`);
});

test('the Flink pod templates put log4j files where podlog parses <ns>_<pod>_<uid>/<container>/<file>', () => {
  const templates = [
    ...['jobmanager', 'taskmanager'].map((c) => docs(join(DIR, `examples/flink-native/${c}-pod-template.yaml`))[0]!),
    docs(join(DIR, 'examples/flink-operator/flinkdeployment.yaml'))[0]!.spec.podTemplate as Obj,
  ];
  const dsRoot = podSpec.volumes.find((v: { name: string }) => v.name === 'root').hostPath.path;
  const conf = YAML.parse(readFileSync(join(DIR, 'examples/flink-native/flink-conf.yaml'), 'utf8')) as Record<string, string>;
  assert.ok(conf['kubernetes.pod-template-file.jobmanager'] && conf['kubernetes.pod-template-file.taskmanager']);
  for (const tpl of templates) {
    const c = tpl.spec.containers.find((x: { name: string }) => x.name === 'flink-main-container');
    assert.ok(c, 'Flink requires the main container to be named flink-main-container');
    const mount = c.volumeMounts[0];
    assert.equal(mount.mountPath, conf['kubernetes.flink.log.dir']);
    const vol = tpl.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    assert.equal(vol.hostPath.path, dsRoot, 'same hostPath as the agent root');
    const env = Object.fromEntries(c.env.map((e: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }) => [e.name, e.valueFrom.fieldRef.fieldPath]));
    assert.deepEqual(env, { POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name', POD_UID: 'metadata.uid' });
    // Expand subPathExpr the way the kubelet does ($(VAR) from the container env) for a real pod.
    const values: Record<string, string> = { POD_NAMESPACE: 'flink', POD_NAME: 'wordcount-taskmanager-1-1', POD_UID: '0f8e2a6c-3b1d-4c5e-9f7a-2d4b6c8e0a1f' };
    const sub = (mount.subPathExpr as string).replace(/\$\(([A-Z_]+)\)/g, (_m, v: string) => values[v]!);
    const file = posix.join(dsRoot, sub, 'taskmanager.log.1');
    const [podDir, container, name] = posix.relative(dsRoot, file).split('/') as [string, string, string];
    assert.deepEqual(parsePodDirName(podDir), { namespace: 'flink', name: 'wordcount-taskmanager-1-1', uid: values.POD_UID });
    assert.ok(isContainerName(container) && container === 'flink-main-container');
    assert.equal(classifyFileName(name), 'rotated');
    assert.equal(classifyFileName('taskmanager.log'), 'live');
  }
});

function hasKubectl(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('Dockerfile: multi-stage on Node 24, production dependencies only, runs the podlog bin', () => {
  const root = join(DIR, '..');
  const df = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const froms = df.split('\n').filter((l) => l.startsWith('FROM '));
  assert.ok(froms.length >= 2, 'multi-stage');
  for (const f of froms.slice(0, -1)) assert.match(f, /^FROM node:24-slim\b/);
  assert.match(froms.at(-1)!, /^FROM gcr\.io\/distroless\/nodejs24-debian12$/, 'the runtime is distroless Node 24');
  assert.match(df, /npm ci --omit=dev/);
  for (const ci of df.match(/npm ci\b.*/g) ?? []) assert.match(ci, /--ignore-scripts/, 'no `prepare` (it builds the page with dev dependencies) and no install scripts in the image');
  assert.match(df, /ENTRYPOINT \["node", "bin\/podlog\.js"\]/);
  assert.ok(readFileSync(join(root, 'bin/podlog.js'), 'utf8').includes('src/cli.ts'));
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const needed of ['src', 'bin', 'web', 'package.json', 'package-lock.json']) assert.ok(!ignored.includes(needed), `${needed} reaches the build`);
  assert.ok(ignored.includes('node_modules'));
});
