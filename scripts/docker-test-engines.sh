#!/usr/bin/env bash
# Two private Docker engines for the tests ("a" and "b", a two-host runner fleet on one machine),
# each with its own socket, data root, bridge and containerd namespace, so they never touch a
# Docker that the machine runs for anything else. Needs root.
#
#   scripts/docker-test-engines.sh up     # install docker.io when missing, start both, make the images;
#                                         # prints one line per engine: NAME DOCKER_HOST GATEWAY_IP RUNNER_SUBNET
#   scripts/docker-test-engines.sh images # build the runner image on a (after the Maven build), copy it to b
#   scripts/docker-test-engines.sh down   # stop both; remove their bridges, runner networks and firewall rules
#
# The data roots stay (under /var/lib/mbi-test-docker-*) so images and build layers are reused
# by the next run. `up` is idempotent: engines already running are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINES=(a b)
declare -A SUBNET=([a]=10.213.1 [b]=10.213.2)
# The runner network the launcher makes on each engine: both engines share this machine's routes,
# so their networks need ranges of their own (the firewall tests make more in 10.213.2x.0/24).
declare -A RUNNER_SUBNET=([a]=10.213.11.0/24 [b]=10.213.12.0/24)
state=/run/mbi-test-docker.state

sock() { echo "/run/mbi-test-docker-$1.sock"; }
pidfile() { echo "/run/mbi-test-docker-$1.pid"; }
bridge() { echo "mbit-$1"; }
log() { echo "docker-test-engines: $*" >&2; }

running() {
  local pid
  pid="$(cat "$(pidfile "$1")" 2>/dev/null)" || return 1
  kill -0 "$pid" 2>/dev/null && curl -fsS --max-time 2 --unix-socket "$(sock "$1")" http://engine/_ping >/dev/null 2>&1
}

install_missing() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker >/dev/null || missing+=(docker.io)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

start_engine() {
  local e=$1 br net
  br="$(bridge "$e")" net="${SUBNET[$e]}"
  if running "$e"; then return 0; fi
  if ! ip link show "$br" >/dev/null 2>&1; then
    ip link add "$br" type bridge
    ip addr add "$net.1/24" dev "$br"
  fi
  ip link set "$br" up
  local extra=()
  # Engine a NATs its containers to the outside (docker build runs apt-get); engine b only needs
  # this machine (the control plane and the test page), so it leaves the firewall alone.
  if [ "$e" = b ]; then extra+=(--iptables=false --ip-masq=false --ip-forward=false); fi
  mkdir -p "/var/lib/mbi-test-docker-$e" "/run/mbi-test-docker-$e"
  rm -f "$(sock "$e")"
  setsid dockerd \
    --data-root "/var/lib/mbi-test-docker-$e" \
    --exec-root "/run/mbi-test-docker-$e" \
    --host "unix://$(sock "$e")" \
    --pidfile "$(pidfile "$e")" \
    --bridge "$br" \
    --containerd-namespace "mbi-test-$e" \
    --containerd-plugins-namespace "mbi-test-$e-plugins" \
    --userland-proxy=false \
    "${extra[@]}" \
    </dev/null >"/var/log/mbi-test-docker-$e.log" 2>&1 &
  for _ in $(seq 1 150); do
    if running "$e"; then log "engine $e up at unix://$(sock "$e")"; return 0; fi
    sleep 0.2
  done
  log "engine $e did not start; its log (/var/log/mbi-test-docker-$e.log) ends with:"
  tail -n 20 "/var/log/mbi-test-docker-$e.log" >&2
  return 1
}

up() {
  [ "$(id -u)" = 0 ] || { log "needs root (it starts dockerd)"; exit 1; }
  install_missing
  if [ ! -f "$state" ]; then
    # Remember what dockerd changes on the host, so that `down` can put it back.
    { echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
      echo "forward_policy=$(iptables -S FORWARD 2>/dev/null | awk '$1=="-P"{print $3}')"; } >"$state"
  fi
  for e in "${ENGINES[@]}"; do start_engine "$e"; done
  for e in "${ENGINES[@]}"; do echo "$e unix://$(sock "$e") ${SUBNET[$e]}.1 ${RUNNER_SUBNET[$e]}"; done
}

