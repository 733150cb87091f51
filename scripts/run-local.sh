#!/usr/bin/env bash
# Runs the whole stack on this machine in the foreground: control plane (which launches one runner
# process per session) and edge. Ctrl-C or SIGTERM stops everything it started.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${JAVA_HOME:?JAVA_HOME must point at a JDK 21 or newer}"
java="$JAVA_HOME/bin/java"
export GRPC_PORT="${GRPC_PORT:-50051}"
export API_GRPC_PORT="${API_GRPC_PORT:-50052}"
export PORT="${PORT:-8090}"
export CONTROL_PLANE_ADDR="${CONTROL_PLANE_ADDR:-localhost:$API_GRPC_PORT}"
# The control plane's API needs a token, which both services share: a random one unless given.
if [ -z "${CONTROL_PLANE_TOKEN:-}" ] && [ -z "${CONTROL_PLANE_TOKEN_FILE:-}" ]; then
  CONTROL_PLANE_TOKEN="$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')"
fi
[ -n "${CONTROL_PLANE_TOKEN:-}" ] && export CONTROL_PLANE_TOKEN
export RUNNER_JAR="${RUNNER_JAR:-$PWD/runner/target/runner.jar}"

pids=()
stop() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

"$java" --enable-native-access=ALL-UNNAMED -jar control-plane/target/control-plane.jar &
pids+=($!)
"$java" --enable-native-access=ALL-UNNAMED -jar edge/target/edge.jar &
pids+=($!)

for _ in $(seq 1 100); do
  if curl -fsS "http://localhost:$PORT/readyz" >/dev/null 2>&1; then
    echo
    echo "mbi is running: open http://localhost:$PORT/  (API at http://localhost:$PORT/api/sessions; Ctrl-C stops it)"
    echo "Sign in with the login link the edge logged above (…/?token=…), or a token from API_TOKENS / ADMIN_TOKENS."
    echo
    break
  fi
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "a service exited during start-up; see the log above" >&2; stop; }; done
  sleep 0.2
done
# When either service ends, stop the other.
wait -n "${pids[@]}"
stop
