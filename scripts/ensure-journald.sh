#!/usr/bin/env bash
# Starts systemd-journald when no journal socket exists (a container or CI machine without
# systemd as PID 1). journald runs fine without systemd; the integration tier reads what the
# daemon writes to it.
set -euo pipefail
socket=/run/systemd/journal/socket
[ -S "$socket" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "no journald is running and starting one needs root: run the tests as root" >&2
    exit 1
fi
mkdir -p /run/systemd/journal /var/log/journal
setsid /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 100); do
    [ -S "$socket" ] && exit 0
    sleep 0.1
done
echo "systemd-journald did not create $socket" >&2
exit 1
