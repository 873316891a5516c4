/**
 * Image pull failures. Kubelet texts: kubernetes/kubernetes pkg/kubelet/images/image_manager.go ("Failed to pull
 * image %q: %v", "Back-off pulling image %q", "Failed to apply default image tag %q: %v", "Container image %q is
 * not present with pull policy of Never"), pkg/kubelet/kubelet_pods.go ("Unable to retrieve some image pull
 * secrets (%s); attempting to pull the image may not succeed."). Runtime texts: containerd
 * core/remotes/docker/resolver.go ("%s: not found", "pull access denied, repository does not exist or may
 * require authorization: %w", "failed to authorize: …"), Go net ("dial tcp: lookup %s on %s: no such host",
 * "i/o timeout"), distribution/reference ("invalid reference format: repository name must be lowercase"),
 * Docker Hub ("toomanyrequests: You have reached your pull rate limit …").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose } from './fixtures.ts';
import { classifyPullError, registryOf } from '../../../src/diagnose/rules/image-pull.ts';
import { ev, NOW, pod } from './fixtures.ts';

const IMG = 'registry.example.com/team/app:1.4.2';
const REF = `failed to pull and unpack image "${IMG}": failed to resolve reference "${IMG}"`;

const waiting = (reason: string, message?: string) => [{ name: 'main', ready: false, restartCount: 0, image: IMG, state: { waiting: { reason, ...(message ? { message } : {}) } } }];

interface Case {
  name: string;
  src: string;
  events: ReturnType<typeof ev>[];
  status?: ReturnType<typeof waiting>;
  spec?: Record<string, unknown>;
  headline: RegExp[];
  fix: RegExp[];
}

const CASES: Case[] = [
  {
    name: 'tag not found (containerd, with the gRPC status prefix)',
    src: 'image_manager.go "Failed to pull image %q: %v"; containerd resolver.go "%s: not found"',
    events: [
      ev('Failed', `Failed to pull image "${IMG}": rpc error: code = NotFound desc = ${REF}: ${IMG}: not found`, { container: 'main', count: 4 }),
      ev('Failed', 'Error: ErrImagePull', { container: 'main', count: 4 }),
      ev('BackOff', `Back-off pulling image "${IMG}"`, { type: 'Normal', container: 'main', count: 12 }),
    ],
    status: waiting('ImagePullBackOff', `Back-off pulling image "${IMG}"`),
    headline: [/^Container main of pod flink-jobs\/orders-tm-1-1 cannot start: image registry\.example\.com\/team\/app:1\.4\.2 does not exist in registry registry\.example\.com/],
    fix: [/spec\.containers\[main\]\.image/],
  },
  {
    name: 'tag not found, runtime text without the gRPC wrapper',
    src: 'pattern robustness: the same containerd text as above with no "rpc error: code = … desc =" prefix',
    events: [ev('Failed', `Failed to pull image "${IMG}": ${REF}: ${IMG}: not found`, { container: 'main' })],
    status: waiting('ErrImagePull', `${REF}: ${IMG}: not found`),
    headline: [/does not exist in registry/],
    fix: [/\.image/],
  },
  {
    name: 'private repository without credentials',
    src: 'containerd resolver.go "pull access denied, repository does not exist or may require authorization: %w"',
    events: [ev('Failed', `Failed to pull image "${IMG}": rpc error: code = Unknown desc = ${REF}: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`, { container: 'main' })],
    status: waiting('ErrImagePull'),
    headline: [/does not exist in registry\.example\.com or needs credentials/],
    fix: [/spec\.imagePullSecrets/],
  },
  {
    name: 'registry answers 401',
    src: 'containerd remotes/docker/authorizer.go "failed to fetch anonymous token: unexpected status from GET request to %s: %s"',
    events: [ev('Failed', `Failed to pull image "${IMG}": rpc error: code = Unknown desc = ${REF}: failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://registry.example.com/service/token?scope=repository%3Ateam%2Fapp%3Apull&service=harbor-registry: 401 Unauthorized`, { container: 'main' })],
    headline: [/registry registry\.example\.com refused to give image .* without valid credentials/, /The pod has no imagePullSecrets/],
    fix: [/spec\.imagePullSecrets/],
  },
  {
    name: 'missing pull secret and 401',
    src: 'kubelet_pods.go FailedToRetrieveImagePullSecret message',
    events: [
      ev('FailedToRetrieveImagePullSecret', 'Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.'),
      ev('Failed', `Failed to pull image "${IMG}": rpc error: code = Unknown desc = ${REF}: failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://registry.example.com/service/token: 401 Unauthorized`, { container: 'main' }),
    ],
    spec: { imagePullSecrets: [{ name: 'regcred' }] },
    headline: [/The pull secret regcred named in spec\.imagePullSecrets does not exist/],
    fix: [/Create the pull Secret regcred in namespace flink-jobs/],
  },
  {
    name: 'registry name does not resolve',
    src: 'Go net: "dial tcp: lookup %s on %s: no such host"',
    events: [ev('Failed', `Failed to pull image "${IMG}": rpc error: code = Unknown desc = ${REF}: failed to do request: Head "https://registry.example.com/v2/team/app/manifests/1.4.2": dial tcp: lookup registry.example.com on 10.96.0.10:53: no such host`, { container: 'main' })],
    headline: [/the node cannot reach registry registry\.example\.com .*the registry name does not resolve/],
    fix: [/network, DNS, proxy and firewall/],
  },
  {
    name: 'registry times out',
    src: 'Go net: "dial tcp %s: i/o timeout"',
    events: [ev('Failed', `Failed to pull image "${IMG}": rpc error: code = Unknown desc = ${REF}: failed to do request: Head "https://registry.example.com/v2/team/app/manifests/1.4.2": dial tcp 10.20.0.5:443: i/o timeout`, { container: 'main' })],
    headline: [/the connection times out/],
    fix: [/registry host name/],
  },
  {
    name: 'invalid reference',
    src: 'image_manager.go InspectFailed "Failed to apply default image tag %q: couldn\'t parse image reference %q: invalid reference format…"; waiting reason InvalidImageName (images/types.go)',
    events: [ev('InspectFailed', 'Failed to apply default image tag "Registry.example.com/Team/App:1.4.2": couldn\'t parse image reference "Registry.example.com/Team/App:1.4.2": invalid reference format: repository name must be lowercase', { container: 'main' })],
    status: waiting('InvalidImageName', 'Failed to apply default image tag "Registry.example.com/Team/App:1.4.2": couldn\'t parse image reference "Registry.example.com/Team/App:1.4.2": invalid reference format: repository name must be lowercase'),
    headline: [/the image reference "Registry\.example\.com\/Team\/App:1\.4\.2" is not a valid image name/],
    fix: [/lower-case/],
  },
  {
    name: 'pull policy Never',
    src: 'image_manager.go ErrImageNeverPull "Container image %q is not present with pull policy of Never"',
    events: [ev('ErrImageNeverPull', `Container image "${IMG}" is not present with pull policy of Never`, { container: 'main' })],
    status: waiting('ErrImageNeverPull', `Container image "${IMG}" is not present with pull policy of Never`),
    headline: [/imagePullPolicy is Never/],
    fix: [/imagePullPolicy to IfNotPresent/],
  },
  {
    name: 'Docker Hub rate limit',
    src: 'Docker Hub: "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"',
    events: [ev('Failed', 'Failed to pull image "flink:1.20.1": rpc error: code = Unknown desc = failed to pull and unpack image "docker.io/library/flink:1.20.1": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/library/flink/manifests/sha256:0b5e: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit', { container: 'main' })],
    headline: [/registry docker\.io is rate-limiting pulls of flink:1\.20\.1/],
    fix: [/imagePullSecrets|mirror/],
  },
  {
    name: 'only the BackOff is left (detailed Events expired)',
    src: 'image_manager.go "Back-off pulling image %q" (Normal BackOff); Events expire after the API server\'s --event-ttl (1h default)',
    events: [ev('BackOff', `Back-off pulling image "${IMG}"`, { type: 'Normal', container: 'main', count: 260 })],
    status: waiting('ImagePullBackOff', `Back-off pulling image "${IMG}"`),
    headline: [/pulling image registry\.example\.com\/team\/app:1\.4\.2 keeps failing/, /the Event with the reason has expired/, /cause is not known/],
    fix: [/kubectl describe pod/],
  },
  {
    name: 'waiting message carries the error (no Events)',
    src: 'kuberuntime_container.go: waiting reason ErrImagePull with the pull error as message',
    events: [],
    status: waiting('ErrImagePull', `rpc error: code = NotFound desc = ${REF}: ${IMG}: not found`),
    headline: [/does not exist in registry/],
    fix: [/\.image/],
  },
];

for (const c of CASES) {
  test(`image pull: ${c.name}`, () => {
    const p = pod({ phase: 'Pending', ...(c.status ? { statuses: c.status } : {}), ...(c.spec ? { spec: c.spec } : {}), containers: [{ name: 'main', image: IMG }] });
    const d = diagnose({ pod: p, events: c.events, now: NOW });
    assert.equal(d.findings[0]?.class, 'ImagePullFailed', `${c.src}\n${JSON.stringify(d.findings.map((f) => f.class))}`);
    for (const re of c.headline) assert.match(d.headline, re, `${c.src}\n${d.headline}`);
    for (const re of c.fix) assert.match(d.findings[0]!.fix, re, `${c.src}\n${d.findings[0]!.fix}`);
  });
}

test('image pull: Events followed by a successful start are not current', () => {
  const p = pod({ statuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: { startedAt: '2024-05-01T11:50:00Z' } } }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T11:50:02Z' }], containers: [{ name: 'main', image: IMG }] });
  const d = diagnose({ pod: p, events: [ev('Failed', `Failed to pull image "${IMG}": rpc error: code = NotFound desc = ${REF}: ${IMG}: not found`, { container: 'main', at: '2024-05-01T11:40:00Z' })], now: NOW });
  assert.equal(d.findings.length, 0);
  assert.equal(d.past[0]?.class, 'ImagePullFailed');
});

test('classifyPullError and registryOf', () => {
  assert.equal(classifyPullError('rpc error: code = Canceled desc = failed to pull and unpack image "x": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://r/v2/x/blobs/sha256:d0": context canceled'), 'unreachable'); // kubernetes/kubernetes#131521
  assert.equal(classifyPullError('x509: certificate signed by unknown authority'), 'tls');
  assert.equal(classifyPullError('no match for platform in manifest: not found'), 'platform');
  assert.equal(registryOf('flink:1.20'), 'docker.io');
  assert.equal(registryOf('apache/flink:1.20'), 'docker.io');
  assert.equal(registryOf('localhost:5000/app:1'), 'localhost:5000');
  assert.equal(registryOf('ghcr.io/org/app@sha256:abc'), 'ghcr.io');
});

test('image pull: back-off waiting message that carries the pull error', () => {
  // Newer kubelets append the last pull error to the back-off message: `Back-off pulling image "x": ErrImagePull: <error>`.
  const msg = `Back-off pulling image "${IMG}": ErrImagePull: failed to pull and unpack image "${IMG}": failed to resolve reference "${IMG}": ${IMG}: not found`;
  const p = pod({ phase: 'Pending', containers: [{ name: 'main', image: IMG }], statuses: waiting('ImagePullBackOff', msg) });
  const d = diagnose({ pod: p, events: [], now: NOW });
  assert.equal(d.findings[0]?.class, 'ImagePullFailed');
  assert.match(d.headline, /does not exist in registry registry\.example\.com/);
});

test('classifyPullError: dockershim (moby) and CRI-O (containers/image) wordings', () => {
  const cases: [string, string, string][] = [
    // moby distribution/errors.go and registry client texts, as kubelets with dockershim (<= 1.23) printed them
    ['rpc error: code = Unknown desc = Error response from daemon: manifest for registry.example.com/team/app:1.4.2 not found: manifest unknown: manifest unknown', 'not-found', 'moby manifest unknown'],
    ["rpc error: code = Unknown desc = Error response from daemon: pull access denied for team/app, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", 'not-found-or-unauthorized', 'moby pull access denied'],
    ['rpc error: code = Unknown desc = Error response from daemon: Get "https://registry.example.com/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)', 'unreachable', 'moby timeout'],
    ['rpc error: code = Unknown desc = Error response from daemon: Get "https://registry.example.com/v2/team/app/manifests/1.4.2": unauthorized: authentication required', 'unauthorized', 'moby unauthorized'],
    // containers/image docker/docker_image_src.go "reading manifest %s in %s: %w" (CRI-O)
    ['rpc error: code = Unknown desc = reading manifest 1.4.2 in registry.example.com/team/app: manifest unknown', 'not-found', 'CRI-O manifest unknown'],
    ['rpc error: code = Unknown desc = reading manifest 1.4.2 in registry.example.com/team/app: unauthorized: authentication required', 'unauthorized', 'CRI-O unauthorized'],
    ['rpc error: code = Unknown desc = pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp: lookup registry.example.com: no such host', 'unreachable', 'CRI-O DNS'],
    // containerd against ECR / Artifact Registry
    ['failed to pull and unpack image "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2": failed to resolve reference "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2": pulling from host 123456789012.dkr.ecr.eu-west-1.amazonaws.com failed with status code [manifests 1.4.2]: 403 Forbidden', 'unauthorized', 'ECR 403'],
  ];
  for (const [msg, want, name] of cases) assert.equal(classifyPullError(msg), want, name);
});
