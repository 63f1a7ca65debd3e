#!/usr/bin/env bash
# Prefill against Loupe's own f32 GEMM rate, per shape (BENCHMARKS.md "Real model shapes"): the packed kernel's
# F32 and BF16 GFLOP/s on one core (PackedGemmCpuTime, thread CPU time), then the BF16 512-token prefill on two
# threads, and the prefill's FLOPs per token, so GFLOP/s per core = tok/s x GFLOP / 2.
#   bench/run-prefill-gemm.sh gpt2-small qwen3-0.6b llama-3.2-1b gemma-2-2b   # checkpoints from run-shapes.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-/tmp/loupe-shapes}"
JAVA="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
[[ -f bench/target/benchmarks.jar ]] || ./mvnw-local -q -Pbench -pl bench -am package -DskipTests
for shape in "$@"; do
  dir="$OUT/$shape-bf16"
  echo "== $shape (load average $(cut -d' ' -f1 /proc/loadavg))"
  "$JAVA" --add-modules jdk.incubator.vector -Dloupe.threads=1 -cp bench/target/benchmarks.jar \
    dev.loupe.bench.PackedGemmCpuTime 8192 2048 512 4 3 2>&1 | grep -v incubator
  LOUPE_HEAP_ROOM=700 LOUPE_JAVA_OPTS="-Dloupe.threads=2 ${LOUPE_JAVA_OPTS:-}" \
    ./loupe bench forward --model "$dir" --batch 1 --pos 512 --warmup 1 --iters 3 2>&1 | grep "tok/s median"
  PYTHONPATH=bench /usr/bin/python3 - "$dir" <<'PY'
import sys
from shape_dims import dims
m = dims(sys.argv[1])
linear = m["layers"] * (m["d"] * (m["heads"] + 2 * m["kv_heads"]) * m["d_head"] + m["heads"] * m["d_head"] * m["d"]
                        + (3 if m["gated"] else 2) * m["d"] * m["mlp"]) + m["vocab"] * m["d"]
attention = m["layers"] * 4 * m["heads"] * m["d_head"] * 513 / 2  # causal: 256.5 keys per query on average
print(f"   GFLOP per token at 512 positions: {(2 * linear + attention) / 1e9:.3f}")
PY
done
