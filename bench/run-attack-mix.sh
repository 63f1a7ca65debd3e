#!/usr/bin/env bash
# The attack mix of issue 15 (AttackMixTest) as a benchmark: valid-request throughput and p99 without attackers and
# with each attacker class alone and all together, the server's peak RSS. Two steps, so that a quiet window only measures:
#   /work/bin/heavy bench/run-attack-mix.sh build
#   /work/bin/quiet bench/run-attack-mix.sh [SET ...]     (default: none, each class alone, then all eight)
# ATTACK_MIX_OPTS="-Dloupe.attack.jfr=FILE" records the server with JFR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CP_FILE=server/target/attack-mix.classpath
if [ "${1:-}" = build ]; then
  ./mvnw-local -q -pl server -am -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/$CP_FILE"
  exit 0
fi
ALL=readouts,resample,heavy,tokenize,crosssite,slowreaders,slowloris,idle
[ $# -gt 0 ] || set -- none ${ALL//,/ } "$ALL"
JAVA="${LOUPE_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
CP="server/target/test-classes:server/target/classes:$(cat "$CP_FILE")"
echo "load before: $(cat /proc/loadavg)"
"$JAVA" --add-modules jdk.incubator.vector -Xmx1g ${ATTACK_MIX_OPTS:-} -cp "$CP" dev.loupe.server.AttackMixBench "$@" 2>&1 | grep -E "^ATTACK-MIX|Exception|Error" || true
echo "load after: $(cat /proc/loadavg)"
