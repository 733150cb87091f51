#!/usr/bin/env bash
# Makes the base image every mbi image starts FROM (mbi/debian-base:bookworm) without any registry:
# debootstrap a minimal Debian 12 and `docker import` it. The root file system is cached as a
# tarball under /var/cache/mbi, so later runs on the same machine import it in seconds.
# Uses the engine that DOCKER_HOST (or the default socket) names. Needs root for debootstrap.
set -euo pipefail
tag="${BASE_IMAGE:-mbi/debian-base:bookworm}"
cache_dir="${MBI_CACHE_DIR:-/var/cache/mbi}"
cache="$cache_dir/debian-base-bookworm.tar.gz"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$tag" >/dev/null 2>&1; then
  exit 0
fi

if [ ! -s "$cache" ]; then
  if ! command -v debootstrap >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
    else
      echo "debootstrap is required to make $tag: apt-get install debootstrap (as root)" >&2
      exit 1
    fi
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "making $tag needs root (debootstrap); run this script with sudo once" >&2
    exit 1
  fi
  mkdir -p "$cache_dir"
  work="$(mktemp -d /var/tmp/mbi-debootstrap.XXXXXX)"
  trap 'rm -rf "$work"' EXIT
  echo "making $tag: debootstrap --variant=minbase bookworm from $mirror (about a minute)..." >&2
  start=$SECONDS
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  # Security and point-release updates (Chromium is updated through bookworm-security).
  cat >"$work/root/etc/apt/sources.list" <<LIST
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
LIST
  # Small images: no documentation, no package caches.
  cat >"$work/root/etc/dpkg/dpkg.cfg.d/01-mbi-nodoc" <<CFG
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
  echo 'APT::Install-Recommends "false"; APT::Install-Suggests "false";' >"$work/root/etc/apt/apt.conf.d/01-mbi-norecommends"
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"* "$work/root/usr/share/doc/"* "$work/root/usr/share/man/"*
  tar -C "$work/root" --numeric-owner -czf "$cache.tmp" .
  mv "$cache.tmp" "$cache"
  echo "made the root file system in $((SECONDS - start)) s; cached at $cache" >&2
fi

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  "$cache" "$tag" >/dev/null
echo "imported $tag from $cache" >&2
