#!/usr/bin/env bash
# make-fixtures.sh: produce podlog's Flink log fixtures by running real Apache Flink.
#
# What it does (see fixtures/flink/README.md for what comes out):
#   1. assembles a Flink lib/ from Maven Central (pom.xml; cached in ~/.m2), because Flink
#      publishes no binary distribution there;
#   2. compiles the two fixture jobs in job/ with javac into one job jar;
#   3. for each of two session clusters (orders-enrich, fraud-detector) starts the JobManager
#      (StandaloneSessionClusterEntrypoint) and TaskManagers (TaskManagerRunner) as separate
#      JVMs, the way bin/flink-daemon.sh does: memory flags from BashJavaUtils, Flink's stock
#      log4j.properties with a small rolling size (conf/log4j.properties), -Dlog.file=<dir>/
#      jobmanager.log, stdout+stderr to jobmanager.out, plus a JVM GC log;
#   4. submits the job with the real CLI (CliFrontend run -d) and drives the scenario:
#        orders-enrich:  injected RuntimeException after N records, fixed-delay restarts,
#                        job ends FAILED;
#        fraud-detector: bounded job; one TaskManager JVM is SIGKILLed mid-run, a replacement
#                        TaskManager is started, the job fails over and FINISHES;
#   5. stops the JVMs (SIGTERM, like stop-cluster.sh), and lays every pod's log folder into
#      <out>/root/<namespace>_<pod>_<uid>/flink-main-container/ (podlog's hostPath layout),
#      gzips one rotated JobManager file, and cuts <out>/live-seed.log from a TaskManager log.
#
#   6. failure scenarios (SCENARIOS=failures): one small session cluster per scenario, a job
#      that fails on purpose (map exception + fixed-delay exhausted, checkpoints expiring +
#      failure-rate exceeded, more slots asked than exist), and the JobManager log copied to
#      <out>/jobs/<scenario>/jobmanager.log.
#
# Log files are never edited. Usage:  scripts/flink-fixtures/make-fixtures.sh
# Env: SCENARIOS ("clusters failures"), FLINK_VERSION (1.20.3), WORK (/tmp/podlog-flink-fixtures), OUT (<repo>/fixtures/flink),
#      RPC_PORT (16123), REST_PORT (18081), LOG_ROLL_SIZE (50KB), LOG_MAX_FILES (5).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FLINK_VERSION=${FLINK_VERSION:-1.20.3}
WORK=${WORK:-/tmp/podlog-flink-fixtures}
OUT=${OUT:-$REPO/fixtures/flink}
RPC_PORT=${RPC_PORT:-16123}
REST_PORT=${REST_PORT:-18081}
LOG_ROLL_SIZE=${LOG_ROLL_SIZE:-50KB}
LOG_MAX_FILES=${LOG_MAX_FILES:-5}
SCENARIOS=${SCENARIOS:-clusters failures}
NAMESPACE=flink-jobs
CONTAINER=flink-main-container
JAVA=${JAVA:-java}
export JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")}

FLINK_HOME=$WORK/flink
CONF=$FLINK_HOME/conf
REST="http://localhost:$REST_PORT"
# The Java 17 module flags of Flink's default config (env.java.opts.all).
JAVA_OPTS_ALL="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"

