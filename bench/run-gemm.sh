#!/usr/bin/env bash
# Builds the JMH benchmarks, times Loupe's Sgemm at the standard shapes, times the machine's
# OpenBLAS sgemm (numpy float32 matmul, OPENBLAS_NUM_THREADS = Loupe's thread count) at the same
# shapes, and prints GFLOP/s side by side (best sustained rate of each, see bench/gemm_table.py).
#   bench/run-gemm.sh                          # all shapes, transB = false and true
#   bench/run-gemm.sh -p shape=768x768x3072    # extra arguments go to JMH
#   ROUNDS=3 LOUPE_THREADS=1 bench/run-gemm.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JAVA_HOME="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
THREADS="${LOUPE_THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-2}"  # alternate Loupe and OpenBLAS this many times, keep the best of each
PY=/usr/bin/python3

if ! "$PY" -c 'import numpy' 2>/dev/null || ! ls /usr/lib/x86_64-linux-gnu/libopenblas.so.0 >/dev/null 2>&1; then
  echo "installing python3-numpy and OpenBLAS (apt-get)..." >&2
  if [ "$(id -u)" -ne 0 ]; then echo "need root for apt-get install python3-numpy libopenblas0-pthread" >&2; exit 1; fi
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-numpy libopenblas0-pthread >&2
fi

./mvnw-local -q -Pbench -pl bench -am package -DskipTests
out="$(mktemp -d)"
files=()
for round in $(seq "$ROUNDS"); do
  "$JAVA_HOME/bin/java" -jar bench/target/benchmarks.jar SgemmBench \
    -jvmArgsAppend "--add-modules jdk.incubator.vector -Xmx4g -Dloupe.threads=$THREADS" \
    -rf json -rff "$out/jmh-$round.json" "$@"
  OPENBLAS_NUM_THREADS="$THREADS" "$PY" bench/gemm_table.py measure "$out/openblas-$round.json" "$out/jmh-$round.json"
  files+=("$out/jmh-$round.json" "$out/openblas-$round.json")
done
OPENBLAS_NUM_THREADS="$THREADS" "$PY" bench/gemm_table.py table "${files[@]}"
