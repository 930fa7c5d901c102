#!/usr/bin/env bash
# Regenerates the numbers of the "queue-proxy footprint" section of docs/benchmarks.md:
#   start-up (exec -> a proxied 200 from a ready app) and idle RSS, repeated, for a bare Netty hello
#   world (the baseline) and the queue-proxy with several JVM settings; then RSS and CPU of the
#   queue-proxy (the launcher's defaults) at 1000 req/s, with C1 only and with C2.
#
#   bench/scripts/queue-proxy-footprint.sh [RUNS]        (default 10; needs ports 18180-18190)
#
# Quiet machine first: the load average is printed before each measurement; re-run if it is high.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
knetty="$root/bin/knetty"
jar="$root/dist/target/knetty.jar"
runs="${1:-10}"
app_port=18180
qp_port=18181
hello_port=18182
java25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java

"$knetty" --version >/dev/null # builds the jar when needed
"$knetty" queue-proxy --create-cds
qp_opts="$("$knetty" queue-proxy --java-opts)"

# The app and the measuring tools run from a copy, so that a rebuild cannot pull the jar from
# under them; the queue-proxy runs from the jar its CDS archive was made for.
work="$(mktemp -d)"
cp "$jar" "$work/knetty.jar"
java -jar "$work/knetty.jar" sample-app --port "$app_port" >"$work/app.log" 2>&1 &
app_pid=$!
qp_pid=
cleanup() {
  [ -n "$qp_pid" ] && kill "$qp_pid" 2>/dev/null || true
  kill "$app_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
until curl -fs "http://127.0.0.1:$app_port/" >/dev/null; do sleep 0.2; done

# The tools log through logback's default (DEBUG) configuration: keep only their results.
bench() { java -jar "$work/knetty.jar" bench "$@" | grep -v -e ' DEBUG ' -e ' TRACE '; }
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; }
qp_env=(
  --env "USER_PORT=$app_port" --env CONTAINER_CONCURRENCY=0 --env REVISION_TIMEOUT_SECONDS=300
  --env "QUEUE_SERVING_PORT=$qp_port" --env QUEUE_ADMIN_PORT=0 --env QUEUE_STATS_PORT=0
  --env QUEUE_METRICS_PORT=0 --env KNETTY_DRAIN_QUIET_PERIOD=0
  --env "SERVING_READINESS_PROBE={\"tcpSocket\":{\"port\":$app_port}}"
)
qp_main=(-cp "$jar" dev.knetty.queueproxy.QueueProxyCommand)
startup() { bench startup --runs "$runs" --settle 3s "$@" 2>/dev/null; }

echo "== start-up and idle RSS, $runs runs each"
load
startup --name "netty hello world, default JVM" --url "http://127.0.0.1:$hello_port/" \
  -- java -cp "$jar" dev.knetty.bench.HelloWorldServer "$hello_port"
load
startup --name "queue-proxy, default JVM" --url "http://127.0.0.1:$qp_port/" "${qp_env[@]}" \
  -- java "${qp_main[@]}"
load
# shellcheck disable=SC2086
startup --name "queue-proxy, sidecar settings, no CDS" --url "http://127.0.0.1:$qp_port/" \
  "${qp_env[@]}" --env MALLOC_ARENA_MAX=2 -- java $qp_opts "${qp_main[@]}"
load
startup --name "queue-proxy, bin/knetty (sidecar settings + CDS)" \
  --url "http://127.0.0.1:$qp_port/" "${qp_env[@]}" -- "$knetty" queue-proxy
if [ -x "$java25" ]; then
  aot="$work/queue-proxy.aot"
  j25_opts="$qp_opts --enable-native-access=ALL-UNNAMED"
  # shellcheck disable=SC2086
  "$java25" $j25_opts -XX:AOTCacheOutput="$aot" -Xlog:aot=error,cds=error "${qp_main[@]}" \
    --cds-training >/dev/null 2>&1
  load
  # shellcheck disable=SC2086
  startup --name "queue-proxy, JDK 25, sidecar settings" --url "http://127.0.0.1:$qp_port/" \
    "${qp_env[@]}" --env MALLOC_ARENA_MAX=2 -- "$java25" $j25_opts "${qp_main[@]}"
  load
  # shellcheck disable=SC2086
  startup --name "queue-proxy, JDK 25, sidecar settings + AOT cache" \
    --url "http://127.0.0.1:$qp_port/" "${qp_env[@]}" --env MALLOC_ARENA_MAX=2 \
    -- "$java25" $j25_opts -XX:AOTCache="$aot" "${qp_main[@]}"
fi

# RSS and CPU at 1000 req/s through the queue-proxy (the app answers "Hello World!" at once).
at_rate() {
  local name="$1"
  shift
  env USER_PORT="$app_port" CONTAINER_CONCURRENCY=0 REVISION_TIMEOUT_SECONDS=300 \
    QUEUE_SERVING_PORT="$qp_port" QUEUE_ADMIN_PORT=0 QUEUE_STATS_PORT=0 QUEUE_METRICS_PORT=0 \
    KNETTY_DRAIN_QUIET_PERIOD=0 "$@" >"$work/qp.log" 2>&1 &
  qp_pid=$!
  until curl -fs "http://127.0.0.1:$qp_port/" >/dev/null 2>&1; do sleep 0.1; done
  # bin/knetty execs java: the pid is the JVM's.
  echo "== $name: 1000 req/s for 30 s after a 10 s warm-up"
  load
  bench load "http://127.0.0.1:$qp_port/" --name "$name" --rate 1000 --duration 30s \
    --warmup 10s --connections 32 --pid "$qp_pid" 2>/dev/null
  echo "RSS after the run: $(grep VmRSS /proc/$qp_pid/status)"
  kill "$qp_pid"
  wait "$qp_pid" || true
  qp_pid=
}
at_rate "queue-proxy, bin/knetty (C1 only)" "$knetty" queue-proxy
at_rate "queue-proxy, C2 (tiered)" \
  env KNETTY_JAVA_OPTS="${qp_opts/-XX:TieredStopAtLevel=1/} -XX:SharedArchiveFile=$root/dist/target/knetty-queue-proxy.jsa" \
  "$knetty" queue-proxy
