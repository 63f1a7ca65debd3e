#!/usr/bin/env bash
# Training throughput, Loupe vs PyTorch, for the default model's configuration (2-layer attention-only,
# d_model 128, 4 heads, vocab 2048, context 128, batch 8). Both run the same step: forward, next-token
# cross-entropy, backward, global-norm clipping, AdamW. Tokens/s exclude the first 5 steps.
# Usage: bench/run-train.sh [STEPS] [REPEATS]   (needs python3-torch: apt-get install -y python3-torch)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STEPS="${1:-100}"
REPEATS="${2:-3}"
VOCAB=2048 CTX=128 D=128 LAYERS=2 HEADS=4 BATCH=8
TOK="$ROOT/models/loupe-brown-2l/tokenizer.json"
DATA="${DATA:-$ROOT/../shared/data/brown.jsonl}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$ROOT/loupe" --help > /dev/null  # build first, outside the timing
printf '%-28s %s\n' "implementation" "tokens/s (each run)"
loupe_runs=()
for r in $(seq "$REPEATS"); do
  "$ROOT/loupe" train-lm --dataset "$DATA" --tokenizer "$TOK" --layers $LAYERS --d-model $D --heads $HEADS --attn-only \
    --context $CTX --batch $BATCH --tokens $((STEPS * BATCH * CTX)) --out "$TMP/run$r" 2> /dev/null
  loupe_runs+=("$(python3 -c "import json,sys; print(round(json.load(open(sys.argv[1]))['tokens_per_second']))" "$TMP/run$r/training.json")")
done
printf '%-28s %s\n' "loupe (java, 2 cores)" "${loupe_runs[*]}"
torch_runs=()
for r in $(seq "$REPEATS"); do
  torch_runs+=("$(/usr/bin/python3 "$ROOT/bench/torch_train_lm.py" --vocab $VOCAB --context $CTX --d-model $D --layers $LAYERS \
    --heads $HEADS --batch $BATCH --steps "$STEPS" --threads 2 | python3 -c "import json,sys; print(round(json.load(sys.stdin)['tokens_per_second']))")")
done
printf '%-28s %s\n' "pytorch (2 threads)" "${torch_runs[*]}"
python3 - "${loupe_runs[*]}" "${torch_runs[*]}" <<'PY'
import sys, statistics
l = [float(x) for x in sys.argv[1].split()]
t = [float(x) for x in sys.argv[2].split()]
print(f"median: loupe {statistics.median(l):.0f}, pytorch {statistics.median(t):.0f} tokens/s; loupe/pytorch = {statistics.median(l)/statistics.median(t):.2f}x")
print(f"best:   loupe {max(l):.0f}, pytorch {max(t):.0f} tokens/s; loupe/pytorch = {max(l)/max(t):.2f}x")
PY
