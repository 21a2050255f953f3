"""Hostile peers: each misbehaves on its own connection while a well-behaved kiosk app's idle
session still warns and locks, the daemon keeps answering, its memory stays bounded, and the
journal holds a summary of the refusals, never one entry per bad line, so journald drops nothing."""
import json
import os
import resource
import select
import socket
import subprocess
import time

from conftest import DEADLINE, read_line, unique

# journald's "Suppressed N messages" entry: the daemon must never log so much that it appears.
JOURNALD_SUPPRESSED = "a596d6fe7bfa4994828e72309e95d61e"
IDLE = {"idle_timeout": "4s", "warn_before": "2s"}


def terminal(name):
    return {"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}


def hello(sock, name):
    sock.sendall(json.dumps({"type": "hello", "terminal": name, "protocol": 1}).encode() + b"\n")
    assert json.loads(read_line(sock))["type"] == "welcome"


def victim_session(daemon, name):
    """A kiosk app that behaves, with an idle session whose warn and lock are due in 2 and 4 s."""
    client = daemon.client(name)
    client.send("session.begin", session="s-victim", subject="310129-954F")
    client.ping()
    return client


def hostile_beside_victim(daemons):
    """A daemon with a hostile peer's terminal, already bound, beside a victim's idle session:
    (daemon, the victim's client, the hostile socket, the hostile terminal's name)."""
    hostile, victim = unique(), unique()
    daemon = daemons([terminal(hostile), terminal(victim)], policy=IDLE).start()
    client = victim_session(daemon, victim)
    sock = daemon.raw()
    hello(sock, hostile)
    return daemon, client, sock, hostile


def assert_victim_unharmed(daemon, client, journal):
    """The victim's app got its warning and its lock, the journal shows the lock 4 s after the
    session began, as the policy says (not early; late by 2 s at most, a generous deadline for
    correctness, not a benchmark), and the daemon's memory stayed bounded."""
    assert peak_memory_kib(daemon) < MEMORY_BOUND_KIB
    assert client.next_message()["type"] == "warn"
    assert client.next_message() == {"type": "lock", "session": "s-victim", "reason": "idle"}
    begun = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=client.terminal)
    locked = journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=client.terminal)
    delay = (int(locked["__REALTIME_TIMESTAMP"]) - int(begun["__REALTIME_TIMESTAMP"])) / 1e6
    # Journal timestamps are when journald received each entry: a few ms either way.
    assert 3.9 <= delay < 6.0, f"the victim's session locked {delay:.3f} s after it began, not 4 s"


def peak_memory_kib(daemon):
    """The daemon's peak resident memory so far (VmHWM)."""
    status = open(f"/proc/{daemon.process.pid}/status").read()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


# The debug build serves a few terminals in about 20 MiB; a peer that could make the daemon
# hold what it sends would pass this at once.
MEMORY_BOUND_KIB = 96 * 1024


def refusal_summaries(journal, terminal, expected_total):
    """The protocol-errors entries for `terminal`, once their counts add up to `expected_total`."""
    def total():
        return sum(int(part.split("=")[1]) for entry in journal.matching(KIOSKGUARD_EVENT="protocol-errors", KIOSKGUARD_TERMINAL=terminal)
                   for part in entry["KIOSKGUARD_REASON"].split(","))
    journal.read_until(lambda entry: total() >= expected_total)
    assert total() == expected_total
    return journal.matching(KIOSKGUARD_EVENT="protocol-errors", KIOSKGUARD_TERMINAL=terminal)


