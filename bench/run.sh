#!/usr/bin/env bash
# Caravan's benchmarks (docs/performance.md): builds what it needs, runs every scenario on this
# machine over loopback only, prints one table and writes bench/results/latest.json.
# Usage: bench/run.sh            (about 7-15 minutes; WRK_SECONDS, WRK_CONNECTIONS to change the load;
#        WRK_WARM_SECONDS; E2E_RATE, E2E_SECONDS, E2E_WARM_SECONDS, API_RUNS for the end-to-end and API scenarios)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RESULTS=$ROOT/bench/results
WRK_SECONDS=${WRK_SECONDS:-15}
# a JVM just started needs about 20 s of this load before its JIT compiler has done (the bare
# route's throughput triples over that time): both routes are measured after it
WRK_WARM_SECONDS=${WRK_WARM_SECONDS:-20}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
WRK_THREADS=${WRK_THREADS:-2}
E2E_RATE=${E2E_RATE:-160}
E2E_SECONDS=${E2E_SECONDS:-60}
E2E_WARM_SECONDS=${E2E_WARM_SECONDS:-20}
API_RUNS=${API_RUNS:-100000}
mkdir -p "$RESULTS"

if ! command -v wrk >/dev/null; then
  echo "== installing wrk (Debian package)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -q wrk >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q wrk >/dev/null; }
fi

echo "== building (mvn package, tests skipped) and computing the test classpath"
MVN="mvn -B -q ${MVN_OFFLINE:--o}"
$MVN -DskipTests package
$MVN dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
JAR=$(ls target/caravan-*.jar | grep -v original | head -1)

WORK=$(mktemp -d /tmp/caravan-bench.XXXXXX)
APP_PID=""
cleanup() {
  if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
    kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# (1) webhook ingest: the real gateway vs a bare route in the same app, same wrk load
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SECRET="bench-secret-$RANDOM$RANDOM"
echo "== starting $JAR on 127.0.0.1:$PORT (H2 file store in $WORK)"
java -Xmx512m -jar "$JAR" \
  --server.address=127.0.0.1 --server.port="$PORT" \
  --caravan.data-dir="$WORK/data" \
  --caravan.github.webhook-secret="$SECRET" \
  --camel.main.routes-include-pattern="classpath:routes/common/*.yaml,classpath:routes/gateways/*.yaml,classpath:routes/examples/*.yaml,classpath:routes/pipelines/*.yaml,file:$ROOT/bench/bare-route.yaml,file:$ROOT/bench/runs-page.yaml" \
  --logging.level.root=WARN >"$WORK/app.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/actuator/health" >/dev/null 2>&1 && break
  kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log"; echo "the app did not start" >&2; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$PORT/actuator/health" >/dev/null || { echo "the app is not healthy" >&2; exit 1; }

BODY=$WORK/star.json
printf '%s' '{"action":"created","starred_at":"2025-01-01T00:00:00Z","repository":{"full_name":"octo/hello","clone_url":"https://github.com/octo/hello.git"},"sender":{"login":"bench"}}' >"$BODY"
export BENCH_BODY_FILE=$BODY
export BENCH_SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -hex <"$BODY" | sed 's/^.*= //')"
# one delivery by hand: the gateway must accept it (202) before it is measured
CHECK=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/events/github" \
  -H 'Content-Type: application/json' -H 'X-GitHub-Event: star' -H 'X-GitHub-Delivery: bench-check' \
  -H "X-Hub-Signature-256: $BENCH_SIGNATURE" --data-binary @"$BODY")
[ "$CHECK" = 202 ] || { echo "the gateway answered $CHECK to a signed delivery" >&2; exit 1; }

run_wrk() { # name path seconds
  BENCH_RUN="$1-$2-$(date +%s%N)" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$3s" --latency \
    -s bench/github-delivery.lua "http://127.0.0.1:$PORT$2"
}
echo "== webhook ingest: warm-up (${WRK_WARM_SECONDS} s each), then ${WRK_SECONDS} s each at $WRK_CONNECTIONS connections"
run_wrk warm /bench/bare "$WRK_WARM_SECONDS" >/dev/null
run_wrk warm /events/github "$WRK_WARM_SECONDS" >/dev/null
run_wrk bare /bench/bare "$WRK_SECONDS" | tee "$RESULTS/wrk-bare.txt"
run_wrk gateway /events/github "$WRK_SECONDS" | tee "$RESULTS/wrk-gateway.txt"

