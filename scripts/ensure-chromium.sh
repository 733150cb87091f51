#!/usr/bin/env bash
# Makes sure Chromium is installed (runners drive it), and PulseAudio (each session's own sound
# server, optional: without it pages are silent) and libturbojpeg (optional: WebRTC frames decode
# faster with it); installs Debian's packages when it can.
set -euo pipefail
if ! command -v pulseaudio >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "PulseAudio not found: installing Debian's pulseaudio package (the pages' sound)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pulseaudio >/dev/null \
      || echo "PulseAudio could not be installed: pages will play no sound" >&2
  else
    echo "PulseAudio not found: pages will play no sound (sudo apt-get install pulseaudio)" >&2
  fi
fi
if ! ls /usr/lib/*/libturbojpeg.so.0 >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "libturbojpeg not found: installing Debian's libturbojpeg0 package (WebRTC frames decode faster)..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libturbojpeg0 >/dev/null \
      || echo "libturbojpeg0 could not be installed: WebRTC frames are decoded by ImageIO, slower" >&2
  else
    echo "libturbojpeg not found: WebRTC frames are decoded by ImageIO, slower (sudo apt-get install libturbojpeg0)" >&2
  fi
fi
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Chromium not found at $chromium: installing Debian's chromium package..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-liberation >/dev/null
  [ -x "$chromium" ] && exit 0
fi
cat >&2 <<MSG
Chromium is required and was not found at $chromium.
Install it, e.g.:  sudo apt-get install chromium     (Debian/Ubuntu)
or point CHROMIUM_PATH at an existing Chromium or Chrome binary.
MSG
exit 1
