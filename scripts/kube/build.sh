#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-scheduler, kube-controller-manager, kubectl and kwok from the Go
# module proxy into $PODLOG_KUBE_CACHE/bin (see versions.sh). Idempotent: a binary that exists is not
# rebuilt, so a second run costs nothing. Cold: 15 min on 2 idle cores (40 measured on 2 busy ones), ~3 GB peak memory, 6.4 GB of caches.
#
# `go install mod@version` refuses modules with replace directives (k8s.io/kubernetes points its staging
# modules at ./staging/...; etcd's server at ../api etc.), so each component is built from a small wrapper
# module that requires it and replaces every staging module by its published version.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/versions.sh"

command -v go >/dev/null 2>&1 || { echo "build.sh: Go is not installed (https://go.dev/dl/); the cluster tier needs it" >&2; exit 3; }

export GOMODCACHE="$PODLOG_KUBE_CACHE/gomod" GOCACHE="$PODLOG_KUBE_CACHE/gocache"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
mkdir -p "$KUBE_BIN" "$PODLOG_KUBE_CACHE/src"
log() { printf '%s build.sh: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# wrapper <dir> <module> <version> <package...>: a go.mod requiring <module>, a tools.go importing the packages.
wrapper() {
  local dir="$1" mod="$2" ver="$3"; shift 3
  mkdir -p "$dir"
  { echo "module podlog.test/kubebuild"; echo; echo "go 1.25"; echo; echo "require $mod $ver"; } > "$dir/go.mod.new"
  { echo '//go:build tools'; echo; echo 'package tools'; echo; echo 'import ('; for p in "$@"; do echo "	_ \"$p\""; done; echo ')'; } > "$dir/tools.go"
}

build_kube() {
  local want=(kube-apiserver kube-scheduler kube-controller-manager kubectl) missing=() b
  for b in "${want[@]}"; do [ -x "$KUBE_BIN/$b" ] || missing+=("$b"); done
  [ ${#missing[@]} -eq 0 ] && { log "kubernetes $KUBE_VERSION: built"; return; }
  local dir="$PODLOG_KUBE_CACHE/src/kubernetes" pkgs=()
  for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  wrapper "$dir" k8s.io/kubernetes "$KUBE_VERSION" "${pkgs[@]}"
  # Staging modules are published as v0.<minor>.<patch> for v1.<minor>.<patch>.
  local staging="v0.${KUBE_VERSION#v1.}" gomod
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
  { echo; echo "replace ("
    grep -E '^[[:space:]]*k8s\.io/[^ ]+ => \./staging/' "$gomod" | awk '{print $1}' | grep -v '^k8s.io/sample-' |
      while read -r m; do echo "	$m => $m $staging"; done
    echo ")"; } >> "$dir/go.mod.new"
  mv "$dir/go.mod.new" "$dir/go.mod"
  log "kubernetes $KUBE_VERSION: resolving modules"
  (cd "$dir" && go mod tidy >/dev/null)
  local v="$KUBE_VERSION" minor; minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  local ld="-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  for b in "${missing[@]}"; do
    log "kubernetes $KUBE_VERSION: building $b"
    (cd "$dir" && go build -trimpath -ldflags "$ld" -o "$KUBE_BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b") && mv "$KUBE_BIN/$b.tmp" "$KUBE_BIN/$b"
  done
}

build_etcd() {
  [ -x "$KUBE_BIN/etcd" ] && { log "etcd $ETCD_VERSION: built"; return; }
  local dir="$PODLOG_KUBE_CACHE/src/etcd"
  wrapper "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
  mv "$dir/go.mod.new" "$dir/go.mod"
  log "etcd $ETCD_VERSION: building"
  (cd "$dir" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w" -o "$KUBE_BIN/etcd.tmp" go.etcd.io/etcd/server/v3) && mv "$KUBE_BIN/etcd.tmp" "$KUBE_BIN/etcd"
}

build_kwok() {
  [ -x "$KUBE_BIN/kwok" ] && [ -d "$PODLOG_KUBE_CACHE/kwok-stages" ] && { log "kwok $KWOK_VERSION: built"; return; }
  local dir="$PODLOG_KUBE_CACHE/src/kwok"
  wrapper "$dir" sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
  mv "$dir/go.mod.new" "$dir/go.mod"
  log "kwok $KWOK_VERSION: building"
  (cd "$dir" && go mod tidy >/dev/null && go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$KUBE_BIN/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok) && mv "$KUBE_BIN/kwok.tmp" "$KUBE_BIN/kwok"
  # The stage definitions (node and pod lifecycles) ship inside the module.
  local src; src="$(cd "$dir" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
  rm -rf "$PODLOG_KUBE_CACHE/kwok-stages"; mkdir -p "$PODLOG_KUBE_CACHE/kwok-stages"
  cp -r "$src/kustomize/stage/." "$PODLOG_KUBE_CACHE/kwok-stages/"; chmod -R u+w "$PODLOG_KUBE_CACHE/kwok-stages"
}

start=$(date +%s)
build_etcd
build_kwok
build_kube
log "done in $(( $(date +%s) - start )) s: $KUBE_BIN"
