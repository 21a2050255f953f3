# kioskguard: the two everyday commands are `make run` and `make test`.
SWIFT ?= swift
# Build-time packages; the test tiers add their own below.
BUILD_PACKAGES := libsystemd-dev pkg-config libsqlite3-dev
TEST_PACKAGES := $(BUILD_PACKAGES)

.PHONY: run test build bench packages clean

packages:
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

build: packages
	$(SWIFT) build

## Runs the daemon in the foreground on its built-in defaults.
run: build
	$(SWIFT) run kioskguardd

## Runs the whole test suite (unit tiers today; integration and system tiers join as they land).
test: packages
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Runs the micro-benchmarks in release mode (not part of the test suite).
bench: packages
	$(SWIFT) run -c release kioskguard-bench

clean:
	rm -rf .build
