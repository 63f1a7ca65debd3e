#!/usr/bin/env bash
# Trace benchmarks on loopback (127.0.0.1 only; bounded in users and time):
#  1. load: USERS simulated users (one API key each) mixing traces (edit, gradient x activation, logit lens, patch from
#     a stored value) for SECONDS, with cross-user batching (--max-batch 32) and without (--max-batch 1);
#  2. overhead: a trace in process and over HTTP vs the library alone (TraceOverheadBench), for MODEL and, when
#     GPT2S is given, a GPT-2-small-shape model written by bench/make-gpt2s.py.
# Usage: bench/run-traces.sh [USERS=32] [SECONDS=60] [PROMPT_TOKENS=16] [MODEL=models/loupe-brown-2l] [GPT2S=]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
USERS="${1:-32}"
SECONDS_EACH="${2:-60}"
PROMPT_TOKENS="${3:-16}"
MODEL="${4:-models/loupe-brown-2l}"
GPT2S="${5:-}"
JAVA="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
KEYS="$(mktemp)"
for i in $(seq 1 "$USERS"); do echo "trace-bench-$i-$(date +%s)-0123456789"; done > "$KEYS"
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
  echo "== traces, --max-batch $1"
  "$JAVA" bench/TraceLoadTest.java "$2" "$USERS" "$SECONDS_EACH" "$jpid" "$KEYS" "$PROMPT_TOKENS" || echo "(load test reported errors)"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
run 32 7181
run 1 7182
for m in "$MODEL" $GPT2S; do
  echo "== trace overhead vs in-process: $m"
  ./mvnw-local -q -pl server -am test -DexcludedGroups= -Dtest=TraceOverheadBench -Dsurefire.failIfNoSpecifiedTests=false -DtrimStackTrace=true \
    -Dloupe.bench.model="$(realpath "$m")" -Dloupe.bench.n="$([[ "$m" == "$MODEL" ]] && echo 300 || echo 20)" 2>&1 | grep -E "^(model|library|trace)" || true
done
