#!/usr/bin/env bash
# Runs the whole stack on this machine in the foreground: control plane (which launches one runner
# process per session) and edge. A service that crashes is started again (and the restart logged),
# as systemd's Restart=on-failure would; sessions survive a control-plane restart because the
# signing key for runners' resume tokens is kept under the work directory. Ctrl-C or SIGTERM stops
# both services; runners then dial for up to RUNNER_RECONNECT_WINDOW and exit.
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
# One runner kept started for the next session: a new session is ready in a fraction of a cold start.
export WARM_POOL_SIZE="${WARM_POOL_SIZE:-1}"
# The key runners' resume tokens are signed with must outlive the control plane: keep one here.
work="${MBI_WORK_DIR:-$PWD/target/run}"
if [ -z "${CONTROL_PLANE_SIGNING_KEY:-}" ] && [ -z "${CONTROL_PLANE_SIGNING_KEY_FILE:-}" ]; then
  mkdir -p "$work"
  if [ ! -s "$work/signing-key" ]; then
    (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' >"$work/signing-key")
  fi
  export CONTROL_PLANE_SIGNING_KEY_FILE="$work/signing-key"
fi

# Runs one service, starting it again whenever it crashes (not when it was stopped: exit code 0,
# or SIGINT/SIGTERM's 130/143). Gives up after five crashes within a minute.
supervise() {
  local name=$1 child="" code crashes=0 window_start=$SECONDS
  shift
  trap '[ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    "$@" &
    child=$!
    wait "$child"
    code=$?
    child=""
    case $code in 0|130|143) exit 0 ;; esac
    if [ $((SECONDS - window_start)) -gt 60 ]; then crashes=0; window_start=$SECONDS; fi
    crashes=$((crashes + 1))
    if [ $crashes -gt 5 ]; then
      echo "mbi: $name crashed $crashes times within a minute (last exit code $code); not starting it again" >&2
      exit 1
    fi
    echo "mbi: $name exited with code $code; starting it again (restart $crashes)" >&2
    sleep 1
  done
}

pids=()
stop() {
  trap - INT TERM EXIT
  [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null
  wait 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

supervise control-plane "$java" --enable-native-access=ALL-UNNAMED -jar control-plane/target/control-plane.jar &
pids+=($!)
supervise edge "$java" --enable-native-access=ALL-UNNAMED -jar edge/target/edge.jar &
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
# When either service stops for good (stopped, or crashing again and again), stop the other.
wait -n "${pids[@]}"
stop
