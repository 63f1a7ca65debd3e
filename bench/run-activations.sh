#!/usr/bin/env bash
# Measures the activation pipeline: collect vs plain forward, out-of-core shuffle vs the disk's sequential
# write speed. Usage: bench/run-activations.sh [WORKDIR]
# Needs ../shared (brown.jsonl, stories260K, gpt2-tiny-random's tokenizer) and /tmp/gpt2s (GPT-2-small
# shape weights; regenerate with bench/make-gpt2s.py if absent).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/loupe-acts-bench}"
JAVA="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
SHARED="$ROOT/../shared"
GPT2S="${GPT2S:-/tmp/gpt2s}"
cd "$ROOT"
rm -rf "$WORK" && mkdir -p "$WORK"
[[ -d "$GPT2S" ]] || python3 bench/make-gpt2s.py "$GPT2S"

./mvnw-local -q -DskipTests package >&2
CP="$ROOT/cli/target/loupe-cli.jar:$ROOT/cli/target/lib/*"
bench() { "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx8g \
  -cp "$CP" "$ROOT/bench/ActivationsBench.java" "$@"; }

echo "== 1. collect vs plain forward (same batches, same stop layer, one JVM; 2 reps)"
bench collect "$GPT2S" "$SHARED/models/gpt2-tiny-random/vocab.json" "$SHARED/data/brown.jsonl" blocks.5.hook_resid_post 128 8 32768 "$WORK/gpt2s"
bench collect "$SHARED/models/stories260K/stories260K.bin" - "$SHARED/data/brown.jsonl" blocks.4.hook_resid_post 256 16 1048576 "$WORK/s260k"

echo "== 2. shuffle of a store 4x --memory vs dd sequential write"
bench synthetic "$WORK/big" 1024 768
dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1024 conv=fdatasync 2>&1 | tail -1
rm -f "$WORK/dd.bin"
sync
/usr/bin/time -f "shuffle wall %e s, peak RSS %M KiB" ./loupe shuffle --in "$WORK/big" --out "$WORK/big-shuffled" --memory 256M --seed 1 2>&1 | tail -2
du -sm "$WORK/big"
./loupe verify "$WORK/big-shuffled"

echo "== 3. Spark: bench/run-spark.sh (standalone cluster vs local[2] vs the local pipeline)"