stop_engine() {
  local e=$1 pid
  pid="$(cat "$(pidfile "$e")" 2>/dev/null)" || pid=""
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # Containers first: a dockerd that is stopped leaves nothing running behind.
    local ids net bridge
    ids="$(DOCKER_HOST="unix://$(sock "$e")" docker ps -aq 2>/dev/null || true)"
    [ -n "$ids" ] && DOCKER_HOST="unix://$(sock "$e")" docker rm -f $ids >/dev/null 2>&1 || true
    # The launcher's runner networks, and the firewall chains it hooked to their bridges.
    for net in $(DOCKER_HOST="unix://$(sock "$e")" docker network ls -q --filter label=dev.mbi.role=runner-network 2>/dev/null || true); do
      bridge="$(DOCKER_HOST="unix://$(sock "$e")" docker network inspect --format '{{index .Options "com.docker.network.bridge.name"}}' "$net" 2>/dev/null || true)"
      [ -n "$bridge" ] && [ "$bridge" != "<no value>" ] || bridge="br-${net:0:12}"
      DOCKER_HOST="unix://$(sock "$e")" docker network rm "$net" >/dev/null 2>&1 || true
      clean_runner_chains "$bridge"
    done
    clean_runner_chains "$(bridge "$e")"
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$(pidfile "$e")" "$(sock "$e")"
  ip link del "$(bridge "$e")" 2>/dev/null || true
  log "engine $e stopped"
}

# The runner firewall's chains for one bridge (MBI-F-<bridge>, MBI-I-<bridge>) and the rules that jump to them.
clean_runner_chains() {
  local br=$1 ipt chain rule
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for chain in "MBI-F-$br" "MBI-I-$br"; do
      { "$ipt-save" -t filter 2>/dev/null || true; } | { grep -E -- "^-A [A-Z-]+ .*-j $chain\$" || true; } | sed 's/^-A /-D /' |
        while read -r rule; do
          eval "$ipt -t filter $rule" 2>/dev/null || true
        done
      "$ipt" -t filter -F "$chain" 2>/dev/null || true
      "$ipt" -t filter -X "$chain" 2>/dev/null || true
    done
  done
}

clean_firewall() {
  command -v iptables-save >/dev/null || return 0
  local t rule
  # Rules that name our bridges or subnets.
  for t in nat filter; do
    iptables-save -t "$t" | grep -E '^-A .*(mbit-[ab]|10\.213\.[12]\.)' | sed 's/^-A /-D /' | while read -r rule; do
      eval "iptables -t $t $rule" 2>/dev/null || true
    done
  done
  # Docker's own chains, when no other Docker engine on this machine uses them.
  if ! pgrep -x dockerd >/dev/null; then
    for t in nat filter; do
      iptables-save -t "$t" | grep -E '^-A (PREROUTING|OUTPUT|FORWARD|POSTROUTING) .*-j DOCKER' | sed 's/^-A /-D /' | while read -r rule; do
        eval "iptables -t $t $rule" 2>/dev/null || true
      done
      for chain in DOCKER DOCKER-ISOLATION-STAGE-1 DOCKER-ISOLATION-STAGE-2 DOCKER-USER; do
        iptables -t "$t" -F "$chain" 2>/dev/null || true
        iptables -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  fi
  if [ -f "$state" ]; then
    local policy forward
    policy="$(sed -n 's/^forward_policy=//p' "$state")"
    forward="$(sed -n 's/^ip_forward=//p' "$state")"
    if ! pgrep -x dockerd >/dev/null; then
      [ -n "$policy" ] && iptables -P FORWARD "$policy" 2>/dev/null || true
      [ -n "$forward" ] && echo "$forward" >/proc/sys/net/ipv4/ip_forward || true
    fi
    rm -f "$state"
  fi
}

image_id() { DOCKER_HOST="unix://$(sock "$1")" docker image inspect --format '{{.Id}}' "$2" 2>/dev/null || true; }

images() {
  local image="mbi/runner:${MBI_IMAGE_TAG:-dev}"
  DOCKER_HOST="unix://$(sock a)" scripts/docker-images.sh runner
  if [ "$(image_id a "$image")" != "$(image_id b "$image")" ]; then
    start=$SECONDS
    DOCKER_HOST="unix://$(sock a)" docker save "$image" | DOCKER_HOST="unix://$(sock b)" docker load -q >/dev/null
    log "copied $image to engine b in $((SECONDS - start)) s"
  fi
  # Old builds of the image pile up otherwise.
  for e in "${ENGINES[@]}"; do DOCKER_HOST="unix://$(sock "$e")" docker image prune -f >/dev/null 2>&1 || true; done
}

down() {
  for e in "${ENGINES[@]}"; do stop_engine "$e"; done
  clean_firewall
}

case "${1:-}" in
  up) up ;;
  images) images ;;
  down) down ;;
  *) echo "usage: $0 up|images|down" >&2; exit 2 ;;
esac
