"""kioskguard-bridge, the native-messaging host of browser kiosks (contract section 9), as a
browser runs it: a process fed native messages on stdin, answering on stdout, against the real
daemon. It is kioskguardd started under the bridge's name, as the package installs it."""
import json
import os
import select
import signal
import struct
import subprocess
import time

import pytest

from conftest import DAEMON, DEADLINE, unique

CANARY = "310129-954F-CANARY"


@pytest.fixture
def bridge_path(workdir):
    path = workdir / "kioskguard-bridge"
    path.symlink_to(DAEMON.resolve())
    return path


class Bridge:
    """One bridge process, spoken to as a browser does."""

    def __init__(self, path, socket_path):
        self.process = subprocess.Popen([str(path), "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=dict(os.environ, KIOSKGUARD_EVENTS_SOCKET=str(socket_path)))
        self.pending = b""

    def send(self, message):
        self.send_raw(json.dumps(message).encode())

    def send_raw(self, payload, length=None):
        self.process.stdin.write(struct.pack("=I", len(payload) if length is None else length) + payload)
        self.process.stdin.flush()

    def _read(self, count, deadline):
        while len(self.pending) < count:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the bridge said nothing within {DEADLINE}s; has {self.pending!r}"
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 1 << 20)
                assert chunk, f"the bridge closed its stdout; stderr: {self.process.stderr.read().decode(errors='replace')}"
                self.pending += chunk
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def receive(self):
        deadline = time.monotonic() + DEADLINE
        (length,) = struct.unpack("=I", self._read(4, deadline))
        return json.loads(self._read(length, deadline))

    def receive_until(self, predicate):
        while not predicate(message := self.receive()):
            pass
        return message

    def exit_code(self):
        self.process.stdin.close()
        return self.process.wait(timeout=DEADLINE)

    def stderr(self):
        return self.process.stderr.read().decode(errors="replace")


def bound_bridge(daemons, bridge_path):
    """A daemon with one terminal for root, and a bridge connected and bound to it by hello."""
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    bridge = Bridge(bridge_path, daemon.events)
    assert bridge.receive() == {"type": "bridge.daemon", "state": "connected"}
    bridge.send({"type": "hello", "terminal": name, "protocol": 1})
    assert bridge.receive()["type"] == "welcome"
    return daemon, bridge


def test_the_bridge_relays_a_browser_session_and_the_browser_leaving_is_client_lost(daemons, journal, bridge_path):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}]).start()
    bridge = Bridge(bridge_path, daemon.events)
    assert bridge.receive() == {"type": "bridge.daemon", "state": "connected"}
    bridge.send({"type": "hello", "id": "h", "terminal": "auto", "protocol": 1, "client": "kioskguard-extension/0.1"})
    welcome = bridge.receive()
    assert welcome["type"] == "welcome" and welcome["terminal"] == name and welcome["id"] == "h", welcome
    # Pretty-printed JSON has line breaks between tokens: still one protocol line to the daemon.
    bridge.send_raw(json.dumps({"type": "session.begin", "session": "s-1", "subject": CANARY}, indent=2).encode())
    bridge.send({"type": "ping", "id": "p"})
    assert bridge.receive() == {"type": "pong", "id": "p"}
    assert journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)
    assert bridge.exit_code() == 0
    lost = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="client.lost")
    assert lost["KIOSKGUARD_SESSION"] == "s-1"
    assert CANARY not in bridge.stderr()


