#!/usr/bin/env bash
# TopK SAE training throughput, Loupe vs PyTorch, on random data of the same shape in the same run.
# Usage: bench/run-sae.sh [D_IN D_SAE K BATCH STEPS]   (default: 768 24576 32 4096 10)
# Needs Debian's python3-torch (apt-get install -y python3-torch). Both sides use 2 threads.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARGS=("${@:-768 24576 32 4096 10}")
read -r -a ARGS <<< "${ARGS[*]}"
export JAVA_HOME="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# the benchmark mains live in sae's test sources (out of the production jar); package compiles them
[[ -f "$ROOT/cli/target/loupe-cli.jar" && -d "$ROOT/sae/target/test-classes" ]] || (cd "$ROOT" && ./mvnw-local -q -DskipTests package)
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx8g -Dloupe.threads=2 \
  -cp "$ROOT/sae/target/test-classes:$ROOT/cli/target/loupe-cli.jar:$ROOT/cli/target/lib/*" dev.loupe.sae.TrainBenchmark "${ARGS[@]}" 2>/dev/null
/usr/bin/python3 "$ROOT/bench/torch_sae_topk.py" "${ARGS[@]}"
