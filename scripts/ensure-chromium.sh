#!/usr/bin/env bash
# Makes sure Chromium is installed (runners drive it), and PulseAudio (each session's own sound
# server, optional: without it pages are silent) and libturbojpeg (optional: WebRTC frames decode
# faster with it); installs Debian's packages when it can.
set -euo pipefail
# An optional package: installed as root with apt-get, else what to install is said; never fatal.
# $1 the package, $2 what is missing without it.
optional() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$1 not found: installing Debian's package..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1" >/dev/null \
      || echo "$1 could not be installed: $2" >&2
  else
    echo "$1 not found: $2 (sudo apt-get install $1)" >&2
  fi
}
command -v pulseaudio >/dev/null || optional pulseaudio "pages will play no sound"
ls /usr/lib/*/libturbojpeg.so.0 >/dev/null 2>&1 || optional libturbojpeg0 "WebRTC frames are decoded by ImageIO, slower"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
# Debian's headless shell (CHROMIUM_PATH=/usr/bin/chromium-headless-shell) is a package of its own.
package=chromium
case "$chromium" in */chromium-headless-shell) package=chromium-headless-shell ;; esac
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Chromium not found at $chromium: installing Debian's $package package..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$package" fonts-liberation >/dev/null
  [ -x "$chromium" ] && exit 0
fi
cat >&2 <<MSG
Chromium is required and was not found at $chromium.
Install it, e.g.:  sudo apt-get install chromium     (Debian/Ubuntu)
or point CHROMIUM_PATH at an existing Chromium or Chrome binary.
MSG
exit 1
