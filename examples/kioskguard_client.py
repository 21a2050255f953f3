#!/usr/bin/env python3
"""A minimal kioskguard client: the model for kiosk apps written in other languages.

It speaks event protocol v1 (docs/protocol.md) over the events socket: newline-delimited JSON,
`hello` first, then session events. Messages from the daemon arrive on a reader thread and are
handed to `on_message`; `request_step` waits for the matching `step.decision`.

    client = KioskGuardClient("/run/kioskguard/events.sock", "counter-1")
    client.send("session.begin", session="s-1", subject="310129-954F", auth="card+pin")
    decision = client.request_step("s-1", "bank-account", sensitive=True, account="FI21...")
    if not decision["allow"]: ...

Run as a script, it reads one JSON message per line from stdin and prints every daemon message
as one JSON line on stdout, until the daemon has answered all of them. With `--ignore-locks` it
behaves like a broken kiosk app that never confirms a lock, so the daemon's escalation to the
system lock actions (logind, exec) can be seen.

    python3 kioskguard_client.py [--ignore-locks] SOCKET TERMINAL
"""
import itertools
import json
import queue
import socket
import sys
import threading


class KioskGuardClient:
    def __init__(self, path, terminal, client="kioskguard_client.py/1", on_message=None, timeout=10.0, confirm_locks=True):
        self.terminal = terminal
        self.timeout = timeout
        self.confirm_locks = confirm_locks
        self.on_message = on_message or (lambda message: None)
        self.messages = queue.Queue()
        self._ids = itertools.count(1)
        self._pending = {}
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.welcome = None
        self.send("hello", terminal=terminal, protocol=1, client=client)
        reply = self.next_message()
        if reply.get("type") != "welcome":
            raise RuntimeError(f"hello refused: {reply}")
        self.welcome = reply

    def send(self, type_, **fields):
        line = json.dumps({"type": type_, **fields}, separators=(",", ":")) + "\n"
        self.sock.sendall(line.encode())

    def request_step(self, session, step, sensitive=False, account=None):
        """Asks whether `step` may be committed now and waits for the decision."""
        request_id = f"r{next(self._ids)}"
        waiter = queue.Queue(maxsize=1)
        with self._lock:
            self._pending[request_id] = waiter
        fields = {"id": request_id, "session": session, "step": step, "sensitive": sensitive}
        if account is not None:
            fields["account"] = account
        self.send("step.request", **fields)
        return waiter.get(timeout=self.timeout)

    def ping(self):
        """Waits until the daemon has handled everything sent before: its pong comes after."""
        request_id = f"p{next(self._ids)}"
        self.send("ping", id=request_id)
        while (message := self.next_message()) != {"type": "pong", "id": request_id}:
            self.messages.put(message)

    def next_message(self, timeout=None):
        return self.messages.get(timeout=timeout or self.timeout)

    def close(self):
        # shutdown() first: close() alone leaves the socket open while the reader is in recv().
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                self.messages.put({"type": "closed"})
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                message = json.loads(line)
                waiter = None
                if message.get("type") == "step.decision":
                    with self._lock:
                        waiter = self._pending.pop(message.get("id"), None)
                if waiter:
                    waiter.put(message)
                else:
                    self.messages.put(message)
                    self.on_message(message)
                    # A kiosk app must lock its UI at once and confirm.
                    if message.get("type") == "lock" and self.confirm_locks:
                        self.send("locked", session=message["session"])


def main():
    arguments = sys.argv[1:]
    confirm_locks = "--ignore-locks" not in arguments
    path, terminal = [argument for argument in arguments if argument != "--ignore-locks"]
    printing = threading.Lock()

    def emit(message):
        # One whole write per message: the reader thread calls this, and print() would write the
        # newline separately, letting two lines interleave.
        with printing:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()

    # The reader hands every message to emit, the welcome included.
    client = KioskGuardClient(path, terminal, on_message=emit, confirm_locks=confirm_locks)
    for line in sys.stdin:
        if line.strip():
            message = json.loads(line)
            client.send(message.pop("type"), **message)
    # The pong comes after every earlier line was handled, so nothing is cut off.
    client.send("ping", id="end-of-input")
    while client.next_message() != {"type": "pong", "id": "end-of-input"}:
        pass


if __name__ == "__main__":
    main()
