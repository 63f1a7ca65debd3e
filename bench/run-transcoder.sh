#!/usr/bin/env bash
# Transcoder training throughput (TopK), Loupe vs PyTorch, on random data of the same shape in the same run.
# Usage: bench/run-transcoder.sh [KIND LAYERS D_MODEL D_TC K BATCH STEPS]   (default: transcoder 1 768 24576 32 4096 5)
# KIND: transcoder | skip_transcoder | clt. Needs Debian's python3-torch. Both sides use 2 threads.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARGS=("${@:-transcoder 1 768 24576 32 4096 5}")
read -r -a ARGS <<< "${ARGS[*]}"
export JAVA_HOME="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
# the benchmark mains live in sae's test sources (out of the production jar); package compiles them
[[ -f "$ROOT/cli/target/loupe-cli.jar" && -d "$ROOT/sae/target/test-classes" ]] || (cd "$ROOT" && ./mvnw-local -q -DskipTests package)
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx8g -Dloupe.threads=2 \
  -cp "$ROOT/sae/target/test-classes:$ROOT/cli/target/loupe-cli.jar:$ROOT/cli/target/lib/*" dev.loupe.sae.TranscoderBenchmark "${ARGS[@]}" 2>/dev/null
/usr/bin/python3 "$ROOT/bench/torch_transcoder.py" "${ARGS[@]}"