def suppressions_since(since):
    out = subprocess.run(["journalctl", f"--since=@{since}", f"MESSAGE_ID={JOURNALD_SUPPRESSED}", "-o", "cat"],
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_a_flood_of_malformed_lines_is_all_answered_and_harms_no_one(daemons, journal):
    since = int(time.time()) - 1
    daemon, client, sock, flooder = hostile_beside_victim(daemons)
    # Malformed but framed: each gets an error and the connection stays open (broken JSON or
    # UTF-8 would close it, which test_peers.py covers).
    malformed = b'{"type":"nonsense"}\n{"type":"activity"}\n{"type":"activity","session":7}\n'
    lines = 3 * 33_334
    # As fast as the daemon answers: each burst of 999 lines goes out once the answers to the
    # previous one are in, the way a peer that reads its replies can push hardest (one that does
    # not read is the next test).
    answered, first = 0, b""
    for burst in range(lines // 999 + 1):
        count = min(999, lines - burst * 999) // 3
        if count == 0:
            break
        sock.sendall(malformed * count)
        while answered < burst * 999 + count * 3:
            chunk = sock.recv(1 << 20)
            assert chunk, f"closed after {answered} answers"
            first += chunk if len(first) < 4096 else b""
            answered += chunk.count(b"\n")
    assert_victim_unharmed(daemon, client, journal)
    assert answered == lines
    codes = [json.loads(line)["code"] for line in first.split(b"\n")[:3]]
    assert codes == ["unknown-type", "missing-field", "bad-field"], codes
    assert daemon.control("status")["ok"]
    sock.close()
    # One summary when the flood began and one when it ended, the counts by code.
    summaries = refusal_summaries(journal, flooder, lines)
    assert len(summaries) <= 3, [e["MESSAGE"] for e in summaries]
    assert summaries[-1]["KIOSKGUARD_REASON"].split(",")[0].startswith("bad-field=")
    assert summaries[0]["PRIORITY"] == "4" and summaries[0]["KIOSKGUARD_PEER_UID"] == "0"
    assert suppressions_since(since) == []


def test_a_peer_that_never_reads_its_replies_is_closed_and_harms_no_one(daemons, journal):
    daemon, client, sock, greedy = hostile_beside_victim(daemons)
    sock.settimeout(DEADLINE)
    # Pings whose pongs it never reads: the daemon's output buffer for it fills up.
    try:
        for _ in range(2_000):
            sock.sendall(b'{"type":"ping","id":"never-read"}\n' * 1_000)
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed by the daemon: what is expected
    closed = journal.wait_for(KIOSKGUARD_EVENT="protocol-errors", KIOSKGUARD_TERMINAL=greedy, KIOSKGUARD_REASON="not-reading")
    assert "does not read its replies" in closed["MESSAGE"]
    assert_victim_unharmed(daemon, client, journal)


def test_a_peer_that_sends_one_byte_a_second_is_closed_at_the_hello_deadline(daemons, journal):
    """A slow-loris peer: its hello trickles in a byte a second, so it never completes within
    hello_timeout (5 s here). Meanwhile another terminal's session warns and locks on time."""
    dripper, victim = unique(), unique()
    daemon = daemons([terminal(dripper), terminal(victim)], policy=IDLE).start()
    client = victim_session(daemon, victim)
    sock = daemon.raw()
    started = time.monotonic()
    hello_line = json.dumps({"type": "hello", "terminal": dripper, "protocol": 1}).encode() + b"\n"
    reply = b""
    for byte in hello_line:
        # The pacing is the misbehaviour under test, not a wait for the daemon.
        ready = select.select([sock], [], [], 1.0)[0]
        if ready:
            reply = sock.recv(4096)
            break
        sock.sendall(bytes([byte]))
    assert json.loads(reply)["code"] == "hello-first", reply
    assert 4.0 < time.monotonic() - started < DEADLINE
    assert sock.recv(1) == b""
    assert_victim_unharmed(daemon, client, journal)
    summary = journal.wait_for(KIOSKGUARD_EVENT="protocol-errors", KIOSKGUARD_REASON="hello-first=1")
    assert "KIOSKGUARD_TERMINAL" not in summary, "the dripper never named itself"


def test_invalid_utf8_closes_only_that_connection(daemons, journal):
    daemon, client, sock, broken = hostile_beside_victim(daemons)
    sock.sendall(b'{"type":"session.begin","session":"s-1","subject":"\xed\xa0\x80"}\n')
    assert json.loads(read_line(sock))["code"] == "bad-json"
    assert sock.recv(1) == b""
    assert journal.wait_for(KIOSKGUARD_EVENT="protocol-errors", KIOSKGUARD_TERMINAL=broken)["KIOSKGUARD_REASON"] == "bad-json=1"
    assert_victim_unharmed(daemon, client, journal)


UNLISTED_PEER = """
import json, socket, sys
replies = []
for path, line in ((sys.argv[1], {"type": "hello", "terminal": sys.argv[3], "protocol": 1}), (sys.argv[2], {"id": "1", "verb": "lock", "target": sys.argv[4]})):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    sock.sendall(json.dumps(line).encode() + b"\\n")
    replies.append(json.loads(sock.makefile().readline()))
print(json.dumps(replies))
"""


def test_a_peer_of_an_unlisted_uid_is_refused_on_both_sockets(daemons, journal):
    victim = unique()
    daemon = daemons([terminal(victim)], policy=IDLE).start()
    client = victim_session(daemon, victim)
    # Sockets opened to everyone, as a careless admin might: SO_PEERCRED still decides.
    for path in (daemon.events, daemon.control_path, daemon.events.parent):
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    result = subprocess.run(["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c", UNLISTED_PEER,
                             str(daemon.events), str(daemon.control_path), victim, victim],
                            capture_output=True, text=True, timeout=DEADLINE)
    event_reply, control_reply = json.loads(result.stdout)
    assert event_reply["code"] == "terminal-not-allowed"
    assert control_reply["ok"] is False and control_reply["error"]["code"] == "permission-denied"
    # Refusals of one uid are recorded once a minute at most: the first one is in the journal.
    journal.wait_for(KIOSKGUARD_EVENT="terminal-denied", KIOSKGUARD_PEER_UID="65534")
    assert_victim_unharmed(daemon, client, journal)


def test_deeply_nested_json_is_refused_and_the_connection_stays_usable(daemons):
    name = unique()
    daemon = daemons([terminal(name)]).start()
    sock = daemon.raw()
    hello(sock, name)
    # 1,000 levels in 2 KB, within the line limit (a longer line is refused for its length alone).
    sock.sendall(b'{"type":"activity","session":' + b"[" * 1_000 + b"]" * 1_000 + b"}\n")
    assert json.loads(read_line(sock))["code"] == "bad-json"
    sock.sendall(b'{"type":"ping","id":"alive"}\n')
    assert json.loads(read_line(sock)) == {"type": "pong", "id": "alive"}


def test_five_thousand_connections_at_once_are_bounded_and_harm_no_one(daemons, journal):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 20_000)), hard))
    victim = unique()
    daemon = daemons([terminal(victim)], policy=IDLE).start()
    client = victim_session(daemon, victim)
    crowd = []
    try:
        for _ in range(5_000):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(str(daemon.events))
            crowd.append(sock)
        # Beyond max_connections (1024) the daemon closes new connections at once and says so, once.
        journal.wait_for(containing="the connection limit is reached")
        assert_victim_unharmed(daemon, client, journal)
        assert daemon.control("status")["ok"]
        assert len(journal.matching()) < 100, "the limit must be logged once, not per connection"
    finally:
        for sock in crowd:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
