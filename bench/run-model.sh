#!/usr/bin/env bash
# Model benchmarks, Loupe beside PyTorch, on one random GPT-2 small (same weights, same input ids):
# forward tokens/s at batch 8 x 128 (no hooks; caching every hook_resid_post; no hook machinery at all),
# greedy batch-1 decode tokens/s with a KV cache, peak memory, and a logits check. Measurements run one
# after another (never concurrently), interleaved over REPEAT rounds, and end in a markdown table.
#
# Usage: bench/run-model.sh            (env: REPEAT=2 rounds, MODEL=.bench/gpt2-small, THREADS=2)
# Needs root (or python3-torch already installed) for apt-get install python3-torch libopenblas0-openmp.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODEL="${MODEL:-.bench/gpt2-small}"
REPEAT="${REPEAT:-2}"
THREADS="${THREADS:-2}"
PY=/usr/bin/python3 # Debian's python, which python3-torch installs into
RESULTS=".bench/results-$(date +%Y%m%d-%H%M%S).jsonl"
CACHE='blocks.*.hook_resid_post'

echo "== build"
./mvnw-local -q -DskipTests package
if [[ ! -f "$MODEL/model.safetensors" ]]; then
  echo "== make model"
  ./loupe bench make-model --out "$MODEL" --seed 0
fi
if ! "$PY" -c 'import torch' 2>/dev/null || [[ ! -d /usr/lib/x86_64-linux-gnu/openblas-openmp ]]; then
  echo "== install PyTorch"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-openmp >/dev/null
fi
# Debian's default OpenBLAS runs its own pthreads, which fight PyTorch's OpenMP threads for the cores
# (a tiny bmm after a large gemm then takes milliseconds); the OpenMP build shares one thread pool.
# Chosen for this process only: the system default stays as it is.
export LD_LIBRARY_PATH="/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS"
export LOUPE_JAVA_OPTS="-Dloupe.threads=$THREADS ${LOUPE_JAVA_OPTS:-}"
mkdir -p .bench
: >"$RESULTS"

# measure LABEL COMMAND...: runs the command, shows its readable lines, keeps its RESULT line under LABEL.
measure() {
  local label="$1" line
  shift
  echo "-- $label"
  while IFS= read -r line; do
    if [[ "$line" == "RESULT {"* ]]; then
      echo "{\"label\":\"$label\",${line#RESULT \{}" >>"$RESULTS"
    elif [[ "$line" != *"incubator modules"* ]]; then
      echo "   $line"
    fi
  done < <("$@" 2>&1)
}

echo "== correctness: logits of 16 tokens, Loupe vs PyTorch"
./loupe run --model "$MODEL" --ids 0,1,2,3,50256,464,2068,7586,21831,18045,625,262,16931,3290,13,198 \
  --out .bench/check-logits.safetensors 2>&1 | grep -v 'incubator modules'
measure check "$PY" bench/torch_gpt2.py check --model "$MODEL" --logits .bench/check-logits.safetensors

for round in $(seq "$REPEAT"); do
  echo "== round $round of $REPEAT"
  measure loupe_fwd ./loupe bench forward --model "$MODEL" --batch 8 --pos 128
  measure loupe_fwd_off env LOUPE_JAVA_OPTS="$LOUPE_JAVA_OPTS -Dloupe.hooks=off" ./loupe bench forward --model "$MODEL" --batch 8 --pos 128
  measure loupe_fwd_cache ./loupe bench forward --model "$MODEL" --batch 8 --pos 128 --cache "$CACHE"
  measure torch_fwd "$PY" bench/torch_gpt2.py forward --model "$MODEL" --batch 8 --pos 128 --threads "$THREADS"
  measure torch_fwd_cache "$PY" bench/torch_gpt2.py forward --model "$MODEL" --batch 8 --pos 128 --resid-post --threads "$THREADS"
  measure loupe_decode ./loupe bench decode --model "$MODEL" --tokens 128 --prompt-len 1
  measure torch_decode "$PY" bench/torch_gpt2.py decode --model "$MODEL" --tokens 128 --prompt-len 1 --threads "$THREADS"
