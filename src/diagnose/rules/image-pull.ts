/**
 * Image pull failures. Sources: kubernetes/kubernetes pkg/kubelet/images/image_manager.go (Events `Failed`
 * "Failed to pull image %q: %v", `BackOff` "Back-off pulling image %q", `InspectFailed` "Failed to apply default
 * image tag %q: couldn't parse image reference %q: invalid reference format", `ErrImageNeverPull` "Container
 * image %q is not present with pull policy of Never"), pkg/kubelet/images/types.go (waiting reasons
 * `ErrImagePull`, `ImagePullBackOff`, `InvalidImageName`, `ErrImageNeverPull`, `RegistryUnavailable`,
 * `ImageInspectError`), pkg/kubelet/kubelet_pods.go (`FailedToRetrieveImagePullSecret` "Unable to retrieve
 * some image pull secrets (%s); attempting to pull the image may not succeed."). The error text after the
 * image is the runtime's (containerd, CRI-O, or dockershim's moby text on old clusters). Kubelet versions differ in
 * whether the gRPC status prefix (`rpc error: code = NotFound desc = …`) is kept and in whether the back-off
 * message carries the last pull error (`Back-off pulling image "x": ErrImagePull: …`); matching is on the
 * runtime's own words, so all these shapes are read.
 * Docs: https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff
 */
import {
  clip,
  containerStatuses,
  eventsEvidence,
  lastSeen,
  specPath,
  statusEvidence,
  statusPath,
  supersededByStart,
  who,
  type RuleContext,
} from '../context.ts';
import { eventEvidence } from '../events.ts';
import type { Evidence, Finding, NormEvent } from '../types.ts';

/** What kind of pull failure a message shows. */
export type PullCause = 'not-found' | 'unauthorized' | 'not-found-or-unauthorized' | 'unreachable' | 'tls' | 'rate-limited' | 'platform' | 'invalid-reference' | 'never-pull' | 'unknown';