# (6) the dashboard's runs page with 10,000 runs in the store: the page itself (a static file) and
# the API request its script makes (the first page of runs), same wrk load
RUNS_WANTED=${RUNS_WANTED:-10000}
runs_total() {
  curl -fs "http://127.0.0.1:$PORT/api/runs?pipeline=bench-fill&limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
}
echo "== runs page: filling the store with $RUNS_WANTED runs (run now of a stepless pipeline)"
while [ "$(runs_total)" -lt "$RUNS_WANTED" ]; do
  wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d3s -s bench/run-now.lua \
    "http://127.0.0.1:$PORT/api/pipelines/bench-fill/runs" >/dev/null
done
RUNS_IN_STORE=$(runs_total)
echo "== runs page: $RUNS_IN_STORE runs; ${WRK_SECONDS} s each at $WRK_CONNECTIONS connections"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d5s "http://127.0.0.1:$PORT/api/runs?limit=50" >/dev/null
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency "http://127.0.0.1:$PORT/" \
  | tee "$RESULTS/wrk-page.txt"
wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECONDS}s" --latency \
  "http://127.0.0.1:$PORT/api/runs?limit=50" | tee "$RESULTS/wrk-runs-api.txt"

# (7) the command line against the same app: wall time of `./caravan runs list` (after one run that
# writes its class data archive) vs curl asking the same, 11 times each, in milliseconds
echo "== command line: ./caravan runs list vs curl, 11 times each"
CARAVAN_URL="http://127.0.0.1:$PORT" ./caravan runs list >/dev/null
: >"$RESULTS/cli-ms.txt"; : >"$RESULTS/curl-ms.txt"
for _ in $(seq 1 11); do
  start=$(date +%s%N)
  CARAVAN_URL="http://127.0.0.1:$PORT" ./caravan runs list >/dev/null
  echo $(( ($(date +%s%N) - start) / 1000000 )) >>"$RESULTS/cli-ms.txt"
  start=$(date +%s%N)
  curl -fs "http://127.0.0.1:$PORT/api/runs" >/dev/null
  echo $(( ($(date +%s%N) - start) / 1000000 )) >>"$RESULTS/curl-ms.txt"
done
kill "$APP_PID"; wait "$APP_PID" 2>/dev/null || true
APP_PID=""

# (2)-(5) local executor, Kubernetes executor on fabric8's mock API server, fan-out, large step
# output (peak heap with 10 steps printing 100 MB each beside 10 quiet ones); (8) end-to-end runs
# and (9) the runs API with a full store, each in an app BenchMain starts in its own JVM (with
# bench/end-to-end.yaml); the table
echo "== local step overhead, Kubernetes executor, fan-out, large step output, end-to-end runs, API"
java -Xmx512m -Dlogback.configurationFile="$ROOT/bench/logback.xml" \
  -cp "target/test-classes:target/classes:$(cat target/bench-classpath.txt)" \
  dev.caravan.bench.BenchMain \
  --wrk-gateway "$RESULTS/wrk-gateway.txt" --wrk-bare "$RESULTS/wrk-bare.txt" \
  --wrk-runs-api "$RESULTS/wrk-runs-api.txt" --wrk-page "$RESULTS/wrk-page.txt" \
  --runs-in-store "$RUNS_IN_STORE" \
  --cli-ms "$RESULTS/cli-ms.txt" --curl-ms "$RESULTS/curl-ms.txt" \
  --e2e-rate "$E2E_RATE" --e2e-seconds "$E2E_SECONDS" --e2e-warm-seconds "$E2E_WARM_SECONDS" \
  --api-runs "$API_RUNS" --api-connections "$WRK_CONNECTIONS" --api-seconds "$WRK_SECONDS" \
  --out "$RESULTS/latest.json" | tee "$RESULTS/latest.txt"
echo "== results: bench/results/latest.json (table: bench/results/latest.txt)"
