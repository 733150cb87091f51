# The two commands: `make run` starts the whole stack here; `make test` runs every test.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
MVN ?= mvn
MVN_ARGS ?= -B

.PHONY: run test build bench clean check-java

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

## Every test: unit tests and the full-stack tests with real Chromium and real gRPC.
test: check-java
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) verify

## Benchmarks: session start, input-to-photon over WebRTC and WebSocket, fps/bitrate/CPU (figures, not pass/fail).
bench: check-java
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) verify -pl edge -am -Dbench.groups=bench -Dbench.excluded=none
	@cat edge/target/bench-results.md

clean:
	$(MVN) $(MVN_ARGS) -q clean
