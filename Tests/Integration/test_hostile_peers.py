"""Hostile peers: each misbehaves on its own connection while a well-behaved kiosk app's idle
session still warns and locks, the daemon keeps answering, and journald drops nothing."""
import json
import resource
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


def assert_still_locks_on_time(client):
    assert client.next_message()["type"] == "warn"
    assert client.next_message() == {"type": "lock", "session": "s-victim", "reason": "idle"}


def suppressions_since(since):
    out = subprocess.run(["journalctl", f"--since=@{since}", f"MESSAGE_ID={JOURNALD_SUPPRESSED}", "-o", "cat"],
                         capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_a_flood_of_malformed_lines_is_all_answered_and_harms_no_one(daemons):
    since = int(time.time()) - 1
    flooder, victim = unique(), unique()
    daemon = daemons([terminal(flooder), terminal(victim)], policy=IDLE).start()
    client = victim_session(daemon, victim)
    sock = daemon.raw()
    hello(sock, flooder)
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
    assert_still_locks_on_time(client)
    assert answered == lines
    codes = [json.loads(line)["code"] for line in first.split(b"\n")[:3]]
    assert codes == ["unknown-type", "missing-field", "bad-field"], codes
    assert daemon.control("status")["ok"]
    assert suppressions_since(since) == []


def test_a_peer_that_never_reads_its_replies_is_closed_and_harms_no_one(daemons, journal):
    greedy, victim = unique(), unique()
    daemon = daemons([terminal(greedy), terminal(victim)], policy=IDLE).start()
    client = victim_session(daemon, victim)
    sock = daemon.raw()
    hello(sock, greedy)
    sock.settimeout(DEADLINE)
    # Pings whose pongs it never reads: the daemon's output buffer for it fills up.
    try:
        for _ in range(2_000):
            sock.sendall(b'{"type":"ping","id":"never-read"}\n' * 1_000)
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed by the daemon: what is expected
    journal.wait_for(containing="does not read its replies")
    assert_still_locks_on_time(client)


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
        assert_still_locks_on_time(client)
        assert daemon.control("status")["ok"]
        assert len(journal.matching()) < 100, "the limit must be logged once, not per connection"
    finally:
        for sock in crowd:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
