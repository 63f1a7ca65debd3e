#!/usr/bin/env bash
# First run as a new user has it: a fresh clone of this checkout's HEAD, an empty Maven repository (artifacts come
# from whatever repository or mirror Maven is configured with), `./loupe serve` until it prints "loupe: serving".
# Prints seconds to ready, bytes in the Maven repository afterwards, the load average, and how many lines of the
# launcher's output carry an escape code (there should be none). Serves on 127.0.0.1 only and stops the server.
# Usage: bench/run-first-run.sh [WORK_DIR=/tmp/loupe-first-run] [PORT=7391]
set -euo pipefail
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-/tmp/loupe-first-run}"
PORT="${2:-7391}"
rm -rf "$WORK"
mkdir -p "$WORK"
git clone -q "$SRC" "$WORK/loupe"
cd "$WORK/loupe"
start=$(date +%s.%N)
MAVEN_OPTS="-Xmx2g -Dmaven.repo.local=$WORK/m2" ./loupe serve --host 127.0.0.1 --port "$PORT" >"$WORK/out.log" 2>"$WORK/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until grep -q "loupe: serving" "$WORK/err.log" 2>/dev/null; do
  kill -0 $pid 2>/dev/null || { echo "loupe serve exited before serving:"; tail -20 "$WORK/err.log"; exit 1; }
  sleep 0.2
done
end=$(date +%s.%N)
echo "ready_seconds=$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f", e - s}')" \
  "bytes=$(du -sb "$WORK/m2" | cut -f1)" "load=$(cut -d' ' -f1-3 /proc/loadavg)" \
  "escape_lines=$(cat "$WORK/out.log" "$WORK/err.log" | grep -c $'\e' || true)"