/** Classifies a pull error message (the runtime's words, see module comment). */
export function classifyPullError(msg: string): PullCause {
  if (/invalid reference format|couldn't parse image reference|InvalidImageName/i.test(msg)) return 'invalid-reference';
  if (/pull policy of Never/i.test(msg)) return 'never-pull';
  if (/toomanyrequests|429 Too Many Requests|rate limit/i.test(msg)) return 'rate-limited';
  if (/no match for platform|no matching manifest for/i.test(msg)) return 'platform';
  if (/repository does not exist or may require authorization|requested access to the resource is denied/i.test(msg)) return 'not-found-or-unauthorized';
  if (/x509:|certificate signed by unknown authority|tls: failed to verify|certificate is not valid/i.test(msg)) return 'tls';
  if (/unauthorized|authentication required|authorization failed|no basic auth credentials|insufficient_scope|\b401\b|\b403 Forbidden|access denied|denied: /i.test(msg)) return 'unauthorized';
  if (/code = NotFound|: not found|manifest unknown|not found: manifest|name unknown|manifest for .* not found|no such image|does not exist/i.test(msg)) return 'not-found';
  if (/no such host|i\/o timeout|connection refused|network is unreachable|context deadline exceeded|TLS handshake timeout|Client\.Timeout|connection reset|context canceled|dial tcp|registry is unavailable|RegistryUnavailable|EOF$/i.test(msg)) return 'unreachable';
  return 'unknown';
}

/** Registry host of an image reference (`docker.io` when none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (/[.:]/.test(first) || first === 'localhost') ? first : 'docker.io';
}

function sentence(cause: PullCause, image: string, msg: string): { what: string; fix: string } {
  const reg = registryOf(image);
  switch (cause) {
    case 'not-found':
      return { what: `image ${image} does not exist in registry ${reg} (wrong name or tag)`, fix: 'Correct the image name or tag in %PATH%.image; check the tag exists in the registry.' };
    case 'unauthorized':
      return { what: `registry ${reg} refused to give image ${image} without valid credentials`, fix: `Add a pull secret for ${reg} to spec.imagePullSecrets (or to the ServiceAccount's imagePullSecrets) and check its credentials.` };
    case 'not-found-or-unauthorized':
      return { what: `image ${image} does not exist in ${reg} or needs credentials the pod does not have`, fix: `Check the image name and tag in %PATH%.image; if the repository is private, add a pull secret for ${reg} to spec.imagePullSecrets.` };
    case 'unreachable':
      return { what: `the node cannot reach registry ${reg} to pull ${image} (${/no such host/.test(msg) ? 'the registry name does not resolve' : /timeout|deadline/i.test(msg) ? 'the connection times out' : 'the connection fails'})`, fix: `Check the registry host name in %PATH%.image and the node's network, DNS, proxy and firewall towards ${reg}.` };
    case 'tls':
      return { what: `the node does not trust the TLS certificate of registry ${reg}`, fix: `Install the registry's CA on the nodes (container runtime config) or use a registry with a trusted certificate.` };
    case 'rate-limited':
      return { what: `registry ${reg} is rate-limiting pulls of ${image}`, fix: 'Authenticate pulls with spec.imagePullSecrets (higher limits), or use a mirror or pull-through cache.' };
    case 'platform':
      return { what: `image ${image} has no build for this node's CPU architecture / OS`, fix: 'Build and push a multi-arch image, or add a spec.nodeSelector on kubernetes.io/arch for the architecture the image supports.' };
    case 'invalid-reference':
      return { what: `the image reference "${image}" is not a valid image name`, fix: 'Fix %PATH%.image (lower-case repository, `name:tag` or `name@sha256:…`, no spaces or scheme).' };
    case 'never-pull':
      return { what: `image ${image} is not on the node and imagePullPolicy is Never`, fix: 'Set %PATH%.imagePullPolicy to IfNotPresent, or pre-load the image on the node.' };
    default:
      return { what: `pulling image ${image} fails: ${clip(msg, 200)}`, fix: 'Check the image name in %PATH%.image, the registry and spec.imagePullSecrets.' };
  }
}

const WAITING = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable', 'ImageInspectError']);

/** Detail of a pull error in a `Failed to pull image "x": detail` or `Back-off pulling image "x": detail` text. */
function detailOf(msg: string): { image?: string; detail: string } {
  const m = /(?:Failed to pull image|Back-off pulling image|Failed to inspect image|Failed to apply default image tag) "([^"]*)"(?::\s*(.*))?$/s.exec(msg);
  if (!m) return { detail: msg };
  const r: { image?: string; detail: string } = { detail: (m[2] ?? '').trim() };
  if (m[1] !== undefined) r.image = m[1];
  return r;
}

