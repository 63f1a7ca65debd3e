#!/usr/bin/env bash
# Runs Loupe's test suite over every module, Spark and benchmarks included (fast tests; -Dgroups=slow
# -DexcludedGroups= runs the slow ones instead).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec ./mvnw-local -Pspark,bench verify "$@"
