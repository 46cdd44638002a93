#!/usr/bin/env bash
# Starts the whole system in one process on 127.0.0.1: the KRaft broker (9092), the job on a Flink
# mini cluster with RocksDB, and the service (8080). Builds first when the sources are newer than
# the last build. Data (broker log, checkpoints, savepoints) goes to ./data unless
# COHORTFLOW_DATA_DIR says otherwise. Ctrl-C stops it cleanly.
#
#   launcher/run.sh [cohortflow.properties]                          the whole system
#   launcher/run.sh backfill --input <files> --output <dir> [...]   (docs/backfill.md)
#   launcher/run.sh segments list|get|validate|estimate|create [...] a client for scripts
#   launcher/run.sh users get|explain|erase [...]                   (the same, for one user)
#   launcher/run.sh --help                                          every command and option
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
jar=$(ls launcher/target/cohortflow-launcher-*.jar 2>/dev/null | head -1 || true)
if [[ -z "$jar" || ! -d launcher/target/lib ]] \
    || [[ -n "$(find pom.xml core embedded-kafka job definitions-service launcher \
                  \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$jar" 2>/dev/null | head -1)" ]]; then
  echo "building (mvn package -pl launcher -am, tests skipped)..." >&2
  mvn -q -B -ntp package -DskipTests -pl launcher -am
fi
# The JVM's memory by command: a backfill sorts history, the client and the help need little.
case "${1:-}" in
  backfill) heap=-Xmx2g ;;
  export-members) heap=-Xmx1g ;;
  segments | users | help | -h | --help | -V | --version) heap=-Xmx256m ;;
  *) heap=-Xmx1g ;;
esac
# A key with full rights for the first five minutes, unless you provision your own; the segments
# client uses the same one against the system started here. The system says so when it starts
# (RunCommand): only the command line knows whether the arguments start it, so a mistyped command
# or option gets its one-line mistake alone, not a start-up warning before it.
dev_key=false
if [[ -z "${COHORTFLOW_API_KEY:-}" && "${1:-}" != backfill ]]; then
  export COHORTFLOW_API_KEY=dev-key COHORTFLOW_ORG="${COHORTFLOW_ORG:-demo}"
  dev_key=true
fi
exec java ${COHORTFLOW_JAVA_OPTS:-$heap} -Dcohortflow.launcher.dev-key="$dev_key" \
  -cp "launcher/target/classes:launcher/target/lib/*" io.cohortflow.launcher.Cohortflow "$@"
