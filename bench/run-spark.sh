#!/usr/bin/env bash
# Collection and shuffle throughput, same data in the same run: the local pipeline (loupe collect/shuffle),
# Spark local[2], and a Spark standalone cluster of a master and two 1-core workers (separate JVMs on
# loopback, ./loupe spark cluster). Every shuffle reads the store the local pipeline collected.
# Usage: bench/run-spark.sh [WORKDIR]   (TOKENS=262144 by default; needs ../shared)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/loupe-spark-bench}"
TOKENS="${TOKENS:-262144}"
SHARED="$ROOT/../shared"
cd "$ROOT"
rm -rf "$WORK" && mkdir -p "$WORK"
./mvnw-local -q -Pspark -DskipTests package >&2
touch cli/target/loupe-cli.jar spark/target/loupe-spark.jar # the launcher then sees the build as current
COMMON=(--model "$SHARED/models/stories260K/stories260K.bin" --data "$SHARED/data/brown.jsonl"
  --hook blocks.4.hook_resid_post --context 256 --max-tokens "$TOKENS" --batch 16 --shard-mb 4)
export LOUPE_JAVA_OPTS="-Xmx2g -Dspark.ui.enabled=false -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 -Dspark.executor.memory=1g"
CLUSTER_PID=""
trap '[[ -n "$CLUSTER_PID" ]] && kill "$CLUSTER_PID" 2>/dev/null && wait "$CLUSTER_PID" 2>/dev/null || true' EXIT

# run NAME KIND CMD...: times CMD, prints rows/s and MB/s from the store it wrote (last --out), keeps the digest.
run() {
  local name=$1 kind=$2; shift 2
  local out="${*: -1}" t0 t1 job
  t0=$(date +%s.%N)
  "$@" > "$WORK/$name.log" 2>&1 || { tail -30 "$WORK/$name.log"; exit 1; }
  t1=$(date +%s.%N)
  job=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$WORK/$name.log" | tail -1)
  python3 - "$out" "$name" "$kind" "$t0" "$t1" "${job:-}" <<'EOF'
import json, sys
out, name, kind, t0, t1, job = sys.argv[1:]
m = json.load(open(out + "/manifest.json"))
row = 4 * sum(h["d"] for h in m["hooks"]) + 3 * 4 + 8
wall = float(t1) - float(t0)
secs = float(job) if job else wall
rate = f'{m["rows"] / secs:,.0f} tok/s' if kind == "collect" else f'{m["rows"] * row / 1e6 / secs:.1f} MB/s'
print(f'{name:28s} {m["rows"]:>9,} rows  job {secs:6.1f} s  wall {wall:6.1f} s  {rate:>14s}  digest {m["digest"]}')
EOF
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
run "local collect" collect ./loupe collect "${COMMON[@]}" --out "$WORK/local"
run "local shuffle" shuffle ./loupe shuffle --memory 256M --seed 1 --in "$WORK/local" --out "$WORK/local-shuffled"
run "spark local[2] collect" collect ./loupe spark collect --master 'local[2]' "${COMMON[@]}" --tasks 2 --out "$WORK/l2"
run "spark local[2] shuffle" shuffle ./loupe spark shuffle --master 'local[2]' --seed 1 --partitions 4 --in "$WORK/local" --out "$WORK/l2-shuffled"

./loupe spark cluster --workers 2 --worker-memory 1536m > "$WORK/cluster.url" 2> "$WORK/cluster.log" &
CLUSTER_PID=$!
for _ in $(seq 600); do [[ -s "$WORK/cluster.url" ]] && break; sleep 1; done
MASTER=$(head -1 "$WORK/cluster.url")
[[ "$MASTER" == spark://* ]] || { cat "$WORK/cluster.log"; exit 1; }
run "standalone 2 workers collect" collect ./loupe spark collect --master "$MASTER" "${COMMON[@]}" --tasks 2 --out "$WORK/cluster"
run "standalone 2 workers shuffle" shuffle ./loupe spark shuffle --master "$MASTER" --seed 1 --partitions 4 --in "$WORK/local" --out "$WORK/cluster-shuffled"
kill "$CLUSTER_PID"; wait "$CLUSTER_PID" 2>/dev/null || true; CLUSTER_PID=""
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for d in local local-shuffled l2 l2-shuffled cluster cluster-shuffled; do ./loupe verify "$WORK/$d" 2>/dev/null | sed 's/^/verify: /'; done
