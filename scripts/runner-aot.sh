#!/usr/bin/env bash
# Makes the runner's ahead-of-time cache, runner/target/runner.aot, from a training run: one
# session on a blank page, against a control plane inside the runner itself (JDK 25's AOT cache:
# the classes a runner loads and links while it starts come ready-made). The process launcher
# starts runners with it while it is newer than runner.jar. Nothing to do on a JDK before 25, or
# when the cache is already newer than the jar.
set -euo pipefail
cd "$(dirname "$0")/.."
jar="$PWD/runner/target/runner.jar"
cache="$PWD/runner/target/runner.aot"
[ -f "$jar" ] || { echo "runner.jar missing: build first (make build)" >&2; exit 1; }
[ "$cache" -nt "$jar" ] && exit 0
java="$(scripts/java-home.sh)/bin/java"
version=$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
if [ "${version%%.*}" -lt 25 ]; then
  echo "runner AOT cache skipped: it needs JDK 25 or later (found $version); runners start without it" >&2
  exit 0
fi
rm -f "$cache"
# The runners' own JVM flags (ProcessRunnerLauncher.JVM_FLAGS): a cache is used only by a JVM started like the one that made it.
flags=(-XX:+UseSerialGC -Xms8m -Xmx384m -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m
       -XX:TieredStopAtLevel=1 -XX:MaxDirectMemorySize=64m -XX:-UsePerfData -XX:TrimNativeHeapInterval=1000 --enable-native-access=ALL-UNNAMED)
echo "making the runner's AOT cache (a training session in Chromium, ~15 s)..." >&2
log="$PWD/runner/target/runner-aot.log"
if ! "$java" "${flags[@]}" -XX:AOTCacheOutput="$cache" -jar "$jar" aot-training >"$log" 2>&1 || [ ! -s "$cache" ]; then
  echo "the runner's AOT cache was not made (runners start without it); see $log:" >&2
  tail -5 "$log" >&2
  rm -f "$cache"
  exit 0
fi
echo "runner AOT cache: $cache ($(du -h "$cache" | cut -f1))" >&2