log() { printf '%s make-fixtures: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---- process bookkeeping: every JVM we start is in PIDS; the trap stops them all ----------
declare -A PIDS=()   # pod name -> pid
stop_pid() {         # stop_pid <pid>: SIGTERM, wait up to 30 s, then SIGKILL
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  log "pid $pid ignored SIGTERM for 30 s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pod
  for pod in "${!PIDS[@]}"; do stop_pid "${PIDS[$pod]}"; done
  PIDS=()
  [ "$rc" -eq 0 ] || log "failed (exit $rc); JVMs stopped; work dir kept at $WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! ss -ltnH "sport = :$1" | grep -q .; }

# wait_for <seconds> <description> <command...>: poll a condition once a second
wait_for() {
  local limit=$1 what=$2 i; shift 2
  for ((i = 0; i < limit; i++)); do
    if "$@"; then return 0; fi
    sleep 1
  done
  die "timed out after ${limit}s waiting for $what"
}

rest() { curl -fsS --max-time 5 "$REST$1"; }

# ---- 1. Flink lib/ from Maven Central, job jar, conf -------------------------------------
prepare() {
  port_free "$RPC_PORT" || die "port $RPC_PORT busy (set RPC_PORT)"
  port_free "$REST_PORT" || die "port $REST_PORT busy (set REST_PORT)"
  rm -rf "$WORK"
  mkdir -p "$FLINK_HOME/lib" "$CONF" "$FLINK_HOME/usrlib" "$WORK/client" "$WORK/classes" "$WORK/root"
  log "resolving Flink $FLINK_VERSION from Maven Central into $FLINK_HOME/lib"
  mvn -B -f "$HERE/pom.xml" -Dflink.version="$FLINK_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$FLINK_HOME/lib" \
    > "$WORK/mvn.log" 2>&1 || { cat "$WORK/mvn.log" >&2; die "mvn dependency:copy-dependencies failed"; }
  CLASSPATH_LIB=$(find "$FLINK_HOME/lib" -name '*.jar' | LC_ALL=C sort | paste -sd: -)
  log "compiling the fixture jobs"
  javac -nowarn -d "$WORK/classes" -cp "$CLASSPATH_LIB" "$HERE"/job/dev/podlog/fixtures/*.java
  jar cf "$FLINK_HOME/usrlib/podlog-fixture-jobs.jar" -C "$WORK/classes" .
  sed -e "s#@WORK@#$WORK#g" -e "s#@RPC_PORT@#$RPC_PORT#" -e "s#@REST_PORT@#$REST_PORT#" \
    -e "s#@JAVA_OPTS@#$JAVA_OPTS_ALL#" "$HERE/conf/config.yaml" > "$CONF/config.yaml"
  sed -e "s#@LOG_ROLL_SIZE@#$LOG_ROLL_SIZE#" -e "s#@LOG_MAX_FILES@#$LOG_MAX_FILES#" \
    "$HERE/conf/log4j.properties" > "$CONF/log4j.properties"
  mkdir -p "$WORK/tmp/web" "$WORK/tmp/web-upload" "$WORK/tmp/blob" "$WORK/archive"
  # memory flags exactly as bin/config.sh gets them (BashJavaUtils GET_{JM,TM}_RESOURCE_PARAMS)
  local out
  out=$("$JAVA" -cp "$CLASSPATH_LIB" org.apache.flink.runtime.util.bash.BashJavaUtils \
    GET_JM_RESOURCE_PARAMS --configDir "$CONF" 2>&1 | grep '^BASH_JAVA_UTILS_EXEC_RESULT:')
  JM_JVM=$(sed -n 1p <<<"$out" | cut -d: -f2-)
  JM_DYN=$(sed -n 2p <<<"$out" | cut -d: -f2-)
  out=$("$JAVA" -cp "$CLASSPATH_LIB" org.apache.flink.runtime.util.bash.BashJavaUtils \
    GET_TM_RESOURCE_PARAMS --configDir "$CONF" 2>&1 | grep '^BASH_JAVA_UTILS_EXEC_RESULT:')
  TM_JVM=$(sed -n 1p <<<"$out" | cut -d: -f2-)
  TM_DYN=$(sed -n 2p <<<"$out" | cut -d: -f2-)
  [ -n "$JM_JVM" ] && [ -n "$TM_JVM" ] || die "BashJavaUtils gave no memory parameters"
}

# ---- 2. JVMs -----------------------------------------------------------------------------
# start_jvm <pod> <uid> <jobmanager|taskmanager> <main class> <args...>
# Mirrors bin/flink-daemon.sh: `java $JVM_ARGS $FLINK_ENV_JAVA_OPTS $log_setting -classpath
# ... $CLASS $ARGS > $out 2>&1 < /dev/null &`, with the log folder in podlog's layout.
start_jvm() {
  local pod=$1 uid=$2 kind=$3 class=$4 jvm gc dir; shift 4
  dir="$WORK/root/${NAMESPACE}_${pod}_${uid}/$CONTAINER"
  mkdir -p "$dir"
  # GC log: all gc tags on JobManagers, the one-line-per-collection `gc` tag on TaskManagers
  if [ "$kind" = jobmanager ]; then jvm=$JM_JVM gc='gc*'; else jvm=$TM_JVM gc=gc; fi
  # shellcheck disable=SC2086 # word splitting of the JVM flag strings is intended
  (cd "$FLINK_HOME" && exec "$JAVA" $jvm $JAVA_OPTS_ALL -Duser.name=flink \
    "-Xlog:$gc:file=$dir/gc.log:time,uptime,level,tags" \
    "-Dlog.file=$dir/$kind.log" \
    "-Dlog4j.configuration=file:$CONF/log4j.properties" \
    "-Dlog4j.configurationFile=file:$CONF/log4j.properties" \
    "-Dlogback.configurationFile=file:$CONF/logback.xml" \
    -classpath "$CLASSPATH_LIB" "$class" "$@" > "$dir/$kind.out" 2>&1 < /dev/null) &
  PIDS[$pod]=$!
  log "started $kind $pod (pid ${PIDS[$pod]})"
}

start_jobmanager() { # <pod> <uid> [-D key=value ...]
  local pod=$1 uid=$2; shift 2
  # shellcheck disable=SC2086
  start_jvm "$pod" "$uid" jobmanager org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint \
    --configDir "$CONF" --executionMode cluster $JM_DYN "$@"
}

start_taskmanager() { # <pod> <uid>: the pod name is the TaskManager resource id, as on Kubernetes
  # shellcheck disable=SC2086
  start_jvm "$1" "$2" taskmanager org.apache.flink.runtime.taskexecutor.TaskManagerRunner \
    --configDir "$CONF" -D "taskmanager.resource-id=$1" $TM_DYN
}

stop_pod() { # <pod>
  [ -n "${PIDS[$1]:-}" ] || return 0
  log "stopping $1 (SIGTERM)"
  stop_pid "${PIDS[$1]}"
  unset "PIDS[$1]"
}

registered_tms() { rest /taskmanagers | jq '[.taskmanagers[] | select(.id != null)] | length'; }
rest_up() { rest /overview > /dev/null 2>&1; }
tms_at_least() { [ "$(registered_tms 2>/dev/null || echo 0)" -ge "$1" ]; }
job_state() { rest "/jobs/$1" | jq -r .state; }
job_in() { local s; s=$(job_state "$1" 2>/dev/null || echo '?'); [[ " ${*:2} " == *" $s "* ]]; }
completed_checkpoints() { rest "/jobs/$1/checkpoints" | jq -r '.counts.completed'; }
checkpoints_at_least() { [ "$(completed_checkpoints "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }

submit() { # <main class> <args...>; prints the job id
  local class=$1 out id; shift
  out=$(cd "$FLINK_HOME" && FLINK_CONF_DIR=$CONF "$JAVA" $JAVA_OPTS_ALL \
    "-Dlog.file=$WORK/client/flink-client.log" \
    "-Dlog4j.configurationFile=file:$CONF/log4j.properties" \
    -classpath "$CLASSPATH_LIB" org.apache.flink.client.cli.CliFrontend \
    run -d -c "$class" "$FLINK_HOME/usrlib/podlog-fixture-jobs.jar" "$@" 2>&1) \
    || die "flink run failed: $out"
  id=$(grep -oE 'JobID [0-9a-f]{32}' <<<"$out" | tail -1 | cut -d' ' -f2)
  [ -n "$id" ] || die "no JobID in flink run output: $out"
  echo "$id"
}

# ---- 3. scenarios ------------------------------------------------------------------------
# orders-enrich: injected failure -> 3 fixed-delay restarts -> FAILED
run_orders_enrich() {
  local jm=orders-enrich-6d5f7b9c8-x2kqp
  start_jobmanager "$jm" 3f6c2a8e-9b1d-4e57-a0c4-7d2e5b91f638
  wait_for 90 "JobManager REST API" rest_up
  start_taskmanager orders-enrich-taskmanager-1-1 8a4e1c7b-2f5d-4b93-9e6a-c15f0d3b7a24
  start_taskmanager orders-enrich-taskmanager-1-2 d27b9f40-6c3e-4a18-b5d2-94e8a1f6c0b7
  wait_for 90 "2 TaskManagers registered" tms_at_least 2
  local job
  job=$(submit dev.podlog.fixtures.OrdersEnrichJob --rate 200 --fail-after 2000)
  log "orders-enrich job $job submitted; waiting for it to fail for good"
  wait_for 420 "orders-enrich job FAILED" job_in "$job" FAILED
  log "orders-enrich job FAILED after $(completed_checkpoints "$job") completed checkpoints"
  sleep 3
  stop_pod orders-enrich-taskmanager-1-1
  stop_pod orders-enrich-taskmanager-1-2
  stop_pod "$jm"
}

# fraud-detector: bounded job; SIGKILL one TaskManager mid-run, start a replacement, FINISHED
run_fraud_detector() {
  local jm=fraud-detector-7c9d4f6b5-m8wzt
  start_jobmanager "$jm" 5b1e7d23-a4c9-4f06-8e3b-2d9a6f4c1e85
  wait_for 90 "JobManager REST API" rest_up
  start_taskmanager fraud-detector-taskmanager-1-1 c93f5a6e-1d8b-47c2-a9e0-3b6d7f2e4a19
  start_taskmanager fraud-detector-taskmanager-1-2 0e7a4b91-5c2f-4d6e-8b13-f49c2a7d5e60
  wait_for 90 "2 TaskManagers registered" tms_at_least 2
  local job
  job=$(submit dev.podlog.fixtures.FraudDetectorJob --count 24000 --rate 400)
  log "fraud-detector job $job submitted"
  wait_for 120 "5 completed checkpoints" checkpoints_at_least "$job" 5
  log "SIGKILL fraud-detector-taskmanager-1-2 (pid ${PIDS[fraud-detector-taskmanager-1-2]})"
  kill -KILL "${PIDS[fraud-detector-taskmanager-1-2]}"
  wait "${PIDS[fraud-detector-taskmanager-1-2]}" 2>/dev/null || true
  unset 'PIDS[fraud-detector-taskmanager-1-2]'
  sleep 8
  start_taskmanager fraud-detector-taskmanager-1-3 71d2c8f5-3e9a-4b60-a7d4-6c0e9b2f8a31
  wait_for 420 "fraud-detector job FINISHED" job_in "$job" FINISHED FAILED
  log "fraud-detector job ended $(job_state "$job") after $(completed_checkpoints "$job") completed checkpoints"
  sleep 3
  stop_pod fraud-detector-taskmanager-1-1
  stop_pod fraud-detector-taskmanager-1-3
  stop_pod "$jm"
}

# ---- 3b. failure scenarios: one session cluster each, the JobManager log is the fixture -----
# run_failure <scenario> <jm pod> <jm uid> <TaskManagers> <final states> <jm -D args...> -- <job args...>
run_failure() {
  local scenario=$1 jm=$2 uid=$3 tms=$4 finals=$5 i job; shift 5
  local jm_args=() job_args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do jm_args+=("$1"); shift; done
  shift
  job_args=("$@")
  local cluster=${jm%-*-*}
  start_jobmanager "$jm" "$uid" "${jm_args[@]}"
  wait_for 90 "JobManager REST API" rest_up
  for ((i = 1; i <= tms; i++)); do
    start_taskmanager "$cluster-taskmanager-1-$i" "$(printf '%08x-0000-4000-8000-%012d' "$i" "${#scenario}")"
  done
  wait_for 90 "$tms TaskManagers registered" tms_at_least "$tms"
  job=$(submit "${job_args[@]}")
  log "$scenario job $job submitted; waiting for one of: $finals"
  # shellcheck disable=SC2086
  wait_for 420 "$scenario job in $finals" job_in "$job" $finals
  log "$scenario job ended $(job_state "$job")"
  sleep 3
  for ((i = 1; i <= tms; i++)); do stop_pod "$cluster-taskmanager-1-$i"; done
  stop_pod "$jm"
  mkdir -p "$OUT/jobs/$scenario"
  cp "$WORK/root/${NAMESPACE}_${jm}_${uid}/$CONTAINER/jobmanager.log" "$OUT/jobs/$scenario/jobmanager.log"
  log "$scenario: $(wc -c < "$OUT/jobs/$scenario/jobmanager.log") bytes of JobManager log"
  # the job's HistoryServer archive (jobmanager.archive.fs.dir), for the log-link test; map-exception only
  if [ "$scenario" = map-exception ] && [ -f "$WORK/archive/$job" ]; then
    mkdir -p "$OUT/jobs/$scenario/archive"
    rm -f "$OUT/jobs/$scenario/archive/"*
    cp "$WORK/archive/$job" "$OUT/jobs/$scenario/archive/$job"
  fi
}

run_failures() {
  # map-exception: a map function throws in every attempt; fixed-delay (3 attempts, cluster
  # config) gives up and the job ends FAILED
  run_failure map-exception orders-retry-5c8d7f9b6-q4v2n 6a1d3c5e-7f90-4b2a-8c4d-1e3f5a7b9c0d 2 FAILED \
    -- dev.podlog.fixtures.OrdersEnrichJob --rate 200 --fail-after 300
  # checkpoint-expired: snapshots take 8 s against a 3 s checkpoint timeout, no tolerable
  # failures, failure-rate restarts (2 per 10 min) -> FAILED
  run_failure checkpoint-expired ledger-sync-7b4f9c2d1-h6k8p 2c4e6a8b-0d1f-4a3c-9e5b-7d9f1b3c5e7a 1 FAILED \
    -- dev.podlog.fixtures.FailureScenarioJob --mode slow-checkpoint
  # not-enough-slots: parallelism 6 on one TaskManager with 2 slots; slot requests time out after
  # 15 s; fixed-delay with 1 attempt -> FAILED
  run_failure not-enough-slots clickstream-sessions-6f2a8d4c9-t3r7m 9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b 1 FAILED \
    -D slot.request.timeout=15000 \
    -- dev.podlog.fixtures.FailureScenarioJob --mode wide --parallelism 6
}

# ---- 4. lay out the fixtures -------------------------------------------------------------
publish() {
  local jmdir gz tmdir f
  jmdir="$WORK/root/${NAMESPACE}_orders-enrich-6d5f7b9c8-x2kqp_3f6c2a8e-9b1d-4e57-a0c4-7d2e5b91f638/$CONTAINER"
  # Compress the oldest rotated JobManager file, as a node's logrotate would (gzip -n: no
  # name/time in the header, so the bytes depend only on the content). Flink's stock
  # DefaultRolloverStrategy keeps log4j's default fileIndex=max: the HIGHER the number the
  # NEWER the file, so jobmanager.log.1 is the oldest (it holds the startup banner).
  if [ -f "$jmdir/jobmanager.log.1" ]; then gzip -n -9 "$jmdir/jobmanager.log.1"; fi
  # live seed: the first 300 lines of a TaskManager's log, oldest file (.1) first
  tmdir="$WORK/root/${NAMESPACE}_orders-enrich-taskmanager-1-2_d27b9f40-6c3e-4a18-b5d2-94e8a1f6c0b7/$CONTAINER"
  mkdir -p "$OUT"
  {
    for f in $(find "$tmdir" -name 'taskmanager.log.[0-9]*' -printf '%f\n' | LC_ALL=C sort -t. -k3,3n); do
      cat "$tmdir/$f"
    done
    cat "$tmdir/taskmanager.log"
  } | sed -n '1,300p' > "$OUT/live-seed.log"
  rm -rf "$OUT/root"
  cp -r "$WORK/root" "$OUT/root"
  log "fixtures written to $OUT ($(du -sh "$OUT" | cut -f1))"
}

START=$(date +%s)
prepare
case " $SCENARIOS " in *" clusters "*) run_orders_enrich; run_fraud_detector; publish ;; esac
case " $SCENARIOS " in *" failures "*) run_failures ;; esac
log "done in $(($(date +%s) - START)) s"
