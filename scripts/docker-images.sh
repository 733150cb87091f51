#!/usr/bin/env bash
# Builds the images mbi/runner, mbi/control-plane and mbi/edge (tag $MBI_IMAGE_TAG, default dev)
# on the engine DOCKER_HOST names, from the jars of the Maven build (run `make build` first), and
# mbi/coturn and mbi/prometheus from Debian's packages (for compose and k8s).
# Java comes from a runtime made here with jlink; the base image is made locally
# (scripts/docker-base-image.sh), so nothing is pulled from a registry.
#
#   scripts/docker-images.sh                 # all five
#   scripts/docker-images.sh runner          # only the runner
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${MBI_IMAGE_TAG:-dev}"
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(runner control-plane edge coturn prometheus)
: "${JAVA_HOME:=$(scripts/java-home.sh)}"

RUNNER_MODULES=java.base,java.desktop,java.logging,java.management,java.naming,java.net.http,java.sql,jdk.crypto.ec,jdk.jfr,jdk.unsupported
SERVER_MODULES=java.se,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs

# A runtime is made again only when the JDK or the module list changes.
jre() {
  local name=$1 modules=$2 dir="target/docker/jre-$1" stamp
  stamp="$("$JAVA_HOME/bin/java" -version 2>&1 | head -1) $modules"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then return 0; fi
  rm -rf "$dir"
  mkdir -p target/docker
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$dir"
  echo "$stamp" >"$dir/.stamp"
}

for image in "${images[@]}"; do
  case "$image" in
    runner) jar=runner/target/runner.jar; jre runner "$RUNNER_MODULES" ;;
    control-plane) jar=control-plane/target/control-plane.jar; jre server "$SERVER_MODULES" ;;
    edge) jar=edge/target/edge.jar; jre server "$SERVER_MODULES" ;;
    coturn | prometheus) jar=pom.xml ;;
    *) echo "unknown image '$image': use runner, control-plane, edge, coturn or prometheus" >&2; exit 2 ;;
  esac
  [ -f "$jar" ] || { echo "$jar is missing: build first (make build)" >&2; exit 1; }
done

scripts/docker-base-image.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for image in "${images[@]}"; do
  start=$SECONDS
  # The classic builder works with any engine and uses only local images (newer clients warn that it
  # is deprecated: its output is shown only when the build fails).
  if ! DOCKER_BUILDKIT=0 docker build -q -f "docker/$image.Dockerfile" -t "mbi/$image:$tag" . >"$log" 2>&1; then
    cat "$log" >&2
    echo "building mbi/$image:$tag failed" >&2
    exit 1
  fi
  echo "built mbi/$image:$tag in $((SECONDS - start)) s" >&2
done