def test_bad_messages_get_clear_errors_and_the_bridge_goes_on(daemons, bridge_path):
    daemon, bridge = bound_bridge(daemons, bridge_path)
    for payload, code in [(b'{"type":"ping","id":"\xff' + CANARY.encode() + b'"}', "bad-utf8"), (b"[1,2]", "bad-json"),
                          (b'{"type":"ping"', "bad-json"), (b"", "bad-json"), (('{"a":' * 40 + "1" + "}" * 40).encode(), "bad-json")]:
        bridge.send_raw(payload)
        refusal = bridge.receive()
        assert refusal["type"] == "bridge.error" and refusal["code"] == code, (payload, refusal)
        assert CANARY not in refusal["message"]
    # Nothing malformed reached the daemon: the next answer is this ping's pong, not an error.
    bridge.send({"type": "ping", "id": "after"})
    assert bridge.receive() == {"type": "pong", "id": "after"}
    assert daemon.control("status")["ok"]
    assert bridge.exit_code() == 0
    assert CANARY not in bridge.stderr()


@pytest.mark.parametrize("framing, code", [
    (lambda bridge: bridge.send_raw(b"", length=0xFFFFFFFF), "frame-too-long"),
    (lambda bridge: bridge.send_raw(b'{"type":', length=100), "truncated-frame"),
    (lambda bridge: bridge.process.stdin.write(b"\x05\x00"), "truncated-frame"),
])
def test_a_broken_frame_is_reported_and_ends_the_bridge_leaving_the_daemon_unharmed(daemons, bridge_path, framing, code):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    bridge = Bridge(bridge_path, daemon.events)
    assert bridge.receive()["state"] == "connected"
    framing(bridge)
    if code == "truncated-frame":
        bridge.process.stdin.close()
    refusal = bridge.receive()
    assert refusal["type"] == "bridge.error" and refusal["code"] == code, refusal
    assert bridge.process.wait(timeout=DEADLINE) == 1
    assert ("over the limit" if code == "frame-too-long" else "ended inside") in bridge.stderr()
    assert daemon.control("status")["ok"]


def test_ten_thousand_frames_at_once_are_all_answered_in_bounded_memory(daemons, bridge_path):
    daemon, bridge = bound_bridge(daemons, bridge_path)
    bridge.send({"type": "session.begin", "session": "s-1", "subject": CANARY})
    frames = b"".join(struct.pack("=I", len(p)) + p for p in [json.dumps({"type": "ping", "id": f"p{i}"}).encode() for i in range(10_000)])
    bridge.process.stdin.write(frames)
    bridge.process.stdin.flush()
    assert bridge.receive_until(lambda m: m.get("id") == "p9999") == {"type": "pong", "id": "p9999"}
    with open(f"/proc/{bridge.process.pid}/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    assert peak_kib < 64 * 1024, peak_kib
    assert daemon.control("status")["ok"]
    assert bridge.exit_code() == 0


def test_the_daemon_going_away_is_said_and_the_bridge_reconnects(daemons, bridge_path):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    bridge = Bridge(bridge_path, daemon.events)
    assert bridge.receive()["state"] == "connected"
    daemon.kill(signal.SIGTERM)
    assert bridge.receive() == {"type": "bridge.daemon", "state": "lost"}
    bridge.send({"type": "ping", "id": "while-away"})
    assert bridge.receive()["code"] == "daemon-unavailable"
    daemon.start()
    assert bridge.receive() == {"type": "bridge.daemon", "state": "connected"}
    bridge.send({"type": "ping", "id": "back"})
    assert bridge.receive()["id"] == "back"
    assert bridge.exit_code() == 0


def test_print_manifest_names_the_bridge_and_refuses_a_bad_extension_id(bridge_path):
    shown = subprocess.run([str(bridge_path), "--print-manifest", "chromium", "--extension-id", "a" * 32],
                           capture_output=True, text=True, timeout=DEADLINE)
    manifest = json.loads(shown.stdout)
    assert manifest == {"name": "kioskguard.bridge", "description": manifest["description"], "path": str(bridge_path),
                        "type": "stdio", "allowed_origins": [f"chrome-extension://{'a' * 32}/"]}
    refused = subprocess.run([str(bridge_path), "--print-manifest", "chromium", "--extension-id", "not-an-id"],
                             capture_output=True, text=True, timeout=DEADLINE)
    assert refused.returncode == 64 and "not a Chromium extension id" in refused.stderr
