#!/usr/bin/env bash
# Attribution-graph time and peak memory, Loupe vs the PyTorch peer (bench/torch_attribution.py, same algorithm), in the
# same run: GPT-2-small shape (random weights), random ReLU per-layer transcoders of WIDTH features on every layer (about
# L0 active per token), prompts of each length in TOKENS (P, or P:N for a feature budget of N at that length), at most
# MAX_FEATURES feature nodes otherwise, BATCH targets per backward; Loupe runs under --max-memory ${MAX_MEMORY:-13g}.
# Usage: bench/run-attribution.sh [TOKENS="64 256 1024 2048"] [WIDTH=24576] [L0=64] [MAX_FEATURES=1024] [BATCH=16]
# Needs Debian's python3-torch; both sides use 2 threads. Writes the models under ${BENCH_TMP:-/tmp/loupe-attr-bench}.
# XMX (default 14g): the JVM heap limit. ADJACENCY=rows: Loupe writes only the adjacency's nonzero rows. POSITIONS (default 2048): the model's n_positions (prompts longer than 2,048 need more). TORCH=0 runs Loupe alone, LOUPE=0 PyTorch alone;
# TORCH_AS (e.g. 16g) runs the PyTorch side under that address-space limit (prlimit --as), to find where it stops; its
# progress (time and peak RSS after each phase and batch) goes to $TMP/torch-P.log, to extrapolate a run that stops.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOKENS="${1:-64 256 1024 2048}" WIDTH="${2:-24576}" L0="${3:-64}" MAXF="${4:-1024}" BATCH="${5:-16}"
TMP="${BENCH_TMP:-/tmp/loupe-attr-bench}"
export JAVA_HOME="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[[ -f "$ROOT/cli/target/loupe-cli.jar" ]] || (cd "$ROOT" && ./mvnw-local -q -DskipTests package)
POS="${POSITIONS:-2048}" MODEL="$TMP/gpt2s"; [[ "$POS" == 2048 ]] || MODEL="$TMP/gpt2s-$POS"
[[ -f "$MODEL/model.safetensors" ]] || /usr/bin/python3 "$ROOT/bench/make-gpt2s.py" "$MODEL" "$POS"
[[ -f "$TMP/tc-$WIDTH/config.yaml" ]] || /usr/bin/python3 "$ROOT/bench/make_transcoders.py" "$TMP/tc-$WIDTH" 768 12 "$WIDTH" "$L0"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); width $WIDTH, L0 ~$L0, max feature nodes $MAXF, batch $BATCH"
for PN in $TOKENS; do
  P=${PN%%:*} N=$MAXF; [[ "$PN" == *:* ]] && N=${PN##*:}
  echo "load average before P=$P: $(cut -d' ' -f1-3 /proc/loadavg)"
  IDS=$(/usr/bin/python3 -c "import random; random.seed($P); print(','.join(['50256'] + [str(random.randrange(50000)) for _ in range($P - 1)]))")
  [[ "${LOUPE:-1}" == 0 ]] || "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xmx${XMX:-14g} -Dloupe.threads=2 \
    -cp "$ROOT/cli/target/loupe-cli.jar:$ROOT/cli/target/lib/*" dev.loupe.cli.Main attribute --model "$MODEL" \
    --transcoders "$TMP/tc-$WIDTH" --ids "$IDS" --max-feature-nodes "$N" --batch-size "$BATCH" --max-memory "${MAX_MEMORY:-13g}" --adjacency "${ADJACENCY:-dense}" --out "$TMP/graph-$P" 2>&1 \
    | grep -E "^[0-9]+ tokens|graph built|needs about|Exception|Error" | tr '\n' ' ' | sed "s/^/loupe P=$P: /"; echo
  [[ "${TORCH:-1}" == 0 ]] && continue
  LIMIT=(); [[ -n "${TORCH_AS:-}" ]] && LIMIT=(prlimit "--as=$(numfmt --from=iec "${TORCH_AS^^}")")
  "${LIMIT[@]}" /usr/bin/python3 "$ROOT/bench/torch_attribution.py" "$MODEL" "$TMP/tc-$WIDTH" "$IDS" "$N" "$BATCH" 2 2>&1 | tee "$TMP/torch-$P.log" | tail -3 | sed "s/^/torch P=$P: /" || true
done
