#!/usr/bin/env bash
# One control plane component of a scripts/kube/up.sh directory:
#   component.sh DIR start|stop|alive NAME   (NAME: etcd, apiserver, controller-manager, scheduler, kwok)
# start waits until the component answers (etcd /health, apiserver /readyz) or its process is up.
set -euo pipefail
dir="$1" action="$2" name="$3"
pidf="$dir/run/$name.pid"
alive() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
. "$dir/env" 2>/dev/null || true
case "$action" in
  alive) alive ;;
  start)
    alive && exit 0
    setsid sh "$dir/run/$name.sh" >>"$dir/logs/$name.log" 2>&1 < /dev/null &
    echo $! > "$pidf"
    check() {
      case "$name" in
        etcd) curl -fsS "$PODLOG_KUBE_ETCD/health" >/dev/null 2>&1 ;;
        apiserver) curl -fsS --cacert "$dir/pki/ca.crt" -H "Authorization: Bearer $(sed -n 's/^\([^,]*\),admin,.*/\1/p' "$dir/pki/tokens.csv")" "$PODLOG_KUBE_API/readyz" >/dev/null 2>&1 ;;
        *) true ;;
      esac
    }
    for _ in $(seq 600); do
      alive || { echo "component.sh: $name exited; last lines of $dir/logs/$name.log:" >&2; tail -20 "$dir/logs/$name.log" >&2; exit 1; }
      check && exit 0
      sleep 0.1
    done
    echo "component.sh: $name did not become ready in 60 s ($dir/logs/$name.log)" >&2; exit 1 ;;
  stop)
    alive || exit 0
    pid="$(cat "$pidf")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidf"; exit 0; }; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true; rm -f "$pidf" ;;
  *) echo "usage: component.sh DIR start|stop|alive NAME" >&2; exit 2 ;;
esac
