"""Faults injected under the running daemon: kill -9 at random points, a full state filesystem,
journald going away and coming back, a hotline that swallows connections, and the wall clock
stepped. In each, sessions are still warned and locked on time and no alert is lost."""
import datetime
import json
import os
import random
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import DEADLINE, JournalFollower, ROOT, build_preload, unique
from hotline import RAW_SUBJECT, Hotline, alerting_daemon, card_swap

IDLE = {"idle_timeout": "4s", "warn_before": "2s"}
KILL_ITERATIONS = int(os.environ.get("KIOSKGUARD_KILL_ITERATIONS", "200"))


def wait_until(what, predicate, timeout=DEADLINE):
    """Polls `predicate` until it holds, for state with no event to wait on (a file, a process)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.05)


def idle_session(daemon, terminal, session="s-idle"):
    client = daemon.client(terminal)
    client.send("session.begin", session=session, subject=RAW_SUBJECT)
    client.ping()
    return client


def assert_warned_then_locked(client, session="s-idle"):
    assert client.next_message()["type"] == "warn"
    assert client.next_message() == {"type": "lock", "session": session, "reason": "idle"}


def test_kill_nine_at_random_points_loses_no_alert_and_restarts_with_every_session_locked(daemons, workdir, journal, hotline):
    """KIOSKGUARD_KILL_ITERATIONS kills (200 by default) at random points while alerts are being
    queued and delivered and a session is open on a second terminal. After a final start every
    alert ever queued arrives at least once, and the open session is back, locked."""
    hotline.delay = 0.05
    hotline.start()
    swapper, keeper = unique(), unique()
    daemon = alerting_daemon(daemons, workdir, hotline, swapper, more_terminals=[keeper])
    generator = random.Random()
    seed = generator.randrange(1 << 30)
    generator.seed(seed)
    for iteration in range(KILL_ITERATIONS):
        daemon.start()
        kept = daemon.client(keeper)
        kept.send("session.begin", session=f"keep-{iteration}", subject=RAW_SUBJECT)
        client = daemon.client(swapper)
        for swap in range(2):
            client.send("session.begin", session=f"s-{iteration}-{swap}", subject=RAW_SUBJECT)
            client.send("card.inserted", subject=f"newcomer-{iteration}-{swap}")
        # Fault injection: the kill lands at a random point of queueing and delivering.
        time.sleep(generator.uniform(0.0, 0.15))
        daemon.kill()
    daemon.start()
    # Every queue record was written before its daemon died; reading up to the final start's
    # own record reads them all.
    journal.wait_for(KIOSKGUARD_EVENT="daemon-started", _PID=str(daemon.process.pid))
    queued = {e["KIOSKGUARD_ALERT_ID"] for e in journal.matching(KIOSKGUARD_EVENT="alert-queued")}
    assert len(queued) >= KILL_ITERATIONS, f"seed {seed}: only {len(queued)} alerts were queued at all"
    hotline.wait_for(lambda requests: queued <= {r.json["id"] for r in requests}, timeout=120)
    delivered = hotline.delivered_ids()
    open_sessions = daemon.control("sessions")["result"]
    (workdir.parent / "kioskguard-kill-loop.json").write_text(json.dumps(
        {"iterations": KILL_ITERATIONS, "alerts_queued": len(queued), "requests": len(delivered),
         "duplicates": len(delivered) - len(set(delivered)), "lost": len(queued - set(delivered)),
         "open_sessions_after_restart": open_sessions}))
    assert queued <= set(delivered), f"seed {seed}"
    assert [row["terminal"] for row in open_sessions] == [keeper], f"seed {seed}: {open_sessions}"
    assert re.fullmatch(r"keep-\d+", open_sessions[0]["session"]) and open_sessions[0]["state"] == "locked"


def test_a_service_manager_that_stops_reading_notifications_stalls_nothing(daemons):
    """The notify socket queues 10 datagrams (net.unix.max_dgram_qlen); the test never reads it
    after READY, and a 200 ms watchdog makes the daemon ping it every 100 ms. sd_notify would
    block on the full queue; the daemon's event loop must not, so sessions still lock on time."""
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}], policy=IDLE,
                     env={"WATCHDOG_USEC": "200000"}).start()
    client = idle_session(daemon, name)
    assert_warned_then_locked(client)
    assert daemon.control("status")["ok"]


@pytest.fixture
def tiny_filesystem(workdir):
    """A 4 MiB tmpfs for the state directory, unmounted afterwards."""
    mount = workdir / "state"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory):
    """Writes a filler file until the filesystem refuses more; returns it."""
    filler = directory / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(descriptor, b"\0" * 4096) > 0:
            pass
    except OSError as error:
        assert error.errno == 28, error
    finally:
        os.close(descriptor)
    return filler


