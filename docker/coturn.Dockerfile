# TURN relay (Debian's coturn) for WebRTC viewers; configuration comes from a mounted file.
ARG BASE_IMAGE=mbi/debian-base:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends coturn && rm -rf /var/lib/apt/lists/*
USER 10001:10001
EXPOSE 3478/udp 3478/tcp
ENTRYPOINT ["/usr/bin/turnserver", "--log-file=stdout", "--pidfile=/tmp/turnserver.pid"]
