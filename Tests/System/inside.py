#!/usr/bin/env python3
"""The system tier, inside a freshly booted Debian 12 container: systemd 252 as PID 1, real
logind, journald, D-Bus and polkit, kioskguard installed from its .deb by apt, no Swift
toolchain. run.sh boots the container; systemd starts this as kioskguard-system-test.service.

Each step names what it proves. The first failure stops the run; the result (every step that
passed, the one that failed and why, the figures measured) goes to /results/result.json, and
the container powers itself off either way.
"""
import base64
import grp
import hashlib
import json
import os
import pathlib
import pwd
import queue
import random
import select
import socket
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, "/opt/kioskguard-system-test")
from hotline import SECRET, Hotline  # noqa: E402
from smartcard import VirtualCard, listening  # noqa: E402
from traffic import exchange, traffic  # noqa: E402

HERE = pathlib.Path("/opt/kioskguard-system-test")
RESULTS = pathlib.Path("/results")
EVENTS = "/run/kioskguard/events.sock"
# The collector's drop-in of docs/operations.md: journal-remote over HTTP instead of HTTPS.
COLLECTOR_HTTP_DROPIN = """[Service]
ExecStart=
ExecStart=/lib/systemd/systemd-journal-remote --listen-http=-3 --output=/var/log/journal/remote/
"""
# The kiosk app of this test is the example client the package ships, as an app developer finds it.
SHIPPED_CLIENT = "/usr/share/doc/kioskguard/examples/kioskguard_client.py"
CONTROL = "/run/kioskguard/control.sock"
TERMINAL = "counter-1"
# A terminal whose card reader the daemon watches itself: vsmartcard's vpcd on its Debian port.
CARD_TERMINAL, VPCD_PORT = "counter-2", 35963
# Terminals for hostile traffic, admitting root, which the step's raw connections run as: the
# same traffic goes to each, whole to one and in pieces to the other, from the same fresh state.
HOSTILE_TERMINAL, PIECES_TERMINAL = "counter-3", "counter-4"
# A terminal with no app: the card in the same reader begins and ends its sessions.
CARD_ONLY_TERMINAL = "counter-5"
SUBJECT_A, SUBJECT_B = "310129-954F", "280286-1234"
DEADLINE = 60.0
UNIT = "kioskguard.service"


class StepFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise StepFailed(message)


