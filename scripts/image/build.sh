#!/usr/bin/env bash
# Builds the Dockerfile with podman, unchanged, on a machine that cannot pull its base (base.sh makes it),
# then prints the image size and fails when it is over PODLOG_IMAGE_MAX_MB (default 250).
#   scripts/image/build.sh            → $PODLOG_IMAGE (default localhost/podlog:test)
# Behind a TLS-intercepting proxy, the host's CA bundle reaches `npm ci` as a build secret (never a layer).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$here/env.sh"
max_mb="${PODLOG_IMAGE_MAX_MB:-250}"
"$here/base.sh"
t0=$(date +%s)
secret=()
ca="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
[ -f "$ca" ] && secret=(--secret "id=npm_ca,src=$ca")
# --network=host: npm ci reaches the registry the way the host does (no bridge network needed on CI VMs)
podman build --pull=never --network=host "${secret[@]}" -t "$IMAGE_TAG" -f "$repo/Dockerfile" "$repo" >&2
size=$(podman image inspect -f '{{.Size}}' "$IMAGE_TAG")
mb=$(( size / 1000000 ))
echo "image $IMAGE_TAG: $mb MB (limit $max_mb MB), built in $(( $(date +%s) - t0 )) s"
[ "$mb" -le "$max_mb" ] || { echo "build.sh: the image is larger than $max_mb MB" >&2; exit 1; }
