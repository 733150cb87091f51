# The runner: Debian's Chromium (and its headless shell, for CHROMIUM_PATH=/usr/bin/chromium-headless-shell), a small Java runtime made with jlink, and runner.jar; runs as an
# unprivileged user. Built from the repository root by scripts/docker-images.sh (after the Maven
# build), FROM a base image made locally by scripts/docker-base-image.sh: no registry is needed.
ARG BASE_IMAGE=mbi/debian-base:bookworm
FROM ${BASE_IMAGE}

RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium chromium-headless-shell fonts-liberation ca-certificates pulseaudio libturbojpeg0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
# iptables is not for the runner (it has no capabilities): the Docker launcher runs it from this image,
# as root with NET_ADMIN in a short-lived container, to install the runner network's firewall
# (Debian's package has both backends; the script picks the host's).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iptables \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb
RUN groupadd --gid 10001 runner \
 && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin runner

# Chromium's managed policy (the headless shell reads no policies: the runner's guard is its barrier): file:, devtools:, data:, view-source: and filesystem: pages are
# refused before they load. Not chrome://*: blocking it stalls headless Chromium's screencast once
# the page changes; the runner replaces any chrome: page the top frame commits (and any other page
# outside http and https), in every launcher.
COPY docker/runner-chromium-policy.json /etc/chromium/policies/managed/mbi.json
COPY target/docker/jre-runner /opt/java
COPY runner/target/lib /opt/mbi/lib
COPY runner/target/runner.jar /opt/mbi/runner.jar

# The root file system is read-only at run time: everything Chromium and the JVM write goes to
# /tmp, which the launcher mounts as a tmpfs.
ENV HOME=/tmp RUNNER_WORK_DIR=/tmp CHROMIUM_PATH=/usr/bin/chromium \
    XDG_CONFIG_HOME=/tmp/.config XDG_CACHE_HOME=/tmp/.cache
# The runner's AOT cache (docs/decisions/0012), made with this image's own runtime by a training
# session on a blank page, with the entry point's JVM flags. The entry point reads its option from
# aot.args: without a cache (a JDK before 25, or a failed training) the runner starts as before.
RUN if /opt/java/bin/java -XX:+UseSerialGC -Xms8m -Xmx384m -Xss512k -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m \
        -XX:TieredStopAtLevel=1 -XX:MaxDirectMemorySize=64m -XX:-UsePerfData -XX:TrimNativeHeapInterval=1000 --enable-native-access=ALL-UNNAMED \
        -XX:AOTCacheOutput=/opt/mbi/runner.aot -jar /opt/mbi/runner.jar aot-training >/tmp/aot-training.log 2>&1 \
        && [ -s /opt/mbi/runner.aot ]; \
    then echo "-XX:AOTCache=/opt/mbi/runner.aot" > /opt/mbi/aot.args; \
    else tail -20 /tmp/aot-training.log; rm -f /opt/mbi/runner.aot; echo "-Dmbi.aot=none" > /opt/mbi/aot.args; fi; \
    rm -rf /tmp/* /tmp/.[!.]*
USER 10001:10001
WORKDIR /tmp
# The same JVM flags as the process launcher's (ProcessRunnerLauncher.JVM_FLAGS).
ENTRYPOINT ["/opt/java/bin/java", "-XX:+UseSerialGC", "-Xms8m", "-Xmx384m", "-Xss512k", "-XX:MaxMetaspaceSize=64m", \
            "-XX:ReservedCodeCacheSize=32m", "-XX:TieredStopAtLevel=1", "-XX:MaxDirectMemorySize=64m", \
            "-XX:-UsePerfData", "-XX:TrimNativeHeapInterval=1000", "--enable-native-access=ALL-UNNAMED", "@/opt/mbi/aot.args", \
            "-jar", "/opt/mbi/runner.jar"]
