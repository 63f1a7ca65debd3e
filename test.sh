#!/usr/bin/env bash
# Runs Loupe's test suite (fast tests; -Dgroups=slow -DexcludedGroups= runs the slow ones instead).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec ./mvnw-local verify "$@"
