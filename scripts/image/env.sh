# Sourced by the image scripts: podman settings that work on a CI VM (Debian's podman with runc; crun fails
# on hybrid cgroups), kept in a private containers.conf instead of changing the machine's /etc/containers.
IMAGE_CACHE="${PODLOG_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/podlog/image}"
IMAGE_TAG="${PODLOG_IMAGE:-localhost/podlog:test}"
# The Dockerfile's FROM names, which the bases made by base.sh are tagged as (registries may be unreachable from CI).
BASE_TAG="docker.io/library/node:24-slim"
RUNTIME_TAG="gcr.io/distroless/nodejs24-debian12"
mkdir -p "$IMAGE_CACHE"
if ! grep -q "nproc=4096" "$IMAGE_CACHE/containers.conf" 2>/dev/null; then
  nofile="$(ulimit -Hn)"; [ "$nofile" = unlimited ] && nofile=65536
  nproc=4096 # the hard limit itself is refused here (no CAP_SYS_RESOURCE); 4096 is plenty for one agent
  cat > "$IMAGE_CACHE/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
fi
export CONTAINERS_CONF="$IMAGE_CACHE/containers.conf"