def run(*command):
    result = subprocess.run(list(command), capture_output=True, text=True)
    if result.returncode != 0:
        raise StepFailed(f"`{' '.join(command)}` exited {result.returncode}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout.strip()


def unit_property(name, unit=UNIT):
    return run("systemctl", "show", "--value", "-p", name, unit)


def ctl_json(*verb):
    return json.loads(run("kioskguardctl", *verb, "--json"))


def wait_until(what, predicate, wake, timeout=DEADLINE):
    """Re-checks `predicate` each time `wake` returns, until it holds or the deadline passes.
    `wake` blocks until something happened (a journal entry, a D-Bus signal) or its timeout,
    so the loop waits on events, not on time; every state change here is journalled."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        check(remaining > 0, f"timed out after {timeout:.0f} s waiting for {what}")
        wake(min(remaining, 1.0))


class FollowedLines:
    """The lines a child process prints, read without Python's buffering so that select() on
    the pipe never misses a line that already arrived."""

    def __init__(self, command):
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE)
        self.lines = []
        self._partial = b""

    def read(self, timeout):
        if select.select([self.process.stdout], [], [], timeout)[0]:
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            self.lines.extend(line.decode(errors="replace") for line in complete)

    def stop(self):
        self.process.kill()
        self.process.wait()


class Journal(FollowedLines):
    """Follows the whole journal of this boot as JSON, keeping every entry it has read."""

    def __init__(self):
        super().__init__(["journalctl", "-b", "-f", "-o", "json", "--no-tail"])
        self.entries = []

    def read(self, timeout):
        super().read(timeout)
        self.entries.extend(json.loads(line) for line in self.lines[len(self.entries):])

    def find(self, matches=lambda entry: True, **fields):
        return [e for e in self.entries if all(e.get(k) == v for k, v in fields.items()) and matches(e)]

    def wait_for(self, what, matches=lambda entry: True, **fields):
        return wait_until(what, lambda: self.find(matches, **fields), wake=self.read)[0]

    def sync(self):
        """Returns once every entry written before the call has been read."""
        marker = f"kioskguard-system-test-marker-{time.monotonic_ns()}"
        run("systemd-cat", "-t", "kioskguard-system-test", "echo", marker)
        self.wait_for("the journal marker", MESSAGE=marker)


class KioskApp:
    """The example client run as the kiosk user in a real logind session, made by `su -l`
    through PAM and pam_systemd as a login would make it. It relays JSON lines both ways."""

    def __init__(self, ignore_locks=False, terminal=TERMINAL):
        flag = "--ignore-locks " if ignore_locks else ""
        self.process = subprocess.Popen(
            ["su", "-l", "kiosk", "-c", f"exec python3 -u {SHIPPED_CLIENT} {flag}{EVENTS} {terminal}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.messages = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
        self.expect("the welcome", lambda m: m.get("type") == "welcome")

    def _read(self):
        for line in self.process.stdout:
            self.messages.put(json.loads(line))
        self.messages.put({"type": "exited"})

    def send(self, type_, **fields):
        self.process.stdin.write(json.dumps({"type": type_, **fields}) + "\n")
        self.process.stdin.flush()

    def expect(self, what, predicate, timeout=DEADLINE):
        deadline = time.monotonic() + timeout
        while True:
            for message in self.seen:
                if predicate(message):
                    self.seen.remove(message)
                    return message
            try:
                self.seen.append(self.messages.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                raise StepFailed(f"the kiosk app never received {what}; it got {self.seen}")

    def close(self):
        # End of input ends the client (and with it su and its logind session).
        if not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def logind_session_of(pid):
    """The logind session whose scope holds `pid`, from its cgroup as sd_pid_get_session reads it."""
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        for part in line.split(":")[-1].split("/"):
            if part.startswith("session-") and part.endswith(".scope"):
                return part[len("session-"):-len(".scope")]
    return None


def bus_label(text):
    """A D-Bus object path label as sd-bus escapes it: [A-Za-z0-9] kept (a leading digit too
    escaped), everything else as _XX."""
    return "".join(c if c.isascii() and c.isalnum() and not (i == 0 and c.isdigit()) else f"_{ord(c):02x}"
                   for i, c in enumerate(text))


def app_pid(app):
    """The python process under su (su's only child)."""
    children = pathlib.Path(f"/proc/{app.process.pid}/task/{app.process.pid}/children").read_text().split()
    check(len(children) == 1, f"su should have one child, the kiosk app; it has {children}")
    return int(children[0])


def time_start():
    """Milliseconds from `systemctl start` to READY=1: a Type=notify start returns only then."""
    # Repeated starts would hit the unit's start rate limit, which is not what is measured.
    run("systemctl", "reset-failed", UNIT)
    started = time.monotonic()
    run("systemctl", "start", UNIT)
    elapsed = (time.monotonic() - started) * 1000
    check(unit_property("ActiveState") == "active", "the service is not active after systemctl start returned")
    return round(elapsed, 1)


def main():
    journal = Journal()
    hotline = Hotline(pathlib.Path("/tmp"))
    figures = {}
    passed = []
    apps = []  # every kiosk app started, closed at the end
    counter_app = {}  # the kiosk app of counter-1 that the session steps share

    def step(name, body):
        print(f"system test: {name} ...", flush=True)
        body()
        passed.append(name)
        print(f"system test: {name}: ok", flush=True)

    def units_verify():
        units = [f"/lib/systemd/system/{u}" for u in (UNIT, "kioskguard-events.socket", "kioskguard-control.socket")]
        result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True)
        check(result.returncode == 0 and not result.stderr.strip(), f"systemd-analyze verify: {result.stderr.strip()}")
        exposure = run("systemd-analyze", "security", "--no-pager", UNIT).splitlines()[-1]
        figures["exposure_on_booted_host"] = exposure.split("level for kioskguard.service:")[-1].strip()
        check(float(figures["exposure_on_booted_host"].split()[0]) <= 1.5, f"exposure above 1.5: {exposure}")

    def boots_with_sockets_and_service():
        for socket_unit in ("kioskguard-events.socket", "kioskguard-control.socket"):
            check(unit_property("ActiveState", socket_unit) == "active", f"{socket_unit} is not listening after boot")
        # Enabled at boot, so alerts left in the outbox are delivered even before any kiosk connects.
        wait_until("kioskguard.service active after boot", lambda: unit_property("ActiveState") == "active", wake=journal.read)
        check(unit_property("Result") == "success", f"the service's result after boot is {unit_property('Result')}")
        # The installed host manifests start the installed bridge, for the installed extension only.
        extension = json.loads(pathlib.Path("/usr/share/kioskguard/browser/manifest.json").read_text())
        digest = hashlib.sha256(base64.b64decode(extension["key"])).hexdigest()[:32]
        chromium_id = "".join(chr(ord("a") + int(digit, 16)) for digit in digest)
        chromium = json.loads(pathlib.Path("/etc/chromium/native-messaging-hosts/kioskguard.bridge.json").read_text())
        firefox = json.loads(pathlib.Path("/usr/lib/mozilla/native-messaging-hosts/kioskguard.bridge.json").read_text())
        check(chromium["allowed_origins"] == [f"chrome-extension://{chromium_id}/"], f"the Chromium host manifest: {chromium}")
        check(firefox["allowed_extensions"] == [extension["browser_specific_settings"]["gecko"]["id"]], f"the Firefox host manifest: {firefox}")
        for manifest in (chromium, firefox):
            check(manifest["path"] == "/usr/lib/kioskguard/kioskguard-bridge" and os.access(manifest["path"], os.X_OK),
                  f"the host manifest names {manifest['path']}")
        printed = json.loads(run("/usr/lib/kioskguard/kioskguard-bridge", "--print-manifest", "chromium", "--extension-id", chromium_id))
        check(printed == chromium, f"the bridge prints another manifest than the installed one: {printed}")
        events = os.stat(EVENTS)
        check(oct(events.st_mode & 0o777) == "0o660", f"events socket mode is {oct(events.st_mode & 0o777)}, not 0660")
        control = os.stat(CONTROL)
        check(oct(control.st_mode & 0o777) == "0o666", f"control socket mode is {oct(control.st_mode & 0o777)}, not 0666")
        journal.sync()
        about_the_service = [e for e in journal.find() if UNIT in (e.get("_SYSTEMD_UNIT"), e.get("UNIT"))]
        warnings = [e["MESSAGE"] for e in about_the_service if int(e.get("PRIORITY", "6")) <= 4]
        check(not warnings, f"warnings or errors about the service at boot: {warnings}")
        # The daemon logs natively; a line through stdout, stderr or syslog() bypassed that, such as
        # libdispatch's "Failed to set thread priority for worker thread" when the unit's system
        # call filter refuses setpriority(2) (errno=1), or when its manager thread may not take
        # nice -4 (errno=13). LimitNICE=-4 allows that, but systemd clamps a limit it cannot raise
        # (a container without CAP_SYS_RESOURCE, as this test's may be): then, and only then, that
        # one line is expected, and the figure says so.
        raw = [e["MESSAGE"] for e in about_the_service if e.get("_SYSTEMD_UNIT") == UNIT and e.get("_TRANSPORT") != "journal"]
        pid = unit_property("MainPID")
        limits = pathlib.Path(f"/proc/{pid}/limits").read_text()
        nice_limit = int(next(line for line in limits.splitlines() if line.startswith("Max nice priority")).split()[3])
        figures["service_rlimit_nice"] = nice_limit
        # input_devices needs the input group; no other group is added to the service's own.
        groups = next(line for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Groups:"))
        names = sorted(grp.getgrgid(int(gid)).gr_name for gid in groups.split()[1:])
        check(names == ["input", "kioskguard"], f"the service's groups are {names}, not kioskguard's own and input")
        if nice_limit < 24:
            manager = [m for m in raw if m.startswith("Failed to set thread priority for worker thread") and m.endswith("errno=13")]
            check(len(manager) <= 1, f"more than the manager thread's priority line: {manager}")
            raw = [m for m in raw if m not in manager]
        check(not raw, f"the service logged around the journal API: {raw}")

    def socket_activation():
        run("systemctl", "stop", UNIT)
        check(unit_property("ActiveState") == "inactive", "the service did not stop")
        check(unit_property("ActiveState", "kioskguard-control.socket") == "active", "the control socket closed with the service")
        status = ctl_json("status")  # the first connection starts the service
        # The daemon may answer before systemd has handled its READY=1, which systemd journals
        # ("Started …") as the unit becomes active.
        wait_until("the connection to have started the service", lambda: unit_property("ActiveState") == "active", wake=journal.read)
        check(status["terminals_configured"] == 0, f"the default config should admit no terminal: {status}")
        status_text = unit_property("StatusText")
        check("terminals connected" in status_text, f"no STATUS line: {status_text!r}")
        figures["status_line"] = status_text

    def configure():
        run("useradd", "--create-home", "--groups", "kioskguard-kiosk", "kiosk")
        hotline.start()
        os.makedirs("/etc/credstore", mode=0o700, exist_ok=True)
        secret = pathlib.Path("/etc/credstore/hotline-secret")
        secret.write_text(SECRET)
        secret.chmod(0o600)
        pathlib.Path("/etc/kioskguard/kioskguard.toml.d/50-system-test.toml").write_text(f"""
[policy]
idle_timeout = "4s"
warn_before = "2s"
lock_confirm_timeout = "2s"

[[hotline]]
name = "primary"
url = "{hotline.url}"

[[terminal]]
name = "{TERMINAL}"
allowed_users = ["kiosk"]
lock_actions = ["client", "logind"]

[[terminal]]
name = "{CARD_TERMINAL}"
allowed_users = ["kiosk"]
card_reader = "Virtual PCD*"

[[terminal]]
name = "{HOSTILE_TERMINAL}"
allowed_users = ["root"]

[[terminal]]
name = "{PIECES_TERMINAL}"
allowed_users = ["root"]
""")
        run("kioskguardctl", "check-config")
        # Root checks the installed configuration for the service's user: its state directory is
        # kioskguard's, and passes.
        run("kioskguardd", "--check-config")
        run("systemctl", "stop", UNIT)
        figures["start_to_ready_ms"] = [time_start()]
        for _ in range(4):
            run("systemctl", "stop", UNIT)
            figures["start_to_ready_ms"].append(time_start())
        check(ctl_json("status")["terminals_configured"] == 4, "the drop-in's terminals are not configured")

    def admins_without_root():
        run("useradd", "--groups", "kioskguard-admin", "clerk-admin")
        run("useradd", "visitor")
        status = json.loads(run("runuser", "-u", "clerk-admin", "--", "kioskguardctl", "status", "--json"))
        check(status["terminals_configured"] == 4, f"an admin-group member got {status}")
        refused = subprocess.run(["runuser", "-u", "visitor", "--", "kioskguardctl", "status"], capture_output=True, text=True)
        # Told that it may not, and nothing of who may (no group to aim at).
        check(refused.returncode == 1 and "this user may not use the kioskguard control socket" in refused.stderr
              and "kioskguard-admin" not in refused.stderr,
              f"a user outside the admin and read groups should be refused and told nothing more: {refused.returncode} {refused.stderr!r}")
        # The journal is root's and systemd-journal's: a reader without access is told so (exit 2), never "no findings".
        for verb in (["audit"], ["report"]):
            blind = subprocess.run(["runuser", "-u", "visitor", "--", "kioskguardctl", *verb], capture_output=True, text=True)
            check(blind.returncode == 2 and "cannot read the journal" in blind.stderr and "Permission denied" in blind.stderr,
                  f"{verb} by a user without journal access: {blind.returncode} {blind.stdout!r} {blind.stderr!r}")
        # /etc/kioskguard is 0750: a user who cannot read the file is told so, never "built-in defaults".
        for tool in (["kioskguardctl", "check-config"], ["kioskguardd", "--check-config"]):
            unreadable = subprocess.run(["runuser", "-u", "visitor", "--", *tool], capture_output=True, text=True)
            check(unreadable.returncode == 1 and "/etc/kioskguard/kioskguard.toml: cannot be read: Permission denied" in unreadable.stderr
                  and "valid" not in unreadable.stdout,
                  f"{tool} by a user who cannot read the configuration: {unreadable.returncode} {unreadable.stdout!r} {unreadable.stderr!r}")

    def a_hotline_added_and_removed_by_reload():
        backup = Hotline(pathlib.Path("/tmp")).start()
        try:
            dropin = pathlib.Path("/etc/kioskguard/kioskguard.toml.d/60-backup-hotline.toml")
            dropin.write_text(f'[[hotline]]\nname = "backup"\nurl = "{backup.url}"\n')
            added = run("kioskguardctl", "reload")
            check("hotline backup added" in added, f"the reload did not add the hotline: {added}")
            run("kioskguardctl", "alerts", "test")
            # Signed with the credential systemd handed over at start: no secret_file of its own.
            test = backup.wait_for(lambda rs: any(r.json and r.json["type"] == "kioskguard.test" for r in rs))[0]
            check(test.signature_valid, "the test alert to the hotline added by reload is not signed")
            dropin.unlink()
            removed = run("kioskguardctl", "reload")
            check("hotline backup removed" in removed, f"the reload did not remove the hotline: {removed}")
            check(set(ctl_json("status")["alerts_pending"]) == {"primary"}, "the removed hotline is still in force")
        finally:
            backup.stop()

    def metrics_textfile_under_the_sandbox():
        # As prometheus-node-exporter leaves it: root's, 0755; installed after kioskguard.
        directory = pathlib.Path("/var/lib/prometheus/node-exporter")
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        run("systemd-tmpfiles", "--create", "kioskguard.conf")
        dropin = pathlib.Path("/etc/kioskguard/kioskguard.toml.d/70-metrics.toml")
        dropin.write_text(f'[metrics]\ntextfile = "{directory}/kioskguard.prom"\ninterval = "1s"\n')
        # The sandbox mounts the directory writable when the service starts (docs/fleet.md).
        run("systemctl", "restart", UNIT)
        textfile = directory / "kioskguard.prom"
        wait_until("the metrics textfile in node_exporter's directory", textfile.exists, wake=journal.read)
        info = textfile.stat()
        check(info.st_mode & 0o777 == 0o644 and pwd.getpwuid(info.st_uid).pw_name == "kioskguard",
              f"the textfile is mode {info.st_mode & 0o777:o}, owner {info.st_uid}")
        text = textfile.read_text()
        check(f'kioskguard_sessions_begun_total{{terminal="{TERMINAL}"}} 0' in text, f"the textfile lacks the terminal: {text[:400]}")
        names = lambda exposition: sorted({line.split("{")[0].split(" ")[0] for line in exposition.splitlines() if not line.startswith("#")})
        check(names(text) == names(run("kioskguardctl", "metrics")), "the textfile and kioskguardctl metrics name different metrics")
        check(sorted(p.name for p in directory.iterdir()) == ["kioskguard.prom"], "a temporary file was left beside the textfile")
        dropin.unlink()
        run("kioskguardctl", "reload")

    def idle_session_warned_locked_and_logind_locked():
        monitor = FollowedLines(["dbus-monitor", "--system",
                                 "type='signal',sender='org.freedesktop.login1',interface='org.freedesktop.login1.Session',member='Lock'"])
        signals = monitor.lines
        # The monitor is listening once it printed its own NameAcquired.
        wait_until("dbus-monitor to listen", lambda: any("member=NameAcquired" in s for s in signals), wake=monitor.read)
        app = KioskApp(ignore_locks=True)
        apps.append(app)
        counter_app["app"] = app
        session = logind_session_of(app_pid(app))
        check(session, "su -l did not put the kiosk app in a logind session")
        app.send("session.begin", session="s-idle", subject=SUBJECT_A, auth="card+pin")
        app.expect("warn", lambda m: m.get("type") == "warn" and m.get("session") == "s-idle")
        app.expect("lock (idle)", lambda m: m == {"type": "lock", "session": "s-idle", "reason": "idle"})
        # The app never confirms: after lock_confirm_timeout logind locks its login session.
        path = f"/org/freedesktop/login1/session/{bus_label(session)}"
        wait_until(f"logind's Lock signal on {path}", lambda: any(f"path={path}; interface=org.freedesktop.login1.Session; member=Lock" in s
                                                                  for s in signals), wake=monitor.read)
        monitor.stop()
        # logind accepted LockSession and emitted Lock, but no screen locker runs in this root to
        # carry it out: the session's LockedHint stays false, so the lock must count as failed
        # (systemd issue 4409: LockSession succeeds whether or not anyone locks).
        entry = journal.wait_for("the lock-action entry", KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_SESSION="s-idle")
        check(entry.get("KIOSKGUARD_LOCK_ACTION") == "logind" and "failed" in entry["MESSAGE"] and "LockedHint" in entry["MESSAGE"],
              f"a logind lock nobody carried out was not reported as failed: {entry.get('MESSAGE')}")
        journal.wait_for("lock.unconfirmed", KIOSKGUARD_ANOMALY="lock.unconfirmed", KIOSKGUARD_SESSION="s-idle")
        app.send("session.end", session="s-idle", reason="logout")

    def card_swap_terminated_and_alerted():
        app = counter_app["app"]
        app.send("session.begin", session="s-swap", subject=SUBJECT_A, auth="card+pin")
        app.send("card.inserted", subject=SUBJECT_B)
        app.expect("terminate (card-swap)", lambda m: m == {"type": "terminate", "session": "s-swap", "reason": "card-swap"})
        requests = hotline.wait_for(lambda rs: any(r.json and r.json["type"] == "kioskguard.anomaly.handover.card-swap" for r in rs),
                                    timeout=DEADLINE)
        alert = next(r for r in requests if r.json and r.json["type"] == "kioskguard.anomaly.handover.card-swap")
        check(alert.signature_valid, "the alert's Standard Webhooks signature does not verify with the credential store's secret")
        body = alert.body.decode()
        check(SUBJECT_A not in body and SUBJECT_B not in body, "a raw subject reached the hotline")

    def a_collector_receives_the_journal_and_the_audit_reads_it():
        # docs/operations.md's collection setup, as written there, on one host: the collector's
        # journal-remote over plain HTTP (a drop-in), and this kiosk's journal-upload to it.
        dropin = pathlib.Path("/etc/systemd/system/systemd-journal-remote.service.d/kioskguard-http.conf")
        dropin.parent.mkdir(parents=True, exist_ok=True)
        dropin.write_text(COLLECTOR_HTTP_DROPIN)
        upload = pathlib.Path("/etc/systemd/journal-upload.conf.d/kioskguard-collector.conf")
        upload.parent.mkdir(parents=True, exist_ok=True)
        upload.write_text("[Upload]\nURL=http://127.0.0.1:19532\n")
        run("systemctl", "daemon-reload")
        run("systemctl", "enable", "--now", "systemd-journal-remote.socket")
        run("systemctl", "enable", "--now", "systemd-journal-upload.service")

        def collected_card_swap():
            result = subprocess.run(["kioskguardctl", "audit", "--directory", "/var/log/journal/remote", "--json"],
                                    capture_output=True, text=True)
            return result.returncode == 1 and any(f["rule"] == "handover.card-swap" for f in json.loads(result.stdout))
        wait_until("the card swap in the collector's journal", collected_card_swap, wake=journal.read, timeout=60)
        blind = subprocess.run(["runuser", "-u", "visitor", "--", "kioskguardctl", "audit", "--directory", "/var/log/journal/remote"],
                               capture_output=True, text=True)
        check(blind.returncode == 2 and "cannot read the journal" in blind.stderr,
              f"a user who cannot read the collected files: {blind.returncode} {blind.stdout!r} {blind.stderr!r}")

    def journal_is_structured_with_catalog():
        ended = journal.wait_for("session-ended of s-swap", KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_SESSION="s-swap")
        check(ended.get("KIOSKGUARD_REASON") == "card-swap" and ended.get("MESSAGE_ID"), f"session-ended entry: {ended}")
        check(ended.get("KIOSKGUARD_SUBJECT", "").startswith("p:"), "the subject field is not a pseudonym")
        dump = run("journalctl", "-b", "-o", "export", "_SYSTEMD_UNIT=" + UNIT)
        check(SUBJECT_A not in dump and SUBJECT_B not in dump, "a raw subject reached the journal")
        explained = run("journalctl", "-b", "-x", "--no-pager", "-u", UNIT)
        check("Subject: kioskguardd started" in explained, "journalctl -x does not show the catalog text")

    def card_reader_watched_from_the_sandbox():
        # pcscd is socket-activated by the daemon's watcher; vpcd listens once pcscd runs.
        wait_until("pcscd's virtual reader to listen", lambda: listening(VPCD_PORT), wake=journal.read)
        card = VirtualCard(VPCD_PORT, "CARD-SYSTEM-TEST")
        journal.wait_for("the watched reader's card", KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=CARD_TERMINAL,
                         KIOSKGUARD_STATE="present")
        app = KioskApp(terminal=CARD_TERMINAL)
        apps.append(app)
        app.send("session.begin", session="s-card", subject=SUBJECT_A, auth="card+pin")
        app.send("ping", id="begun")
        app.expect("the pong after session.begin", lambda m: m == {"type": "pong", "id": "begun"})
        card.remove()
        app.expect("lock (card-removed)", lambda m: m == {"type": "lock", "session": "s-card", "reason": "card-removed"})
        app.send("session.end", session="s-card", reason="logout")
        app.close()

    def card_only_terminal_ends_the_kiosk_users_logind_session():
        # A terminal with no app at all: the card in the watched reader is the session, and
        # taking it out ends the kiosk user's real logind session through the sandboxed daemon,
        # counted only once logind has no such session any more.
        login = subprocess.Popen(["su", "-l", "kiosk", "-c", "exec sleep 600"])
        children = pathlib.Path(f"/proc/{login.pid}/task/{login.pid}/children")
        sleeper = int(wait_until("the kiosk user's login", lambda: children.read_text().split(), wake=journal.read)[0])
        session = wait_until("the login's logind session", lambda: logind_session_of(sleeper), wake=journal.read)
        dropin = pathlib.Path("/etc/kioskguard/kioskguard.toml.d/80-card-only.toml")
        dropin.write_text(f'[[terminal]]\nname = "{CARD_ONLY_TERMINAL}"\nsession_source = "card"\ncard_reader = "Virtual PCD*"\n'
                          f'lock_actions = ["logind"]\nlogind_session = "{session}"\n')
        try:
            # Card readers are read at start.
            run("systemctl", "restart", UNIT)
            wait_until("pcscd's virtual reader to listen", lambda: listening(VPCD_PORT), wake=journal.read)
            card = VirtualCard(VPCD_PORT, "CARD-ONLY-SYSTEM-TEST")
            begun = journal.wait_for("the card's session", KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=CARD_ONLY_TERMINAL)
            card.remove()
            ended = journal.wait_for("the session's end", KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=CARD_ONLY_TERMINAL)
            check(ended["KIOSKGUARD_SESSION"] == begun["KIOSKGUARD_SESSION"] and ended["KIOSKGUARD_REASON"] == "card-removed",
                  f"the card's session ended as {ended.get('KIOSKGUARD_REASON')}")
            action = journal.wait_for("the logind termination", KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=CARD_ONLY_TERMINAL,
                                      KIOSKGUARD_LOCK_ACTION="logind")
            check("terminate by logind succeeded" in action["MESSAGE"] and f"logind session {session} is gone" in action["MESSAGE"],
                  f"the logind termination did not succeed: {action['MESSAGE']}")
            check(login.wait(timeout=DEADLINE) is not None and not pathlib.Path(f"/proc/{sleeper}").exists(),
                  "the kiosk user's processes outlived the termination")
            check(subprocess.run(["loginctl", "show-session", session], capture_output=True).returncode != 0,
                  f"logind still has session {session}")
            last = ctl_json("status")["last_enforcement"]
            check(last["terminal"] == CARD_ONLY_TERMINAL and last["action"] == "logind" and last["detail"] == action["MESSAGE"],
                  f"status does not say how the termination ended: {last}")
        finally:
            if login.poll() is None:
                login.kill()
            dropin.unlink()
            run("kioskguardctl", "reload")

    def hostile_traffic_under_the_sandbox():
        # The integration tier's hostile traffic, replayed against the daemon confined by the
        # installed unit (syscall filter, MemoryDenyWriteExecute, …): anything the sandbox
        # forbids that Swift or NIO needs on these paths would kill or stall it here.
        pid, restarts = unit_property("MainPID"), int(unit_property("NRestarts"))
        whole = exchange(EVENTS, HOSTILE_TERMINAL, traffic(random.Random(20261127), HOSTILE_TERMINAL, 5_000), [])
        data = traffic(random.Random(20261127), PIECES_TERMINAL, 5_000)
        sizes = random.Random(1)
        pieced = exchange(EVENTS, PIECES_TERMINAL, data, (sizes.randint(1, 143) for _ in range(len(data))))
        check(pieced == whole and whole[-1] == {"type": "pong", "id": "end"}, "traffic in 143-byte pieces got other replies")
        malformed = b'{"type":"nonsense"}\n' * 30_000 + b'{"type":"activity","session":' + b"[" * 1_000 + b"]" * 1_000 + b"}\n"
        # All written at once: the daemon stops reading while 256 KiB of answers wait, and reads
        # on as they are taken.
        replies = exchange(EVENTS, HOSTILE_TERMINAL, malformed + b'{"type":"ping","id":"end"}\n', [])
        check(len(replies) == 30_002 and replies[-2]["code"] == "bad-json", f"{len(replies)} replies to 30,002 hostile lines")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as broken:
            broken.settimeout(DEADLINE)
            broken.connect(EVENTS)
            broken.sendall(json.dumps({"type": "hello", "terminal": HOSTILE_TERMINAL, "protocol": 1}).encode() + b"\n"
                           + b'{"type":"card.inserted","subject":"\xc0\xaf"}\n')
            check(broken.makefile("rb").read().count(b"\n") == 2, "invalid UTF-8 did not close the connection after its error")
        journal.wait_for("a summary of the refused lines", KIOSKGUARD_EVENT="protocol-errors", KIOSKGUARD_TERMINAL=HOSTILE_TERMINAL)
        check(unit_property("MainPID") == pid and int(unit_property("NRestarts")) == restarts,
              "the daemon died under hostile traffic in its sandbox")
        journal.sync()
        killed = [e["MESSAGE"] for e in journal.find() if e.get("UNIT") == UNIT and "signal=SYS" in e.get("MESSAGE", "")]
        check(not killed, f"the syscall filter killed the daemon: {killed}")
        status = pathlib.Path(f"/proc/{pid}/status").read_text()
        figures["peak_rss_after_hostile_traffic_kib"] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))

    def reload_and_restart_keep_alerts_and_lock_sessions():
        hotline.stop()  # the hotline goes down; the next alert stays pending
        app = counter_app["app"]
        app.send("session.begin", session="s-pending", subject=SUBJECT_A, auth="card+pin")
        app.send("card.inserted", subject=SUBJECT_B)
        app.expect("terminate of s-pending", lambda m: m.get("type") == "terminate" and m.get("session") == "s-pending")
        wait_until("a pending alert", lambda: ctl_json("status")["alerts_pending"].get("primary", 0) >= 1, wake=journal.read)
        pending = ctl_json("status")["alerts_pending"]["primary"]
        app.send("session.begin", session="s-open", subject=SUBJECT_A, auth="card+pin")
        app.send("activity", session="s-open")
        pid = unit_property("MainPID")
        run("systemctl", "reload", UNIT)
        check(unit_property("MainPID") == pid, "reload replaced the process")
        check(ctl_json("status")["alerts_pending"]["primary"] >= pending, "reload lost pending alerts")
        run("systemctl", "restart", UNIT)
        check(unit_property("MainPID") != pid, "restart kept the old process")
        check(ctl_json("status")["alerts_pending"]["primary"] >= pending, "restart lost pending alerts")
        sessions = {row["session"]: row for row in ctl_json("sessions")}
        check(sessions.get("s-open", {}).get("state") == "locked", f"the open session is not locked after restart: {sessions}")
        app.close()
        again = KioskApp()
        apps.append(again)
        again.expect("lock (guard-restarted)", lambda m: m == {"type": "lock", "session": "s-open", "reason": "guard-restarted"})
        hotline.start()
        run("kioskguardctl", "alerts", "retry")
        hotline.wait_for(lambda rs: sum(1 for r in rs if r.json and r.json["type"] == "kioskguard.anomaly.handover.card-swap") >= 2)
        wait_until("the backlog to drain", lambda: ctl_json("status")["alerts_pending"].get("primary", 0) == 0, wake=journal.read)
        again.send("session.end", session="s-open", reason="logout")

    def sigkill_restarts():
        pid, restarts = unit_property("MainPID"), int(unit_property("NRestarts"))
        run("systemctl", "kill", "--signal=SIGKILL", "--kill-who=main", UNIT)
        wait_until("systemd to restart the killed daemon",
                    lambda: unit_property("MainPID") not in ("0", pid) and unit_property("ActiveState") == "active"
                    and int(unit_property("NRestarts")) == restarts + 1, wake=journal.read)

    def watchdog_catches_a_stall():
        pid, restarts = unit_property("MainPID"), int(unit_property("NRestarts"))
        run("kill", "-STOP", pid)  # the main loop stops pinging
        journal.wait_for("systemd's watchdog timeout", lambda e: "Watchdog timeout" in e.get("MESSAGE", ""), _PID="1")
        wait_until("the restart after the watchdog",
                    lambda: unit_property("MainPID") not in ("0", pid) and unit_property("ActiveState") == "active"
                    and int(unit_property("NRestarts")) == restarts + 1, wake=journal.read)

    steps = [
        ("the units verify and are hardened on the booted host", units_verify),
        ("sockets listen and the service runs after boot", boots_with_sockets_and_service),
        ("a connection starts the stopped service (socket activation), READY and STATUS", socket_activation),
        ("a terminal and a hotline configured, start to READY timed", configure),
        ("an admin-group member uses kioskguardctl without root; others are refused", admins_without_root),
        ("an admin adds a hotline by reload, a test alert reaches it, and removes it", a_hotline_added_and_removed_by_reload),
        ("the sandboxed daemon writes its metrics textfile into node_exporter's directory", metrics_textfile_under_the_sandbox),
        ("an idle session is warned and locked, and logind's lock is checked (no screen locker: failed)",
         idle_session_warned_locked_and_logind_locked),
        ("a card swap terminates the session and a signed alert reaches the hotline", card_swap_terminated_and_alerted),
        ("the journal holds structured, pseudonymous entries and the catalog", journal_is_structured_with_catalog),
        ("a collector receives the journal by journal-upload and the audit finds the card swap there",
         a_collector_receives_the_journal_and_the_audit_reads_it),
        ("a card leaving the PC/SC reader the hardened daemon watches locks the session", card_reader_watched_from_the_sandbox),
        ("hostile traffic in 143-byte pieces, floods, nesting and bad UTF-8 under the sandbox", hostile_traffic_under_the_sandbox),
        ("reload and restart keep pending alerts and lock open sessions", reload_and_restart_keep_alerts_and_lock_sessions),
        # After the steps that use the kiosk app connected to counter-1: this one restarts the daemon.
        ("a card-only terminal: the card begins the session, and taking it out ends the kiosk user's logind session",
         card_only_terminal_ends_the_kiosk_users_logind_session),
        ("SIGKILL leads to a restart by systemd", sigkill_restarts),
        ("a stalled main loop is caught by the watchdog", watchdog_catches_a_stall),
    ]
    result = {"passed": passed, "figures": figures}
    try:
        for name, body in steps:
            step(name, body)
    except Exception as error:  # any failure, named with its step, is the result
        result["failed"] = steps[len(passed)][0]
        result["reason"] = str(error) if isinstance(error, StepFailed) else traceback.format_exc()
        print(f"system test FAILED at step '{result['failed']}': {result['reason']}", flush=True)
    finally:
        for app in apps:
            app.close()
        hotline.stop()
        (RESULTS / "result.json").write_text(json.dumps(result, indent=2))
        subprocess.run(["systemctl", "poweroff", "--no-block"])


if __name__ == "__main__":
    main()
