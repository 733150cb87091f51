# The two commands: `make run` starts the whole stack here; `make test` runs every test.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
MVN ?= mvn
MVN_ARGS ?= -B
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

.PHONY: run test build bench clean check-java docker-images dev k8s-apply

check-java:
	@test -n "$(JAVA_HOME)" || { echo "no JDK 21+ found: install one or set JAVA_HOME" >&2; exit 1; }
	@command -v $(MVN) >/dev/null || { echo "Maven is required: apt-get install maven" >&2; exit 1; }

## Build every module (jars land in */target) without running tests.
build: check-java
	$(MVN) $(MVN_ARGS) -DskipTests package

## Start control plane + edge in the foreground (PORT, GRPC_PORT and the rest from the environment).
run: check-java
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) -q -DskipTests package
	@scripts/run-local.sh

## Every test: unit tests and the full-stack tests with real Chromium and real gRPC, processes and
## Docker containers. The container tests start two private Docker engines (installing docker.io
## when missing; needs root); they are stopped again here, their images kept for the next run.
test: check-java
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) verify; rc=$$?; scripts/docker-test-engines.sh down || true; exit $$rc

## Images mbi/runner, mbi/control-plane, mbi/edge, mbi/coturn, mbi/prometheus on the Docker engine
## DOCKER_HOST names (default: the local one), from a base image made here (no registry needed).
docker-images: build
	scripts/docker-images.sh

## The whole stack in Docker (compose/): edge on :8090, Grafana on :3000; Ctrl-C stops it.
dev: docker-images
	DOCKER_GID=$$(stat -c %g /var/run/docker.sock) $(COMPOSE) -p mbi -f compose/docker-compose.yml up

## Apply k8s/ to the cluster kubectl points at (images: push mbi/* to your registry first).
k8s-apply:
	kubectl apply -f k8s/

## Benchmarks: session start, input-to-photon over WebRTC and WebSocket, fps/bitrate/CPU (figures, not pass/fail).
bench: check-java
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) verify -pl edge -am -Dbench.groups=bench -Dbench.excluded=none
	@cat edge/target/bench-results.md

clean:
	$(MVN) $(MVN_ARGS) -q clean
