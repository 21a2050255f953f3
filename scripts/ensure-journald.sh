#!/usr/bin/env bash
# Starts systemd-journald when none answers (a container or CI machine without systemd as
# PID 1). journald runs fine without systemd; the integration tier reads what the daemon
# writes to it.
#
# A socket file alone proves nothing: a machine image taken after journald stopped keeps
# /run/systemd/journal/{socket,stdout} with no listener, and every connect is refused. So the
# probe is a real stream connection, the kind the tests and the daemon's stdout use.
set -euo pipefail
journal_answers() { systemd-cat -t kioskguard-probe true 2>/dev/null; }
journal_answers && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "no journald answers on /run/systemd/journal and starting one needs root: run the tests as root" >&2
    exit 1
fi
mkdir -p /run/systemd/journal /var/log/journal
# Stale sockets of a journald that is gone; journald binds fresh ones.
rm -f /run/systemd/journal/socket /run/systemd/journal/stdout /run/systemd/journal/dev-log \
      /run/systemd/journal/io.systemd.journal
setsid /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 100); do
    journal_answers && exit 0
    sleep 0.1
done
echo "systemd-journald started but does not answer on /run/systemd/journal/stdout" >&2
exit 1
