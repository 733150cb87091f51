#!/usr/bin/env bash
# Prints the path of a JDK >= 21 (Helidon 4 needs it): $JAVA_HOME if it qualifies,
# else the newest one found under /usr/lib/jvm. Exits 1 with advice when none exists.
set -u
version_of() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}'; }
qualifies() { [ -x "$1/bin/javac" ] && v=$(version_of "$1") && [ "${v%%.*}" -ge 21 ] 2>/dev/null; }

if [ -n "${JAVA_HOME:-}" ] && qualifies "$JAVA_HOME"; then echo "$JAVA_HOME"; exit 0; fi
best="" best_v=0
for d in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
  [ -d "$d" ] || continue
  qualifies "$d" || continue
  v=$(version_of "$d"); v=${v%%.*}
  if [ "$v" -gt "$best_v" ]; then best="$d" best_v=$v; fi
done
if [ -n "$best" ]; then echo "$best"; exit 0; fi
echo "no JDK 21 or newer found: install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin 21+) or set JAVA_HOME" >&2
exit 1
