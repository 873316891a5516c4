#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1 for tests and for people: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, and kwok playing the kubelets of fake nodes.
#   scripts/kube/up.sh [DIR]      (default DIR: ${TMPDIR:-/tmp}/podlog-kube; builds first when needed)
# Writes DIR/env (KUBECONFIG, API and etcd URLs) and prints how to use it; stop with scripts/kube/down.sh DIR.
# Env: PODLOG_KUBE_NODES (fake nodes to create, default 2), PODLOG_KUBE_POD_CIDR (kwok's pod addresses,
# default 10.244.0.0/16; the API server refuses loopback addresses in EndpointSlices, so they cannot be
# 127.x — the tests map them onto loopback inside the agents instead).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/versions.sh"
dir="${1:-${TMPDIR:-/tmp}/podlog-kube}"
nodes="${PODLOG_KUBE_NODES:-2}"
pod_cidr="${PODLOG_KUBE_POD_CIDR:-10.244.0.0/16}"

if [ -f "$dir/env" ] && "$here/component.sh" "$dir" alive apiserver; then
  echo "up.sh: a control plane already runs in $dir (stop it with scripts/kube/down.sh $dir)" >&2; exit 1
fi
"$here/build.sh"
rm -rf "$dir"; mkdir -p "$dir"/{pki,run,logs,etcd}; chmod 700 "$dir"
start=$(date +%s)

# A free TCP port on 127.0.0.1 (random high port not accepting connections).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo "up.sh: no free port found" >&2; return 1
}
api_port=$(free_port); etcd_port=$(free_port); etcd_peer=$(free_port); cm_port=$(free_port); sched_port=$(free_port); kwok_port=$(free_port)

# --- certificates and tokens ---
pki="$dir/pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 -subj "/CN=podlog-test-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n' > "$pki/serving.ext"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=kube-apiserver" \
  -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 7 \
  -extfile "$pki/serving.ext" -out "$pki/apiserver.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
tok() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
admin_token=$(tok); cm_token=$(tok); sched_token=$(tok); kwok_token=$(tok)
# token,user,uid,"group1,group2" (kube-apiserver --token-auth-file). alice and bob are plain users for tests.
cat > "$pki/tokens.csv" <<CSV
$admin_token,admin,uid-admin,"system:masters"
$cm_token,system:kube-controller-manager,uid-cm
$sched_token,system:kube-scheduler,uid-sched
$kwok_token,kwok,uid-kwok,"system:masters"
$(tok),alice,uid-alice,"podlog:testers"
$(tok),bob,uid-bob,"podlog:testers"
CSV
kubeconfig() { # name token
  cat > "$dir/$1.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: podlog-test, cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$pki/ca.crt"}}]
users: [{name: $1, user: {token: "$2"}}]
contexts: [{name: $1, context: {cluster: podlog-test, user: $1}}]
current-context: $1
KC
}
kubeconfig admin "$admin_token"; kubeconfig controller-manager "$cm_token"; kubeconfig scheduler "$sched_token"; kubeconfig kwok "$kwok_token"
cat > "$dir/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
YAML

# --- kwok stages: node initialize + heartbeat with lease, pod ready/complete/delete (they ship in kwok's module) ---
stages="$PODLOG_KUBE_CACHE/kwok-stages"
for f in "$stages"/node/fast/node-initialize.yaml "$stages"/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml "$stages"/pod/fast/pod-*.yaml; do
  echo "---"; cat "$f"
done > "$dir/kwok-stages.yaml"
# and one of our own: a Running pod annotated podlog.test/oom-kill=true is OOM-killed (exit code 137), as the kubelet reports it
cat >> "$dir/kwok-stages.yaml" <<'YAML'
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-oom-killed
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.deletionTimestamp', operator: 'DoesNotExist'}
    - {key: '.status.phase', operator: 'In', values: ['Running']}
    - {key: '.metadata.annotations["podlog.test/oom-kill"]', operator: 'In', values: ['true']}
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 137
            reason: OOMKilled
            startedAt: {{ $now | Quote }}
            finishedAt: {{ $now | Quote }}
      {{ end }}
      conditions:
      - {type: Ready, status: "False", reason: PodFailed, lastTransitionTime: {{ $now | Quote }}}
      phase: Failed
YAML

# --- component command lines (component.sh starts and stops them) ---
B="$KUBE_BIN"
cmd() { local name="$1"; shift; printf '#!/bin/sh\nexec' > "$dir/run/$name.sh"; printf ' %q' "$@" >> "$dir/run/$name.sh"; echo >> "$dir/run/$name.sh"; }
cmd etcd "$B/etcd" --name podlog --data-dir "$dir/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "podlog=http://127.0.0.1:$etcd_peer" --watch-progress-notify-interval=5s --log-level=warn
cmd apiserver "$B/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" --client-ca-file="$pki/ca.crt" \
  --token-auth-file="$pki/tokens.csv" --authorization-mode=Node,RBAC \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local --service-cluster-ip-range=10.96.0.0/16 \
  --endpoint-reconciler-type=none --allow-privileged=true \
  --audit-policy-file="$dir/audit-policy.yaml" --audit-log-path="$dir/logs/audit.log" --audit-log-maxsize=200
cmd controller-manager "$B/kube-controller-manager" --kubeconfig="$dir/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$cm_port" --leader-elect=false \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" --use-service-account-credentials=true \
  --controllers='*,-nodeipam' --node-monitor-grace-period=60s
cmd scheduler "$B/kube-scheduler" --kubeconfig="$dir/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$sched_port" --leader-elect=false
cmd kwok "$B/kwok" --kubeconfig="$dir/kwok.kubeconfig" --config="$dir/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr="$pod_cidr" --node-ip=127.0.0.1 --node-port="$kwok_port" --server-address="127.0.0.1:$kwok_port"

cat > "$dir/env" <<ENV
KUBECONFIG=$dir/admin.kubeconfig
PODLOG_KUBE_API=https://127.0.0.1:$api_port
PODLOG_KUBE_ETCD=http://127.0.0.1:$etcd_port
PODLOG_KUBE_BIN=$KUBE_BIN
PODLOG_KUBE_VERSION=$KUBE_VERSION
ENV

kctl() { "$B/kubectl" --kubeconfig="$dir/admin.kubeconfig" "$@"; }
"$here/component.sh" "$dir" start etcd
"$here/component.sh" "$dir" start apiserver
"$here/component.sh" "$dir" start controller-manager
"$here/component.sh" "$dir" start scheduler
"$here/component.sh" "$dir" start kwok

# --- fake nodes ---
for i in $(seq 1 "$nodes"); do
  cat <<YAML
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "4", memory: 16Gi, pods: "110"}
  capacity: {cpu: "4", memory: 16Gi, pods: "110"}
YAML
done | kctl apply -f - >/dev/null
for i in $(seq 1 "$nodes"); do
  kctl wait --for=condition=Ready "node/kwok-node-$i" --timeout=120s >/dev/null
done
# the default ServiceAccount exists once the controller-manager runs; pods are refused before that
for _ in $(seq 600); do kctl get serviceaccount default -n default >/dev/null 2>&1 && break; sleep 0.2; done
kctl get serviceaccount default -n default >/dev/null

echo "up.sh: control plane $KUBE_VERSION up in $(( $(date +%s) - start )) s with $nodes fake nodes; stop with: scripts/kube/down.sh $dir"
echo "export KUBECONFIG=$dir/admin.kubeconfig PATH=$KUBE_BIN:\$PATH"
