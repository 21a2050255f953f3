# kioskguard: the two everyday commands are `make run` and `make test`.
SWIFT ?= swift
# Debian's python, which has python3-dbusmock; the integration tier runs on it.
PYTHON ?= /usr/bin/python3
BUILD_PACKAGES := libsystemd-dev pkg-config libsqlite3-dev libpcsclite-dev
# The integration tier: journald and its tools, D-Bus with the logind mock, runuser, pytest,
# openssl for the TLS hotline receiver, pcscd with the vpcd virtual reader and its card emulator,
# Chromium with its driver and Firefox ESR with a WebSocket client for its WebDriver BiDi.
TEST_PACKAGES := $(BUILD_PACKAGES) systemd dbus-daemon python3-dbus python3-dbusmock python3-pytest python3-jsonschema libglib2.0-bin util-linux openssl systemd-journal-remote passwd pcscd vsmartcard-vpcd python3-virtualsmartcard python3-pycryptodome faketime chromium chromium-driver firefox-esr python3-websocket groff-base prometheus prometheus-alertmanager prometheus-node-exporter

.PHONY: run test test-unit test-integration test-system build bench demo fuzz packages clean

packages:
	@scripts/ensure-packages.sh $(TEST_PACKAGES)

build:
	@scripts/ensure-packages.sh $(BUILD_PACKAGES)
	$(SWIFT) build

## Runs the daemon in the foreground on its built-in defaults (or /etc/kioskguard/kioskguard.toml).
run: build
	$(SWIFT) run kioskguardd

## Runs the whole test suite: unit tier (swift test), then integration tier (the real daemon).
test: packages
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@scripts/ensure-journald.sh
	$(PYTHON) -m pytest Tests/Integration -q

test-unit: packages
	$(SWIFT) test

test-integration: packages
	$(SWIFT) build --product kioskguardd
	@scripts/ensure-journald.sh
	$(PYTHON) -m pytest Tests/Integration -q

## The system tier: builds the .deb, installs it into a debootstrapped Debian 12 root and runs
## the steps in Tests/System/inside.py there under systemd-nspawn -b (root; a few minutes).
test-system:
	Tests/System/run.sh

## Runs each libFuzzer target for FUZZ_SECONDS (default 60); new coverage joins Fuzz/corpus and
## crash reproducers land in Fuzz/crashes, which the unit tests replay.
FUZZ_SECONDS ?= 60
fuzz:
	Fuzz/run.sh $(FUZZ_SECONDS)

## Replays the incident kioskguard exists to stop, with the real daemon (under a minute).
demo: build
	$(SWIFT) build --product kioskguardctl
	@scripts/ensure-journald.sh 2>/dev/null || true
	$(PYTHON) examples/demo.py

## Runs every benchmark scenario against the release daemon, several times, and writes
## docs/benchmarks.md (not part of the test suite; about twenty minutes). The memory scenario reads
## the daemon's live heap through gdb.
bench: packages
	@scripts/ensure-packages.sh gdb
	$(SWIFT) build -c release --product kioskguardd
	$(SWIFT) build -c release --product kioskguard-bench
	$(SWIFT) build -c release --product kioskguard-load
	$(PYTHON) Benchmarks/suite.py

clean:
	rm -rf .build
