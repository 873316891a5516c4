# Versions of the control plane used by the cluster test tier (sourced by the other scripts).
# Each is fetched from the Go module proxy and built unpatched.
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"     # k8s.io/kubernetes: apiserver, scheduler, controller-manager, kubectl
ETCD_VERSION="${ETCD_VERSION:-v3.6.17}"     # go.etcd.io/etcd/server/v3
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"      # sigs.k8s.io/kwok: plays the kubelets
# Binaries and Go caches live outside the clone so a second run costs nothing.
PODLOG_KUBE_CACHE="${PODLOG_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podlog/kube/$KUBE_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION}"
KUBE_BIN="$PODLOG_KUBE_CACHE/bin"
