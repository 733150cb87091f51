# The two commands: `make run` starts the whole stack here; `make test` runs every test.
SHELL := /bin/bash
JAVA_HOME := $(shell scripts/java-home.sh)
export JAVA_HOME
MVN ?= mvn
MVN_ARGS ?= -B
NPM ?= npm

# Targets share the build outputs and real Chromium instances: one at a time.
.NOTPARALLEL:
.PHONY: run test build ui npm-ci test-java test-ui test-e2e bench clean check-java check-node

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
	@scripts/run-local.sh

## Every test: Java unit and full-stack tests, the UI's unit tests, and the end-to-end tests in a real browser.
test: test-java test-ui test-e2e

## Java unit tests and the full-stack tests with real Chromium and real gRPC.
test-java: check-java
	@scripts/ensure-chromium.sh
	$(MVN) $(MVN_ARGS) verify

## The UI's unit tests (Vitest) and its type check.
test-ui: ui/node_modules/.installed
	cd ui && $(NPM) run typecheck && $(NPM) test

## The UI in a real Chromium against the real stack, started from the jars on free ports.
test-e2e: $(JARS) ui tests/e2e/node_modules/.installed
	@scripts/ensure-chromium.sh
	cd tests/e2e && $(NPM) test

clean:
	$(MVN) $(MVN_ARGS) -q clean
	rm -rf ui/dist tests/e2e/artifacts
