/**
 * The review calls of mode `kubernetes` over the cluster link (PROTOCOLS.md B5). In a module of its own so
 * the HTTP client of `kube/api.ts` is imported only by agents that use that mode.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeApi } from '../kube/api.ts';
import type { Reviews } from './kubernetes.ts';

interface TokenReviewJson {
  status?: { authenticated?: boolean; user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> } };
}

interface SubjectAccessReviewJson {
  status?: { allowed?: boolean; denied?: boolean };
}

/**
 * The review calls: POST `/apis/authentication.k8s.io/v1/tokenreviews` and
 * `/apis/authorization.k8s.io/v1/subjectaccessreviews`. Errors carry the HTTP status as `code`.
 */
export function clientReviews(kc: KubeConfig): Reviews {
  const call = kubeApi(kc);
  return {
    async tokenReview(token, audiences) {
      const r = await call<TokenReviewJson>({
        method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length ? { audiences } : {}) } },
      });
      const st = r.status;
      if (!st?.authenticated || !st.user?.username) return { authenticated: false };
      return { authenticated: true, user: { username: st.user.username, uid: st.user.uid, groups: st.user.groups ?? [], extra: st.user.extra } };
    },
    async accessReview(who, attrs) {
      const r = await call<SubjectAccessReviewJson>({
        method: 'POST', path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        body: {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: { user: who.user, groups: who.groups, uid: who.uid, extra: who.extra, resourceAttributes: attrs },
        },
      });
      return r.status?.allowed === true && r.status.denied !== true;
    },
  };
}
