"""Peers the daemon must refuse or bound: foreign uids, oversized lines, silence, busy terminals."""
import json
import os
import subprocess
import time

import pytest

from conftest import DEADLINE, read_line, unique

CLIENT = """
import json, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.settimeout(10)
sock.connect(sys.argv[1])
sock.sendall((json.dumps({"type": "hello", "terminal": sys.argv[2], "protocol": 1}) + "\\n").encode())
data = b""
while True:
    chunk = sock.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode(), end="")
"""


def test_a_user_the_terminal_does_not_admit_is_refused_and_logged(daemons, journal):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    # Open the socket to everyone, as a careless admin might: SO_PEERCRED still decides.
    os.chmod(daemon.events, 0o666)
    os.chmod(daemon.events.parent, 0o755)
    result = subprocess.run(["runuser", "-u", "nobody", "--", "/usr/bin/python3", "-c", CLIENT, str(daemon.events), name],
                            capture_output=True, text=True, timeout=DEADLINE)
    reply = json.loads(result.stdout.strip())
    assert reply["type"] == "error" and reply["code"] == "terminal-not-allowed"
    denied = journal.wait_for(KIOSKGUARD_EVENT="terminal-denied", KIOSKGUARD_TERMINAL=name)
    assert denied["KIOSKGUARD_PEER_UID"] == "65534"
    assert denied["PRIORITY"] == "4"
    assert journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="ipc.denied")["KIOSKGUARD_SEVERITY"] == "medium"


def test_a_terminal_with_nobody_allowed_admits_nobody_not_even_root(daemons):
    name = unique()
    daemon = daemons([{"name": name}]).start()
    with pytest.raises(RuntimeError, match="terminal-not-allowed"):
        daemon.client(name)


def test_an_oversized_line_is_answered_and_the_connection_closed(daemons):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    sock = daemon.raw()
    sock.sendall(json.dumps({"type": "hello", "terminal": name, "protocol": 1}).encode() + b"\n")
    assert json.loads(read_line(sock))["type"] == "welcome"
    sock.sendall(b"x" * (16 * 1024 + 1) + b"\n")
    reply = json.loads(read_line(sock))
    assert reply["code"] == "line-too-long"
    assert sock.recv(1) == b""


def test_first_message_must_be_hello(daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    sock = daemon.raw()
    sock.sendall(b'{"type":"activity","session":"s"}\n')
    assert json.loads(read_line(sock))["code"] == "hello-first"
    assert sock.recv(1) == b""


def test_a_second_connection_for_a_terminal_is_busy(daemons):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    daemon.client(name)
    sock = daemon.raw()
    sock.sendall(json.dumps({"type": "hello", "terminal": name, "protocol": 1, "id": "h"}).encode() + b"\n")
    reply = json.loads(read_line(sock))
    assert reply == {"type": "error", "code": "terminal-busy", "message": f"terminal {name} is held by another connection", "id": "h"}


def test_after_terminal_busy_only_a_hello_is_accepted(daemons):
    """As protocol.md says: the refused connection stays open for another hello, which succeeds
    once the holder has gone; anything else gets hello-first and the connection is closed."""
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    holder = daemon.raw()
    hello = json.dumps({"type": "hello", "terminal": name, "protocol": 1}).encode() + b"\n"
    holder.sendall(hello)
    assert json.loads(read_line(holder))["type"] == "welcome"
    waiting = daemon.raw()
    waiting.sendall(hello)
    assert json.loads(read_line(waiting))["code"] == "terminal-busy"
    holder.close()
    retried = None
    deadline = time.monotonic() + DEADLINE
    while retried != "welcome":
        assert time.monotonic() < deadline, "a hello retried after the holder left was never welcomed"
        waiting.sendall(hello)
        retried = json.loads(read_line(waiting)).get("type")
    refused = daemon.raw()
    refused.sendall(hello)
    assert json.loads(read_line(refused))["code"] == "terminal-busy"
    refused.sendall(b'{"type":"activity","session":"s-1","id":"a"}\n')
    assert json.loads(read_line(refused)) == {"type": "error", "code": "hello-first",
                                              "message": "the first message on a connection must be hello", "id": "a"}
    assert refused.recv(1) == b""


def test_a_peer_that_never_says_hello_is_closed(daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    sock = daemon.raw()
    reply = json.loads(read_line(sock))
    assert reply["code"] == "hello-first" and "no hello within" in reply["message"]
    assert sock.recv(1) == b""


def test_invalid_utf8_closes_the_connection(daemons):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    sock = daemon.raw()
    sock.sendall(json.dumps({"type": "hello", "terminal": name, "protocol": 1}).encode() + b"\n")
    read_line(sock)
    sock.sendall(b'{"type":"card.inserted","subject":"\xc0\xaf"}\n')
    assert json.loads(read_line(sock))["code"] == "bad-json"
    assert sock.recv(1) == b""
