#!/usr/bin/env python3
"""kioskguard in one minute: the real daemon replays the incident it exists to stop.

Run with `make demo`. It starts the built kioskguardd on temporary paths with short timeouts, a
local HTTP receiver standing in for the incident hotline, and a scripted kiosk app, then prints
what the citizen sees, what the daemon did and what the hotline received, and finally the same
story as a reviewer reads it with `kioskguardctl history`, `report` and `incident`. Everything is the
production code path; nothing is mocked. It cleans up after itself.
"""
import base64
import http.server
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
from kioskguard_client import KioskGuardClient  # noqa: E402

BIN = Path(os.environ.get("KIOSKGUARD_BIN", ROOT / ".build" / "debug"))
CITIZEN_A, CITIZEN_B = "310129-954F", "280286-1234"
ACCOUNT_A, ACCOUNT_B = "FI21 1234 5600 0007 85", "FI49 5000 9420 0287 30"
started = time.monotonic()
started_at = int(time.time())
alerts_received = queue.Queue()
printing = threading.Lock()


def say(column, text):
    """One timeline row: who saw it, and when."""
    width = {"citizen": 0, "daemon": 4, "hotline": 8}[column]
    # Lines come from the kiosk's reader thread and the hotline's too: one whole write each.
    with printing:
        sys.stdout.write(f"{time.monotonic() - started:6.1f}s  {' ' * width}{column:8} {text}\n")
        sys.stdout.flush()


