#!/usr/bin/env bash
# Stops a control plane started by scripts/kube/up.sh and removes its directory.
#   scripts/kube/down.sh [DIR] [--keep]   (--keep: leave DIR, e.g. to read logs/ and logs/audit.log)
# Stop order: kwok first (it would otherwise race node and pod updates), the controllers, then the
# apiserver and last etcd.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${1:-${TMPDIR:-/tmp}/podlog-kube}"
[ -d "$dir/run" ] || { echo "down.sh: no control plane in $dir" >&2; exit 0; }
for c in kwok controller-manager scheduler apiserver etcd; do "$here/component.sh" "$dir" stop "$c"; done
[ "${2:-}" = "--keep" ] || rm -rf "$dir"
echo "down.sh: stopped"
