#!/usr/bin/env bash
# Runs Loupe's test suite (fast tests; add -Dgroups=slow for the large-model ones).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
exec ./mvnw-local verify "$@"