class Hotline(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = event["data"]
        where = "/".join(part for part in [data.get("terminal"), data.get("session")] if part)
        kind = event["type"].removeprefix("kioskguard.anomaly.")
        say("hotline", f"received {kind} ({data['severity']}) {where}, signed")
        alerts_received.put(kind)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    directory = Path(tempfile.mkdtemp(prefix="kioskguard-demo-"))
    hotline = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hotline)
    threading.Thread(target=hotline.serve_forever, daemon=True).start()
    (directory / "pseudonym.key").write_bytes(os.urandom(32))
    (directory / "hotline.secret").write_text("whsec_" + base64.b64encode(os.urandom(32)).decode())
    for secret in ["pseudonym.key", "hotline.secret"]:
        (directory / secret).chmod(0o600)
    lock_script = directory / "lock-screen.sh"
    lock_script.write_text("#!/bin/sh\nexit 0\n")
    lock_script.chmod(0o755)
    user = str(os.getuid())
    (directory / "kioskguard.toml").write_text(f"""
[daemon]
events_socket = "{directory}/events.sock"
control_socket = "{directory}/control.sock"
state_directory = "{directory}/state"
pseudonym_key_file = "{directory}/pseudonym.key"
[control]
admin_groups = []
[policy]
idle_timeout = "4s"
warn_before = "2s"
terminate_after_lock = "30s"
lock_confirm_timeout = "1s"
[[hotline]]
name = "incident-hotline"
url = "http://127.0.0.1:{hotline.server_address[1]}/alerts"
secret_file = "{directory}/hotline.secret"
[[terminal]]
name = "counter-1"
allowed_users = ["{user}"]
[[terminal]]
name = "counter-2"
allowed_users = ["{user}"]
lock_actions = ["client", "exec"]
exec_command = ["{lock_script}"]
""")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(directory / "notify.sock"))
    daemon = subprocess.Popen([str(BIN / "kioskguardd"), "--config", str(directory / "kioskguard.toml")],
                              env=dict(os.environ, NOTIFY_SOCKET=str(directory / "notify.sock")),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        notify.settimeout(30)
        while b"READY=1" not in notify.recv(4096).split(b"\n"):
            pass
        story(directory)
        review()
    finally:
        daemon.terminate()
        daemon.wait()
        hotline.shutdown()
        shutil.rmtree(directory, ignore_errors=True)


def story(directory):
    def show(message):
        kind = message["type"]
        if kind == "warn":
            say("citizen", f"screen: \"Are you still there?\" (locks in {message['lock_in']} s)")
        elif kind == "lock":
            say("citizen", f"screen locked ({message['reason']})")
        elif kind == "terminate":
            say("citizen", f"session {message['session']} ended ({message['reason']}): data wiped, back to the start screen")

    print("A citizen registers a bank account at counter-1, then walks away without logging out.\n")
    kiosk = KioskGuardClient(str(directory / "events.sock"), "counter-1", client="demo-kiosk/1", on_message=show)
    say("citizen", "A inserts her ID card and enters her PIN")
    kiosk.send("card.inserted", subject=CITIZEN_A)
    kiosk.send("session.begin", session="a-1", subject=CITIZEN_A, auth="card+pin")
    decision = kiosk.request_step("a-1", "bank-account", sensitive=True, account=ACCOUNT_A)
    say("daemon", f"step bank-account {'allowed' if decision['allow'] else 'denied'}: fresh PIN, card present")
    kiosk.send("step.done", session="a-1", step="bank-account", account=ACCOUNT_A)
    say("citizen", "A registers her account, and leaves without logging out (her card stays)")
    wait_for(kiosk, "lock")
    say("daemon", "idle: warned, then locked the session; the kiosk confirmed the lock")

    say("citizen", "B walks up, takes out A's card and inserts his own")
    kiosk.send("card.removed")
    kiosk.send("card.inserted", subject=CITIZEN_B)
    wait_for(kiosk, "terminate")
    say("daemon", "another person's card in A's session: terminated it, raised handover.card-swap")
    decision = kiosk.request_step("a-1", "bank-account", sensitive=True, account=ACCOUNT_B)
    say("citizen", f"B tries to register his account in A's old session: {'allowed' if decision['allow'] else 'refused (' + decision['reason'] + ')'}")
    say("daemon", "a step in an ended session: refused, raised step.on-inactive-session")

    print("\nAt counter-2 the kiosk app is buggy: it ignores a lock.\n")
    buggy = KioskGuardClient(str(directory / "events.sock"), "counter-2", client="buggy-kiosk/0.9", confirm_locks=False)
    buggy.send("session.begin", session="c-1", subject=CITIZEN_B, auth="card+pin")
    wait_for(buggy, "lock")
    say("citizen", "counter-2 screen: still shows the session: the app ignored the lock")
    wait_for_alert("lock.unconfirmed")
    say("daemon", "no confirmation within 1 s: ran the exec lock action, raised lock.unconfirmed")

    print("\nMonths later, the same account is registered by someone else.\n")
    kiosk.send("session.begin", session="b-2", subject=CITIZEN_B, auth="card+pin")
    kiosk.request_step("b-2", "bank-account", sensitive=True, account=ACCOUNT_A)
    kiosk.send("step.done", session="b-2", step="bank-account", account=ACCOUNT_A)
    say("citizen", "B registers account FI21… (A's account) in his own session")
    say("daemon", "one account, two people: raised account.multiple-subjects (critical)")
    kiosk.send("session.end", session="b-2", reason="completed")
    wait_for_alert("account.multiple-subjects")


def wait_for(client, kind):
    """Waits for the daemon's `kind` message to the kiosk app."""
    while True:
        message = client.next_message(timeout=30)
        if message["type"] == kind:
            return message


def wait_for_alert(kind):
    """Waits until the hotline has received an alert of `kind`."""
    while alerts_received.get(timeout=30) != kind:
        pass


def review():
    print("\nThe same story, as a reviewer reads it from the journal (no raw numbers anywhere):\n")
    ctl = str(BIN / "kioskguardctl")
    since = f"@{started_at}"
    for argv in [[ctl, "history", "--terminal", "counter-1", "--since", since], [ctl, "report", "--since", since],
                 [ctl, "incident", "--since", since]]:
        print("$ kioskguardctl " + " ".join(argv[1:]))
        result = subprocess.run(argv, capture_output=True, text=True)
        # incident exits 1 when it finds one, as audit does.
        found = result.returncode == 1 and argv[1] == "incident"
        print(result.stdout if result.returncode == 0 or found else f"(the journal is not readable here: {result.stderr.strip()})")
    print(f"Done in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    main()
