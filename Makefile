# The two commands: `make run` starts the whole stack here; `make test` runs every test.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
MVN ?= mvn
MVN_ARGS ?= -B
NPM ?= npm
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

# Targets share the build outputs and real Chromium instances: one at a time.
.NOTPARALLEL:
.PHONY: run test test-deps build ui npm-ci test-java test-ui test-e2e bench runner-aot clean check-java check-node docker-images dev k8s-apply

JAVA_SOURCES := pom.xml $(shell find proto control-plane runner edge -path '*/target' -prune -o -type f -print)
JARS := control-plane/target/control-plane.jar edge/target/edge.jar runner/target/runner.jar
UI_SOURCES := $(shell find ui/src ui/public -type f) ui/index.html ui/package.json ui/vite.config.ts ui/tsconfig.json

check-java:
	@test -n "$(JAVA_HOME)" || { echo "no JDK 21+ found: install one or set JAVA_HOME" >&2; exit 1; }
	@command -v $(MVN) >/dev/null || { echo "Maven is required: apt-get install maven" >&2; exit 1; }

check-node:
	@command -v node >/dev/null && command -v $(NPM) >/dev/null || { echo "the web UI needs Node.js 20.19+ and npm (https://nodejs.org/)" >&2; exit 1; }
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
		|| { echo "Node.js $$(node --version) is too old for the web UI's build (Vite 8 needs 20.19+)" >&2; exit 1; }

# npm packages exactly as locked; reinstalled when a lockfile changes.
ui/node_modules/.installed: ui/package-lock.json | check-node
	cd ui && $(NPM) ci --no-audit --no-fund
	@touch $@

tests/e2e/node_modules/.installed: tests/e2e/package-lock.json | check-node
	cd tests/e2e && $(NPM) ci --no-audit --no-fund
	@touch $@

## Install the npm packages of the UI and of the end-to-end tests afresh (npm ci).
npm-ci:
	@rm -f ui/node_modules/.installed tests/e2e/node_modules/.installed
	@$(MAKE) --no-print-directory ui/node_modules/.installed tests/e2e/node_modules/.installed

## Build the web UI into ui/dist (the edge serves it at /).
ui: ui/dist/index.html

ui/dist/index.html: ui/node_modules/.installed $(UI_SOURCES)
	cd ui && $(NPM) run build

$(JARS) &: $(JAVA_SOURCES) | check-java
	$(MVN) $(MVN_ARGS) -q -DskipTests package

## Build every module (jars land in */target, the UI in ui/dist) without running tests.
build: check-java ui
	$(MVN) $(MVN_ARGS) -DskipTests package

## Start control plane + edge in the foreground (PORT, GRPC_PORT and the rest from the environment).
run: check-java ui
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) -q -DskipTests package
	@scripts/runner-aot.sh
	@scripts/run-local.sh

## Every test: Java unit and full-stack tests, the UI's unit tests, and the end-to-end tests in a real browser.
## Installs what the tests need (Chromium, coturn, Xvfb, docker.io, ...) first when it is missing.
test: test-deps test-java test-ui test-e2e

## Debian packages the tests need; installed when missing (as root), else named in one line.
test-deps:
	@scripts/ensure-test-deps.sh

## Java unit tests and the full-stack tests with real Chromium and real gRPC, processes and Docker
## containers. The container tests start two private Docker engines (installing docker.io when
## missing; needs root); they are stopped again here, their images kept for the next run.
test-java: test-deps check-java
	$(MVN) $(MVN_ARGS) verify; rc=$$?; scripts/docker-test-engines.sh down || true; exit $$rc

## The UI's unit tests (Vitest) and its type check.
test-ui: ui/node_modules/.installed
	cd ui && $(NPM) run typecheck && $(NPM) test

## The UI in a real Chromium against the real stack, started from the jars on free ports.
test-e2e: test-deps $(JARS) ui tests/e2e/node_modules/.installed
	cd tests/e2e && $(NPM) test

## Images mbi/runner, mbi/control-plane, mbi/edge, mbi/coturn, mbi/prometheus on the Docker engine
## DOCKER_HOST names (default: the local one), from a base image made here (no registry needed).
docker-images: build
	scripts/docker-images.sh

## The whole stack in Docker (compose/): edge on :8090, Grafana on :3000; Ctrl-C stops it.
## A TURN secret is made for this run unless TURN_SECRET is set (compose refuses to start without one).
dev: docker-images
	TURN_SECRET=$${TURN_SECRET:-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')} \
	CONTROL_PLANE_TOKEN=$${CONTROL_PLANE_TOKEN:-$$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')} \
	CONTROL_PLANE_SIGNING_KEY=$${CONTROL_PLANE_SIGNING_KEY:-$$(head -c 48 /dev/urandom | base64 | tr -d '=+/\n')} \
	DOCKER_GID=$$(stat -c %g /var/run/docker.sock) $(COMPOSE) -p mbi -f compose/docker-compose.yml up

## The runner's ahead-of-time cache (JDK 25+), from a training session: runners start faster with it.
## make run and make bench make it when runner.jar is newer.
runner-aot: check-java $(JARS)
	@scripts/runner-aot.sh

## Apply k8s/ to the cluster kubectl points at (images: push mbi/* to your registry first).
k8s-apply:
	kubectl apply -f k8s/

## Benchmarks (figures, not pass/fail): what users feel in a real Chromium viewer against a raw CDP
## client (bench/results/latest.md and .json), the control plane with synthetic runners
## (bench/results/control-plane-scale.md), what the relay carries with a synthetic runner
## (bench/results/relay-throughput.md), then the Java viewer's rows (edge/target/bench-results.md).
bench: check-java test-deps $(JARS) ui tests/e2e/node_modules/.installed
	@scripts/runner-aot.sh
	cd tests/e2e && $(NPM) exec -- vitest run --config vitest.bench.config.ts
	$(MVN) $(MVN_ARGS) verify -pl edge -am -Dbench.groups=bench -Dbench.excluded=none
	@cat bench/results/latest.md bench/results/chromium-flags.md bench/results/runner-memory.md bench/results/control-plane-scale.md bench/results/relay-throughput.md edge/target/bench-results.md

clean:
	$(MVN) $(MVN_ARGS) -q clean
	rm -rf ui/dist tests/e2e/artifacts
