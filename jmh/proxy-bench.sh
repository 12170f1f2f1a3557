#!/usr/bin/env bash
# The proxy benchmark (see proxy-bench.py): installs wrk, nginx and HAProxy from Debian if
# missing, builds the router, benchmark and contender (Spring Cloud Gateway, Vert.x) jars if
# missing, then runs every contender in one interleaved run. Arguments go to proxy-bench.py
# (--rounds, --seconds, --connections, --only).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx-light)
command -v haproxy >/dev/null || missing+=(haproxy)
command -v taskset >/dev/null || missing+=(util-linux)
command -v h2load >/dev/null || missing+=(nghttp2-client)  # --h2
command -v curl >/dev/null || missing+=(curl)  # --h2: readiness of h2c-only listeners
if ((${#missing[@]})); then
  sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi
if [[ ! -f examples/reference-router/target/whaleray-router.jar || ! -f jmh/target/benchmarks.jar ]]; then
  ./mvnw -q -B package -DskipTests
fi
# Spring Cloud Gateway and Vert.x: standalone projects outside the reactor (CI never builds
# them), each rebuilt when its jar is missing or older than its pom or sources.
for c in scg vertx; do
  jar=jmh/contenders/$c/target/$c-contender.jar
  src=("jmh/contenders/$c/pom.xml" "jmh/contenders/$c/src")
  if [[ ! -f $jar || -n $(find "${src[@]}" -newer "$jar" -print -quit) ]]; then
    ./mvnw -f "jmh/contenders/$c/pom.xml" -B -q package
  fi
done
exec python3 jmh/proxy-bench.py "$@"