def test_a_full_state_filesystem_stops_no_lock_is_loud_and_recovers(daemons, workdir, journal, hotline, tiny_filesystem):
    hotline.start()
    name = unique()
    daemon = alerting_daemon(daemons, workdir, hotline, name, policy=IDLE)
    daemon.start()
    filler = fill(tiny_filesystem)
    # While nothing can be written: a session is still warned and locked on time, and an
    # anomaly's alert waits in memory.
    client = idle_session(daemon, name)
    assert_warned_then_locked(client)
    journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=name)
    assert journal.wait_for(containing="cannot persist session state")["PRIORITY"] == "2"
    card_swap(client, "s-swap", "newcomer")
    assert journal.wait_for(containing="cannot commit 1 alerts")["PRIORITY"] == "2"
    assert not journal.matching(KIOSKGUARD_EVENT="alert-queued")
    # Space returns: the state is persisted and the alert is queued and delivered.
    filler.unlink()
    journal.wait_for(containing="state directory writable again")
    queued = journal.wait_for(KIOSKGUARD_EVENT="alert-queued")
    assert journal.wait_for(containing="alerts committed again")["PRIORITY"] == "5"
    hotline.wait_for(lambda requests: queued["KIOSKGUARD_ALERT_ID"] in {r.json["id"] for r in requests})
    # The loud entries came once each, not once per retry.
    for loud in ("cannot persist", "cannot commit"):
        assert len([e for e in journal.entries if loud in e.get("MESSAGE", "")]) == 1, loud


def test_journald_stopped_and_restarted_under_the_daemon(daemons, workdir):
    """While journald is gone the records go to stderr and sessions are still locked; once it is
    back, the daemon's records are in the journal again without a restart."""
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}], policy=IDLE).start()
    journald = subprocess.run(["pgrep", "-x", "systemd-journal"], capture_output=True, text=True).stdout.split()
    assert journald, "the integration tier needs a running journald"
    try:
        subprocess.run(["kill", "-TERM", *journald], check=True)
        wait_until("journald's exit", lambda: not any(os.path.exists(f"/proc/{pid}") for pid in journald))
        client = idle_session(daemon, name)
        assert_warned_then_locked(client)
        # The record follows the lock message by microseconds; stderr is a file, so it is polled.
        wait_until("the session-locked record on stderr",
                   lambda: any("KIOSKGUARD_EVENT=session-locked" in line and name in line for line in daemon.stderr().splitlines()))
    finally:
        subprocess.run([str(ROOT / "scripts" / "ensure-journald.sh")], check=True)
    journal = JournalFollower()
    try:
        client.send("auth.verified", session="s-idle", subject=RAW_SUBJECT)
        journal.wait_for(KIOSKGUARD_EVENT="session-unlocked", KIOSKGUARD_TERMINAL=name)
    finally:
        journal.close()


# JournalQueue's limit: with this many entries waiting, the daemon stops reading kiosk apps.
JOURNAL_BACKLOG_LIMIT = 16_384


def test_a_journald_that_stops_reading_stops_no_lock(daemons, workdir):
    """journald alive but not reading (stopped, as one stuck on its disk would be): the daemon's
    journal writer blocks and entries pile up. Past the backlog limit the daemon stops reading
    the kiosk apps, but its loop does not wait: a session on another terminal is still warned and
    locked. Once journald reads again every request is answered and recorded."""
    flooder, idle = unique(), unique()
    terminals = [{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]} for name in (flooder, idle)]
    daemon = daemons(terminals, policy={"idle_timeout": "15s", "warn_before": "5s"}).start()
    requests = JOURNAL_BACKLOG_LIMIT + 4_000
    flood = daemon.client(flooder)
    flood.send("session.begin", session="s-flood", subject=RAW_SUBJECT)
    flood.ping()
    client = idle_session(daemon, idle)
    journald = subprocess.run(["pgrep", "-x", "systemd-journal"], capture_output=True, text=True).stdout.split()
    assert journald, "the integration tier needs a running journald"
    lines = b"".join(json.dumps({"type": "step.request", "id": f"r{index}", "session": "s-flood", "step": "overview"}).encode() + b"\n"
                     for index in range(requests))
    writer = threading.Thread(target=flood.sock.sendall, args=(lines,), daemon=True)

    def decision():
        # The flooding session is not read while the journal is pressed, so it is warned and
        # locked for idleness too; its step requests are answered all the same.
        while (message := flood.next_message())["type"] in ("warn", "lock"):
            assert message["session"] == "s-flood", message
        assert message["type"] == "step.decision", message

    try:
        subprocess.run(["kill", "-STOP", *journald], check=True)
        writer.start()
        # Every decision is a journal entry: this many answered and the backlog is at its limit.
        for _ in range(JOURNAL_BACKLOG_LIMIT):
            decision()
        assert client.messages.empty(), "the idle session was warned before the backlog was full: this proves nothing"
        assert_warned_then_locked(client)
        assert flood.messages.qsize() < requests - JOURNAL_BACKLOG_LIMIT, "every request was answered while journald read nothing"
    finally:
        subprocess.run(["kill", "-CONT", *journald], check=True)
    for _ in range(requests - JOURNAL_BACKLOG_LIMIT):
        decision()
    writer.join(DEADLINE)
    assert not writer.is_alive()
    wait_until("every step decision in the journal",
               lambda: journal_count(KIOSKGUARD_TERMINAL=flooder, KIOSKGUARD_STEP="overview") >= requests, timeout=60)