/** The rule. */
export function imagePullRule(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const podSecretWarn = ctx.events.find((e) => e.reason === 'FailedToRetrieveImagePullSecret' && (ctx.historical || !supersededByStart(ctx, e)));
  const byContainer = new Map<string, NormEvent[]>();
  for (const e of ctx.events) {
    const isPull = (e.reason === 'Failed' && /Failed to pull image|Failed to inspect image/.test(e.message)) ||
      (e.reason === 'BackOff' && /Back-off pulling image/.test(e.message)) ||
      ['InspectFailed', 'ErrImageNeverPull'].includes(e.reason);
    if (!isPull) continue;
    const key = e.container ?? '';
    if (!ctx.historical && supersededByStart(ctx, e)) continue;
    byContainer.set(key, [...(byContainer.get(key) ?? []), e]);
  }
  // Containers whose status says they wait on an image.
  const waiting = containerStatuses(ctx.pod).filter((x) => WAITING.has(x.s.state?.waiting?.reason ?? ''));
  for (const x of waiting) if (!byContainer.has(x.s.name)) byContainer.set(x.s.name, []);
  if (podSecretWarn && byContainer.size === 0) byContainer.set('', []);
  for (const [key, evs] of byContainer) {
    const container = key || undefined;
    const st = containerStatuses(ctx.pod).find((x) => x.s.name === container);
    // A container that is running now is not blocked by old pull Events (the status is the truth).
    if (!ctx.historical && st && (st.s.state?.running || st.s.state?.terminated) && !waiting.includes(st)) continue;
    const failed = evs.filter((e) => e.reason !== 'BackOff');
    const secretWarn = podSecretWarn;
    const backoff = evs.find((e) => e.reason === 'BackOff');
    const w = st?.s.state?.waiting;
    const specImage = ctx.pod?.spec?.containers?.concat(ctx.pod.spec.initContainers ?? []).find((c) => c.name === container)?.image;
    // Best detail: newest Failed Event, else the waiting message when it carries one.
    let detail = '';
    let image = specImage ?? st?.s.image ?? '';
    const top = failed[0];
    if (top) {
      const d = detailOf(top.message);
      detail = d.detail || top.message;
      image = d.image ?? image;
    } else if (w?.message) {
      const d = detailOf(w.message);
      if (d.image) image = d.image;
      if (!/^Back-off pulling image/.test(w.message) || d.detail) detail = d.detail.replace(/^ErrImagePull:\s*/, '');
    }
    if (!image && backoff) image = detailOf(backoff.message).image ?? '';
    const evidence: Evidence[] = [];
    if (w?.reason && st) {
      evidence.push(statusEvidence(`${statusPath(st.init, st.s.name)}.state.waiting.reason`, w.reason));
      if (w.message) evidence.push(statusEvidence(`${statusPath(st.init, st.s.name)}.state.waiting.message`, w.message));
    }
    evidence.push(...eventsEvidence(failed, 2));
    if (backoff) evidence.push(eventEvidence(backoff));
    if (secretWarn) evidence.push(eventEvidence(secretWarn));
    const path = specPath(ctx, container);
    let cause: PullCause = w?.reason === 'InvalidImageName' ? 'invalid-reference' : w?.reason === 'ErrImageNeverPull' ? 'never-pull' : detail ? classifyPullError(detail) : 'unknown';
    if (secretWarn && (cause === 'unauthorized' || cause === 'not-found-or-unauthorized' || cause === 'unknown') && failed.length) cause = 'unauthorized';
    let summary: string;
    let fix: string;
    if (!detail && cause === 'unknown') {
      if (!backoff && !w && secretWarn) {
        const m = /secrets \(([^)]*)\)/.exec(secretWarn.message);
        summary = `${who(ctx, container)}: image pull secret ${m?.[1] ?? ''} does not exist, so pulls from a private registry will fail.`;
        fix = 'Create the Secret named in spec.imagePullSecrets in this namespace, or fix the name.';
        out.push({ class: 'ImagePullFailed', severity: 'warning', summary, evidence, fix, ...(container ? { container } : {}) });
        continue;
      }
      summary = `${who(ctx, container)} cannot start: pulling image ${image || '(unknown)'} keeps failing and Kubernetes is backing off; the Event with the reason has expired (Events are kept about 1 hour), so the cause is not known from what is left.`;
      fix = `Run \`kubectl describe pod\` after the next retry (or delete the pod to retry now) to see the pull error; check ${path}.image and spec.imagePullSecrets.`;
    } else {
      const s = sentence(cause, image || '(unknown)', detail);
      summary = `${who(ctx, container)} cannot start: ${s.what}.`;
      fix = s.fix.replace('%PATH%', path);
      if (cause === 'unauthorized' && secretWarn) {
        const m = /secrets \(([^)]*)\)/.exec(secretWarn.message);
        summary += ` The pull secret ${m?.[1] ?? ''} named in spec.imagePullSecrets does not exist.`;
        fix = `Create the pull Secret ${m?.[1] ?? ''} in namespace ${ctx.namespace} (kubectl create secret docker-registry), or fix the name in spec.imagePullSecrets.`;
      } else if (cause === 'unauthorized' && ctx.pod && !(ctx.pod.spec?.imagePullSecrets?.length)) {
        summary += ' The pod has no imagePullSecrets.';
      }
    }
    const attempts = (top?.count ?? 0) + (backoff?.count ?? 0);
    if (attempts > 1) summary += ` (${top?.count ?? 0} failed pulls, ${backoff?.count ?? 0} back-offs so far.)`;
    const seen = lastSeen(evs[0]);
    out.push({ class: 'ImagePullFailed', severity: 'critical', summary, evidence, fix, ...(container ? { container } : {}), ...(seen ? { lastSeen: seen } : {}) });
  }
  return out;
}