done

echo
echo "== results ($RESULTS; median of all timed iterations over $REPEAT rounds, best in parentheses)"
"$PY" - "$RESULTS" <<'EOF'
import json, statistics, sys

runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r.pop("label"), []).append(r)

def rate(label):
    samples = [s for r in runs[label] for s in r["samples_tok_s"]]
    return statistics.median(samples), max(samples)

def peak(label, key):
    values = [r[key] for r in runs[label] if r.get(key) is not None]
    return max(values) if values else None

def cell(label):
    med, best = rate(label)
    return f"{med:.1f} ({best:.1f})"

def verdict(ok):
    return "yes" if ok else "**no**"

rows = [("metric", "Loupe", "PyTorch", "Loupe / PyTorch", "goal", "met")]
fwd, tfwd = rate("loupe_fwd")[0], rate("torch_fwd")[0]
rows.append(("forward tok/s, 8 x 128, no hooks", cell("loupe_fwd"), cell("torch_fwd"), f"{fwd / tfwd:.2f}x",
             ">= 1.5x PyTorch", verdict(fwd >= 1.5 * tfwd)))
cache, tcache = rate("loupe_fwd_cache")[0], rate("torch_fwd_cache")[0]
rows.append(("forward tok/s, caching every hook_resid_post", cell("loupe_fwd_cache"), cell("torch_fwd_cache"),
             f"{cache / tcache:.2f}x", "", ""))
cost, tcost = 1 - cache / fwd, 1 - tcache / tfwd
rows.append(("slowdown from caching every hook_resid_post", f"{100 * cost:+.1f}%", f"{100 * tcost:+.1f}%", "",
             "<= 5%", verdict(cost <= 0.05)))
off = rate("loupe_fwd_off")[0]
rows.append(("forward tok/s, no hook machinery (-Dloupe.hooks=off)", cell("loupe_fwd_off"), "", "", "", ""))
empty = off / fwd - 1
rows.append(("slowdown of no hooks set vs no hook machinery", f"{100 * empty:+.1f}%", "", "",
             "<= 0% (noise ~1%)", verdict(empty <= 0.01)))
dec, tdec = rate("loupe_decode")[0], rate("torch_decode")[0]
rows.append(("greedy decode tok/s, batch 1, 128 tokens", cell("loupe_decode"), cell("torch_decode"), f"{dec / tdec:.2f}x",
             ">= 2.5x PyTorch and >= 30 tok/s", verdict(dec >= 2.5 * tdec and dec >= 30)))
for what, lo, to in (("forward", "loupe_fwd", "torch_fwd"), ("forward + cache", "loupe_fwd_cache", "torch_fwd_cache"),
                     ("decode", "loupe_decode", "torch_decode")):
    a, b = peak(lo, "peak_rss_mib"), peak(to, "peak_rss_mib")
    rows.append((f"peak RSS MiB, {what}", str(a), str(b), f"{a / b:.2f}x", "", ""))
    rows.append((f"peak heap MiB (sum of pool peaks), {what}", str(peak(lo, "peak_heap_mib")), "", "", "", ""))
check = runs["check"][0]
rows.append(("logits max abs diff vs PyTorch (16 tokens)", f"{check['max_abs_diff']:.2e}", "", "", "<= 1e-3",
             verdict(check["max_abs_diff"] <= 1e-3)))
lg, tg = runs["loupe_decode"][-1]["generated"], runs["torch_decode"][-1]["generated"]
same = next((i for i, (a, b) in enumerate(zip(lg, tg)) if a != b), min(len(lg), len(tg)))
rows.append(("greedy tokens equal to PyTorch's (leading run)", f"{same} / {len(lg)}", "", "", "", ""))

widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for i, r in enumerate(rows):
    print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    if i == 0:
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
EOF
