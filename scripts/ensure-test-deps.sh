#!/usr/bin/env bash
# Installs what `make test` needs from Debian's packages when it is missing: Chromium (runners and
# the end-to-end browser), coturn (TURN relay tests), Xvfb (the display-capture path), docker.io,
# debootstrap and iptables (the container tests), Prometheus and promtool (the metrics are
# scraped, and the alert rules and dashboard checked, by a real one), PulseAudio (the page's sound),
# libturbojpeg (WebRTC frames), chromium-headless-shell (the runner's lighter Chromium, CHROMIUM_PATH),
# curl and setpriv. As root it installs them;
# otherwise it names, in one line, what to install.
set -euo pipefail
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("${@:2}"); }
need mvn maven
need curl curl
need setpriv util-linux
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium fonts-liberation)
need turnserver coturn
need Xvfb xvfb
need pulseaudio pulseaudio
# libjpeg-turbo's TurboJPEG library: the runners' WebRTC frames are decoded by it.
ls /usr/lib/*/libturbojpeg.so.0 >/dev/null 2>&1 || missing+=(libturbojpeg0)
need chromium-headless-shell chromium-headless-shell
need dockerd docker.io
need debootstrap debootstrap
need iptables iptables
need ip iproute2
need prometheus prometheus
need promtool prometheus
[ ${#missing[@]} -eq 0 ] && exit 0
# One package may be named twice (docker and dockerd): ask for each once.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "make test needs these packages: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing what the tests need: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The packages' own services (coturn, prometheus, ...) are not started: the tests start what they need.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=true
fi
trap 'if [ "$own_policy" = true ]; then rm -f "$policy"; fi' EXIT
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
