#!/bin/sh
# The soak (docs/operations.md, "Soak"): the rehearsal cluster under steady load for a while, with
# definitions edited meanwhile; prints a line a minute and the growth per hour at the end.
#
#   cluster-rehearsal/soak.sh PT1H                      # one hour at the defaults
#   cluster-rehearsal/soak.sh PT30M -Dsoak.rate=1000 -Dsoak.users=50000 -Dsoak.requests=20
#
# Builds what the rehearsal runs (the job and service distributions) without their tests, then runs
# RehearsalSoakIT alone. Bounded: the duration is at most PT24H. Run nothing else meanwhile.
set -eu
cd "$(dirname "$0")/.."
duration=${1:-PT30M}
[ $# -gt 0 ] && shift
exec mvn -B -ntp verify -pl job-dist,service-dist,cluster-rehearsal -am \
  -Dcore.bench.skip=true -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=RehearsalSoakIT -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dsoak.duration="$duration" "$@"
