# The control plane: a Java runtime made with jlink and control-plane.jar, as an unprivileged user.
# Built from the repository root by scripts/docker-images.sh; FROM the locally made base image.
ARG BASE_IMAGE=mbi/debian-base:bookworm
FROM ${BASE_IMAGE}
RUN groupadd --gid 10001 mbi && useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin mbi
COPY target/docker/jre-server /opt/java
COPY control-plane/target/lib /opt/mbi/lib
COPY control-plane/target/control-plane.jar /opt/mbi/control-plane.jar
ENV HOME=/tmp GRPC_PORT=50051 API_GRPC_PORT=50052
EXPOSE 50051 50052
USER 10001:10001
WORKDIR /tmp
ENTRYPOINT ["/opt/java/bin/java", "-XX:-UsePerfData", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/mbi/control-plane.jar"]
