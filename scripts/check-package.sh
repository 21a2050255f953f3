#!/usr/bin/env bash
# Packaging gates: builds the .deb from this checkout, then lintian (no errors, no warnings),
# the units' offline security exposure (at most 1.5, the score before input devices were
# granted) and their syntax.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-packages.sh lintian systemd >/dev/null
deb=$(packaging/build-deb.sh out)
echo "package: $deb ($(du -h "$deb" | cut -f1))"
lintian --fail-on error,warning "$deb"
systemd-analyze security --offline=true --threshold=15 systemd/kioskguard.service | tail -1
# verify needs a whole system around the units (sysinit.target, /bin/kill); the system test
# verifies them there. Here: the syntax of every unit file.
for unit in systemd/kioskguard.service systemd/kioskguard-events.socket systemd/kioskguard-control.socket; do
    problems=$(systemd-analyze verify --man=no "$unit" 2>&1 | grep -vE 'is not executable|sysinit.target' || true)
    if [ -n "$problems" ]; then
        echo "systemd-analyze verify: $problems" >&2
        exit 1
    fi
done
echo "packaging gates passed"
