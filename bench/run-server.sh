#!/usr/bin/env bash
# Loupe server benchmarks on loopback (127.0.0.1 only; bounded in clients and time):
#  1. load test: CLIENTS concurrent clients for SECONDS mixing cached forwards (with reductions), steered
#     streamed generation and gradients, against a server with micro-batching (--max-batch 32) and without
#     (--max-batch 1): errors, p50/p99 latency, throughput, peak server RSS;
#  2. API overhead: a small cached forward over HTTP (JSON and safetensors) vs the same call in process.
# Usage: bench/run-server.sh [CLIENTS=32] [SECONDS=120] [PROMPT_TOKENS=16] [NEW_TOKENS=32] [MODEL=../shared/models/stories260K/stories260K.bin]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CLIENTS="${1:-32}"
SECONDS_EACH="${2:-120}"
PROMPT_TOKENS="${3:-16}"
NEW_TOKENS="${4:-32}"
MODEL="${5:-../shared/models/stories260K/stories260K.bin}"
JAVA="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
KEY="bench-key-$(date +%s)-0123456789"
KEYS="$(mktemp)"
echo "$KEY" > "$KEYS"
trap 'rm -f "$KEYS"' EXIT
./loupe --help >/dev/null 2>&1 || true   # builds when sources changed

run() { # $1: max batch rows, $2: port
  LOUPE_JAVA_OPTS="-Xmx2g" ./loupe serve --model "$MODEL" --port "$2" --api-keys "$KEYS" --max-batch "$1" --max-queue 512 > /dev/null &
  local pid=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$2/v1/openapi.json" >/dev/null 2>&1 && break
    sleep 0.2
  done
  local jpid
  jpid="$(pgrep -P "$pid" java || echo "$pid")"
  echo "== micro-batching: --max-batch $1"
  "$JAVA" bench/LoadTest.java "$2" "$CLIENTS" "$SECONDS_EACH" "$jpid" "$KEY" "$PROMPT_TOKENS" "$NEW_TOKENS" || echo "(load test reported errors)"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
run 32 7171
run 1 7172
echo "== API overhead vs in-process (small cached forward)"
./mvnw-local -q -pl server -am test -DexcludedGroups= -Dtest=ApiOverheadBench -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=true 2>&1 | grep -E "^(in-process|api|  )" || true
