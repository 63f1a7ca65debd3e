#!/usr/bin/env bash
# Real model shapes, 16-bit (BENCHMARKS.md "## Real model shapes, 16-bit"): for each shape of
# `loupe bench make-model --shape`, a random-weight BF16 checkpoint under $OUT, then, held BF16 (as stored)
# and F32 (--dtype f32) where it fits: load time, prefill tok/s at 512 tokens, cached forward (every
# hook_resid_post) at 512, greedy batch-1 decode tok/s, peak RSS, and decode weight bandwidth as a percent
# of a read bandwidth measured in the same process; PyTorch (f32, 2 threads) on the shapes it can hold;
# a 4,096-token prefill of llama-3.2-1b (last logits, no pattern hook). One measurement at a time, each in
# its own process (its own peak RSS), checked against 1.15 x weights + activations + JVM baseline (the peak RSS
# of the same command on the bundled 2.7 MB model, which the benchmark runs itself), with the launcher's heap
# room set to that measurement's activations (LOUPE_HEAP_ROOM; README "Memory").
# A configuration whose need exceeds the memory available now is skipped
# and said so. The 8B checkpoint is deleted after it is measured. Ends with a markdown table.
#
# Usage: bench/run-shapes.sh [SHAPE ...]     (default: all five; env OUT=/tmp/loupe-shapes THREADS=2
#        TOKENS=64 decode tokens, TORCH=1 to run the PyTorch peer, KEEP8B=1 to keep the 8B checkpoint,
#        DTYPES="stored f32" weights to measure, KINDS="prefill cached decode" measurements to run,
#        BUILD=0 to skip the build, e.g. when it ran before the quiet window)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${OUT:-/tmp/loupe-shapes}"
THREADS="${THREADS:-2}"
TOKENS="${TOKENS:-64}"
TORCH="${TORCH:-1}"
DTYPES="${DTYPES:-stored f32}"
KINDS=" ${KINDS:-prefill cached decode} "
PY=/usr/bin/python3
SHAPES=("$@")
[[ ${#SHAPES[@]} -gt 0 ]] || SHAPES=(gpt2-small llama-3.2-1b qwen3-0.6b gemma-2-2b llama-3.1-8b)
RESULTS="$ROOT/.bench/shapes-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$OUT" "$ROOT/.bench"
: >"$RESULTS"
export LD_LIBRARY_PATH="/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS"
# The decode's read-bandwidth buffer (1 GiB, off the heap, allocated after the peak RSS is taken) may exceed the
# default direct-memory limit, which is the maximum heap.
export LOUPE_JAVA_OPTS="-Dloupe.threads=$THREADS -XX:MaxDirectMemorySize=2g ${LOUPE_JAVA_OPTS:-}"

# Parameters of each shape (as `loupe bench make-model` prints them), for the memory checks.
declare -A PARAMS=([gpt2-small]=124439808 [llama-3.2-1b]=1235814400 [qwen3-0.6b]=596049920
  [gemma-2-2b]=2614341888 [llama-3.1-8b]=8030261248)

available() { awk '/MemAvailable/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo; }

# fits BYTES: whether BYTES plus 2 GiB of activations and JVM fit the memory available now.
fits() { (($1 + 2147483648 < $(available))); }

# room DIR ROWS LOGIT_ROWS CACHED_ROWS: the launcher's heap room (LOUPE_HEAP_ROOM, MiB) for a measurement: its
# activations as MemoryBound counts them: ROWS positions' residual and one block's temporaries, LOGIT_ROWS rows of
# logits, CACHED_ROWS x layers cached d_model rows; a negative ROWS means greedy decoding of -ROWS positions: the
# KV cache and one token's forward. The launcher adds the weights, a fifth of them and the young generation.
room() {
  PYTHONPATH="$ROOT/bench" "$PY" - "$@" <<'PYEOF'
import sys
from shape_dims import dims
m, (rows, logit_rows, cached_rows) = dims(sys.argv[1]), map(int, sys.argv[2:])
fwd = lambda r, lr: 4 * (r * (m["d"] + 4 * m["d"] + (2 * m["heads"] + 2 * m["kv_heads"]) * m["d_head"] + 3 * m["mlp"])
                         + lr * m["vocab"])
act = (8 * m["layers"] * -rows * m["kv_heads"] * m["d_head"] + fwd(1, 1) if rows < 0
       else fwd(rows, logit_rows) + 4 * cached_rows * m["layers"] * m["d"])
print(-(-act >> 20))
PYEOF
}

measure() {
  local label="$1" line
  shift
  echo "-- $label (load average $(cut -d' ' -f1 /proc/loadavg))"
  while IFS= read -r line; do
    if [[ "$line" == "RESULT {"* ]]; then
      echo "{\"label\":\"$label\",\"load_avg\":$(cut -d' ' -f1 /proc/loadavg),${line#RESULT \{}" >>"$RESULTS"
    elif [[ "$line" != *"incubator modules"* ]]; then
      echo "   $line"
    fi
  done < <(nice -n 5 "$@" 2>&1)
}

# wanted KIND: whether KINDS asks for this measurement.
wanted() { [[ "$KINDS" == *" $1 "* ]]; }

if [[ "${BUILD:-1}" == 1 ]]; then
  echo "== build"
  ./mvnw-local -q -DskipTests package
fi
for shape in "${SHAPES[@]}"; do
  params="${PARAMS[$shape]:?unknown shape $shape}"
  dir="$OUT/$shape-bf16"
  echo "== $shape ($((params / 1000000))M parameters; $(($(available) / 1048576)) MiB available)"
  if [[ ! -f "$dir/model.safetensors" ]]; then
    if ! fits $((params * 2)); then echo "   skipped: cannot hold the BF16 weights now"; continue; fi
    nice -n 5 ./loupe bench make-model --shape "$shape" --dtype bf16 --out "$dir" 2>&1 | grep -v incubator
  fi
  for dtype in $DTYPES; do
    if [[ $dtype == f32 ]]; then bytes=$((params * 4)) tag="$shape F32"; else bytes=$((params * 2)) tag="$shape BF16"; fi
    if ! fits "$bytes"; then
      echo "   $tag skipped: needs $((bytes / 1048576)) MiB of weights, $(($(available) / 1048576)) MiB available"
      continue
    fi
    if wanted prefill; then LOUPE_HEAP_ROOM=$(room "$dir" 512 512 0) \
      measure "$tag|prefill" ./loupe bench forward --model "$dir" --dtype "$dtype" --batch 1 --pos 512 --warmup 1 --iters 3; fi
    if wanted cached; then LOUPE_HEAP_ROOM=$(room "$dir" 512 512 512) \
      measure "$tag|cached" ./loupe bench forward --model "$dir" --dtype "$dtype" --batch 1 --pos 512 \
      --cache 'blocks.*.hook_resid_post' --warmup 1 --iters 3; fi
    if wanted decode; then LOUPE_HEAP_ROOM=$(room "$dir" $((-1 - TOKENS)) 0 0) \
      measure "$tag|decode" ./loupe bench decode --model "$dir" --dtype "$dtype" --tokens "$TOKENS" --warmup 1 --iters 3; fi
  done
  if [[ "$shape" == llama-3.2-1b ]] && wanted prefill && fits $((params * 2 + 4294967296)); then
    LOUPE_HEAP_ROOM=$(room "$dir" 4096 1 0) \
      measure "$shape BF16, 4096-token prefill (last logits)|prefill" ./loupe bench forward --model "$dir" --batch 1 --pos 4096 --last-logits --warmup 0 --iters 1
  fi
  # PyTorch reads the file into memory and upcasts: about 2 + 4 bytes a parameter.
  if [[ "$TORCH" == 1 ]] && fits $((params * 6)); then
    ! wanted prefill || measure "$shape F32 (PyTorch)|prefill" "$PY" bench/torch_shapes.py forward --model "$dir" --batch 1 --pos 512 --threads "$THREADS"
    ! wanted cached || measure "$shape F32 (PyTorch)|cached" "$PY" bench/torch_shapes.py forward --model "$dir" --batch 1 --pos 512 --resid-post --threads "$THREADS"
    ! wanted decode || measure "$shape F32 (PyTorch)|decode" "$PY" bench/torch_shapes.py decode --model "$dir" --tokens "$TOKENS" --threads "$THREADS"
  elif [[ "$TORCH" == 1 ]]; then
    echo "   PyTorch skipped: needs ~$((params * 6 / 1048576)) MiB"
  fi
  if [[ "$shape" == llama-3.1-8b && "${KEEP8B:-0}" != 1 ]]; then rm -rf "$dir"; fi
done

echo "== results ($RESULTS)"
"$PY" - "$RESULTS" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
table = {}
for r in rows:
    row, kind = r["label"].split("|")
    t = table.setdefault(row, {"load_avg": 0})
    t["load_avg"] = max(t["load_avg"], r.get("load_avg", 0))
    if "load_s" in r:
        t["load_s"] = r["load_s"]
    if r.get("bench") in ("forward", "decode"):
        t[kind] = r["median_tok_s"]
        t["rss"] = max(t.get("rss", 0), r["peak_rss_mib"] or 0)
    if "rss_bound_mib" in r:
        t.setdefault("bounds", []).append(f'{kind} {r["peak_rss_mib"]}/{r["rss_bound_mib"]} {"ok" if r["rss_bound_holds"] else "OVER"}')
        t["terms"] = f'{r["weights_mib"]}, {r["jvm_baseline_mib"]}'
    if "effective_gb_s" in r:
        spread = f', {r["read_gb_s_min"]:.1f}–{r["read_gb_s_max"]:.1f}' if "read_gb_s_min" in r else ""
        t["bw"] = f'{r["effective_gb_s"]:.2f} ({r["bandwidth_pct"]:.0f}% of {r["read_gb_s"]:.2f}{spread})'
f = lambda v: "–" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v)
print("| shape, weights | load s | prefill 512 tok/s | cached fwd 512 tok/s | decode tok/s | decode GB/s (% of read GB/s) | peak RSS MiB | peak RSS / bound MiB | weights, JVM baseline MiB | load avg |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for row, t in table.items():
    print(f'| {row} | {f(t.get("load_s"))} | {f(t.get("prefill"))} | {f(t.get("cached"))} | {f(t.get("decode"))} '
          f'| {t.get("bw", "–")} | {t.get("rss", "–")} | {"; ".join(t.get("bounds", [])) or "–"} | {t.get("terms", "–")} | {t["load_avg"]} |')
print("bound = 1.15 x weights (checkpoint, or widened by --dtype f32) + activations (estimated, in each RESULT line) + JVM baseline (the peak RSS of the same command, same JVM flags, on the bundled 2.7 MB model)")
EOF