def journal_count(**fields):
    matches = [f"{name}={value}" for name, value in fields.items()]
    listed = subprocess.run(["journalctl", "--no-pager", "-o", "cat", *matches], capture_output=True, text=True, check=True)
    return len(listed.stdout.splitlines())


class BlackHole:
    """A TCP listener that accepts connections and never answers, not even to close them."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self):
        self.running = False
        # shutdown wakes the accept() blocked in the other thread; close alone would not.
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for connection in self.accepted:
            connection.close()


def test_a_black_hole_hotline_blocks_nothing_and_gets_every_alert_once_it_answers(daemons, workdir, journal, hotline):
    """The primary endpoint swallows connections; the secondary works. Alerts reach the secondary
    at once, sessions lock on time, and the primary gets the same alert ids once it answers."""
    hole = BlackHole()
    hotline.start()
    name = unique()
    secondary = f'[[hotline]]\nname = "secondary"\nurl = "{hotline.url}"\ntimeout = "2s"\n'
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}], policy=IDLE,
                     extra='[alerts]\nretry_base = "100ms"\nretry_cap = "500ms"\n'
                           f'[[hotline]]\nname = "primary"\nurl = "http://127.0.0.1:{hole.port}/alerts"\ntimeout = "1s"\n' + secondary)
    daemon.start()
    try:
        client = daemon.client(name)
        card_swap(client, "s-swap", "newcomer")
        alert = journal.wait_for(KIOSKGUARD_EVENT="alert-queued")["KIOSKGUARD_ALERT_ID"]
        hotline.wait_for(lambda requests: alert in {r.json["id"] for r in requests})
        retry = journal.wait_for(KIOSKGUARD_EVENT="alert-retry", KIOSKGUARD_ENDPOINT="primary")
        assert "time" in retry["MESSAGE"].lower(), retry["MESSAGE"]
        client.send("session.begin", session="s-after", subject=RAW_SUBJECT)
        assert_warned_then_locked(client, "s-after")
        status = daemon.control("status")["result"]
        assert status["alerts_pending"] == {"primary": 1, "secondary": 0}, status
    finally:
        hole.close()
    # The black hole becomes a real receiver on the same port.
    revived = Hotline(workdir)
    revived.port = hole.port
    revived.start()
    try:
        revived.wait_for(lambda requests: alert in {r.json["id"] for r in requests}, timeout=30)
    finally:
        revived.stop()


@pytest.fixture
def wallclock_shift(workdir):
    """Builds wallclock_shift.c, which steps one process's wall clock (see why there)."""
    return build_preload(workdir, "wallclock_shift.c")


def test_the_wall_clock_stepped_an_hour_each_way_causes_no_spurious_or_missed_lock(daemons, workdir, hotline, wallclock_shift):
    """The daemon's wall clock jumps an hour forward, then back, while an idle session waits for
    its warning and lock; its timers run on CLOCK_MONOTONIC, so both come when the policy says.
    A test alert's `time` proves the daemon did see each step."""
    hotline.start()
    shift = workdir / "wallclock.shift"
    shift.write_text("0\n")
    names = {3600: unique(), -3600: unique()}
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]} for name in names.values()],
                     policy={"idle_timeout": "6s", "warn_before": "2s"},
                     extra=f'[[hotline]]\nname = "primary"\nurl = "{hotline.url}"\n',
                     env={"LD_PRELOAD": str(wallclock_shift), "KIOSKGUARD_WALLCLOCK_SHIFT_FILE": str(shift)}).start()
    for alerts, (step, name) in enumerate(names.items(), start=1):
        client = idle_session(daemon, name, session=f"s{step}")
        began = time.monotonic()
        shift.write_text(f"{step}\n")
        assert client.next_message()["type"] == "warn"
        warned = time.monotonic() - began
        assert client.next_message() == {"type": "lock", "session": f"s{step}", "reason": "idle"}
        locked = time.monotonic() - began
        # Due at 4 s and 6 s: never early (a spurious lock), and late by 2 s at most (a missed one).
        assert 3.5 < warned < 6.0 and 5.5 < locked < 8.0, f"step {step}: warned after {warned:.2f} s, locked after {locked:.2f} s"
        assert daemon.control("alerts.test")["ok"]
        request = hotline.wait_for(lambda requests: len(requests) == alerts)[-1]
        seen = datetime.datetime.fromisoformat(request.json["time"].replace("Z", "+00:00")).timestamp()
        assert abs(seen - (time.time() + step)) < 60, f"the daemon's wall clock did not move by {step} s"
        shift.write_text("0\n")
