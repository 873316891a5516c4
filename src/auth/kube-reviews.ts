/**
 * The review calls of mode `kubernetes` through @kubernetes/client-node. In a module of its own so the
 * client (about 80 MB of RSS once loaded) is imported only by agents that use that mode.
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Reviews } from './kubernetes.ts';

/** The review calls through @kubernetes/client-node 2.x (`createTokenReview`, `createSubjectAccessReview`). */
export function clientReviews(kc: KubeConfig): Reviews {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  return {
    async tokenReview(token, audiences) {
      const r = await authn.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length ? { audiences } : {}) } },
      });
      const st = r.status;
      if (!st?.authenticated || !st.user?.username) return { authenticated: false };
      return { authenticated: true, user: { username: st.user.username, uid: st.user.uid, groups: st.user.groups ?? [], extra: st.user.extra } };
    },
    async accessReview(who, attrs) {
      const r = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview',
          spec: { user: who.user, groups: who.groups, uid: who.uid, extra: who.extra, resourceAttributes: attrs },
        },
      });
      return r.status?.allowed === true && r.status.denied !== true;
    },
  };
}
