#!/bin/sh
# Fuzzes one target for longer than `verify` does (README "Fuzzing").
#
#   ./fuzz.sh <target> [duration] [maven args...]
#
# target: chunked | path | head | routes | config (or the fuzz test's class name)
# duration: as Jazzer reads it, e.g. 90s, 10m, 2h (default 10m)
#
# Findings go to <module>/src/test/resources/<package>/<Class>Inputs/<method>/crash-*, where
# `./mvnw verify` replays them; the corpus Jazzer grows goes to <module>/.cifuzz-corpus/.
set -eu
cd "$(dirname "$0")"
if [ $# -lt 1 ]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
target=$1
duration=${2:-10m}
shift
[ $# -gt 0 ] && shift
case "$target" in
  chunked | ChunkedRequestDecoderFuzzTest) module=router-undertow class=ChunkedRequestDecoderFuzzTest ;;
  path | PathNormalizerFuzzTest) module=router-undertow class=PathNormalizerFuzzTest ;;
  head | RequestHeadFuzzTest) module=router-undertow class=RequestHeadFuzzTest ;;
  routes | RouteTableFuzzTest) module=router-api class=RouteTableFuzzTest ;;
  config | RouterConfigFuzzTest) module=examples/reference-router class=RouterConfigFuzzTest ;;
  *)
    echo "unknown target: $target (expected: chunked, path, head, routes or config)" >&2
    exit 2
    ;;
esac
exec ./mvnw -B -P fuzz -pl "$module" -am test \
  -Dtest="$class" -Dsurefire.failIfNoSpecifiedTests=false -Dfuzz.duration="$duration" "$@"
