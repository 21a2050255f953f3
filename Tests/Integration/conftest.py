"""The integration tier: the real kioskguardd binary, a real journald, real sockets.

Each test gets its own directory, configuration and uniquely named terminals, so journal entries
of different tests never mix. Waits are on events (the daemon's READY=1 on a notify socket, a
journal entry arriving through `journalctl --follow`, a message on a socket), each with a deadline.
"""
import ctypes
import hashlib
import hmac
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
from kioskguard_client import KioskGuardClient  # noqa: E402
from hotline import Hotline  # noqa: E402
from ports import free_port  # noqa: E402
from smartcard import Pcscd  # noqa: E402

DAEMON = Path(os.environ.get("KIOSKGUARDD", ROOT / ".build" / "debug" / "kioskguardd"))
CTL = Path(os.environ.get("KIOSKGUARDCTL", ROOT / ".build" / "debug" / "kioskguardctl"))
KEY = bytes(range(32))
DEADLINE = 15.0


def key_fingerprint(key=KEY) -> str:
    """The fingerprint the daemon records for `key`: the first 8 bytes of HMAC-SHA256(key, fixed text)."""
    return "k:" + hmac.new(key, b"kioskguard key fingerprint", hashlib.sha256).hexdigest()[:16]


def canonical_spelling(raw: str) -> bytes:
    """An identifier as the daemon pseudonymises it (docs/protocol.md): separators (space, tab,
    - . /) dropped, ASCII letters upper-cased, every other byte as sent."""
    kept = bytes(b for b in raw.encode() if b not in b" \t-./")
    return bytes(b - 32 if 0x61 <= b <= 0x7A else b for b in kept)


def pseudonym(raw: str) -> str:
    """The pseudonym the daemon must print for the identifier `raw` under the test key."""
    return "p:" + hmac.new(KEY, canonical_spelling(raw), hashlib.sha256).hexdigest()[:32]


def unique(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


class JournalFollower:
    """Follows kioskguardd's journal entries from now on, and waits for the ones a test expects."""

    def __init__(self):
        self.process = subprocess.Popen(
            ["journalctl", "--follow", "--lines=0", "--output=json", "SYSLOG_IDENTIFIER=kioskguardd"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        self.entries = []
        self._buffer = b""
        # journalctl starts following asynchronously; a marker entry proves it is listening.
        marker = unique("marker")
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            subprocess.run(["systemd-cat", "-t", "kioskguardd", "echo", marker], check=True)
            if self._read_until(lambda e: e.get("MESSAGE") == marker, time.monotonic() + 0.5):
                self.entries.clear()
                return
        raise AssertionError("journalctl --follow never showed the marker entry: is journald running?")

    def _read_until(self, predicate, deadline):
        while True:
            for entry in self.entries:
                if predicate(entry):
                    return entry
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return None
            self._buffer += chunk
            while b"\n" in self._buffer:
                line, self._buffer = self._buffer.split(b"\n", 1)
                self.entries.append(json.loads(line))

    def wait_for(self, timeout=DEADLINE, containing=None, **fields):
        """The first entry whose fields include `fields` (KIOSKGUARD_EVENT=…, …) and whose MESSAGE
        contains `containing`, if given."""
        # journald gives a MESSAGE with control characters as a list of bytes: only a wanted
        # text is looked for in it.
        matches = lambda e: all(e.get(k) == v for k, v in fields.items()) and (containing is None or containing in (e.get("MESSAGE") or ""))
        entry = self._read_until(matches, time.monotonic() + timeout)
        assert entry is not None, f"no journal entry with {fields} {containing or ''} within {timeout}s; saw {[e.get('MESSAGE') for e in self.entries][-15:]}"
        return entry

    def wait_count(self, count, timeout=DEADLINE, containing=None, **fields):
        """All entries with `fields` (and whose MESSAGE contains `containing`, if given), once
        there are at least `count` of them."""
        matches = lambda: [e for e in self.entries if all(e.get(k) == v for k, v in fields.items())
                           and (containing is None or containing in (e.get("MESSAGE") or ""))]
        self._read_until(lambda e: len(matches()) >= count, time.monotonic() + timeout)
        found = matches()
        assert len(found) >= count, f"only {len(found)} of {count} journal entries with {fields} within {timeout}s"
        return found

    def read_until(self, predicate, timeout=DEADLINE):
        """Reads entries until `predicate(entry)` holds for one read, or the timeout passes."""
        return self._read_until(predicate, time.monotonic() + timeout)

    def matching(self, **fields):
        return [e for e in self.entries if all(e.get(k) == v for k, v in fields.items())]

    def close(self):
        self.process.kill()
        self.process.wait()


class Daemon:
    """One kioskguardd under test, with its own directory and configuration."""

    def __init__(self, directory: Path, terminals, policy=None, extra="", env=None, control=None, daemon=()):
        self.directory = directory
        self.events = directory / "run" / "events.sock"
        self.control_path = directory / "run" / "control.sock"
        self.config = directory / "kioskguard.toml"
        self.env = dict(os.environ, **(env or {}))
        key = directory / "pseudonym.key"
        key.write_bytes(KEY)
        key.chmod(0o600)
        lines = [
            "[daemon]",
            f'events_socket = "{self.events}"',
            f'control_socket = "{self.control_path}"',
            f'state_directory = "{directory / "state"}"',
            f'pseudonym_key_file = "{key}"',
            'log_target = "journal"',
            'hello_timeout = "5s"',
            *daemon,
            "[control]",
            *(control or ["admin_groups = []"]),
            "[policy]",
        ]
        lines += [f'{k} = "{v}"' if isinstance(v, str) else f"{k} = {v}" for k, v in (policy or {}).items()]
        for terminal in terminals:
            lines += ["[[terminal]]"]
            lines += [f"{k} = {json.dumps(v)}" for k, v in terminal.items()]
        self.config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        self.process = None
        self.notifications = []

    def start(self, argv_prefix=()):
        notify_path = self.directory / f"notify-{uuid.uuid4().hex[:6]}.sock"
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(str(notify_path))
        env = dict(self.env, NOTIFY_SOCKET=str(notify_path))
        self.log = open(self.directory / "daemon.stderr", "ab")
        if argv_prefix:
            # A launcher such as systemd-socket-activate: it says on stderr when its sockets are bound.
            self.process = subprocess.Popen([*argv_prefix, str(DAEMON), "--config", str(self.config)], env=env,
                                            stdout=self.log, stderr=subprocess.PIPE, text=True)
            listening = 0
            while listening < argv_prefix.count("-l"):
                line = self.process.stderr.readline()
                assert line, f"{argv_prefix[0]} exited before binding its sockets"
                listening += line.startswith("Listening on")
            return self
        self.process = subprocess.Popen([str(DAEMON), "--config", str(self.config)], env=env, stdout=self.log, stderr=self.log)
        self.wait_notification("READY=1")
        return self

    def wait_notification(self, state, timeout=DEADLINE):
        """Waits for a notify message containing the line `state` (READY=1, STOPPING=1, …)."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.notifications:
                if state in message.split("\n"):
                    self.notifications.remove(message)
                    return message
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {state} from the daemon within {timeout}s; got {self.notifications}; stderr: {self.stderr()}"
            ready, _, _ = select.select([self.notify], [], [], remaining)
            if ready:
                self.notifications.append(self.notify.recv(4096).decode())

    def stderr(self):
        return (self.directory / "daemon.stderr").read_text(errors="replace")

    def client(self, terminal, **kwargs):
        return KioskGuardClient(str(self.events), terminal, **kwargs)

    def raw(self):
        """A raw connection to the events socket, for misbehaving-peer tests."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(DEADLINE)
        sock.connect(str(self.events))
        return sock

    def control(self, verb, **fields):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(DEADLINE)
            sock.connect(str(self.control_path))
            sock.sendall((json.dumps({"id": "1", "verb": verb, **fields}) + "\n").encode())
            return json.loads(read_line(sock))

    def ctl(self, *arguments, user=None, stdin=None):
        """Runs kioskguardctl against this daemon (as `user` when given)."""
        prefix = ["runuser", "-u", user, "--"] if user else []
        return subprocess.run([*prefix, str(CTL), *arguments, "--socket", str(self.control_path)],
                              capture_output=True, text=True, input=stdin, timeout=DEADLINE)

    def kill(self, sig=signal.SIGKILL):
        self.process.send_signal(sig)
        return self.process.wait(timeout=DEADLINE)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wait_for_file(path: Path, timeout=DEADLINE):
    """Waits until `path` exists, woken by inotify on its directory (IN_CREATE, IN_MOVED_TO)."""
    libc = ctypes.CDLL(None, use_errno=True)
    watcher = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    assert watcher >= 0, os.strerror(ctypes.get_errno())
    try:
        assert libc.inotify_add_watch(watcher, str(path.parent).encode(), 0x100 | 0x80) >= 0, os.strerror(ctypes.get_errno())
        deadline = time.monotonic() + timeout
        while not path.exists():
            left = deadline - time.monotonic()
            assert left > 0, f"{path} did not appear within {timeout} s"
            if select.select([watcher], [], [], left)[0]:
                os.read(watcher, 65536)
    finally:
        os.close(watcher)


def read_line(sock):
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode()


def build_preload(workdir, source):
    """Builds the LD_PRELOAD shim Tests/Integration/`source` into `workdir`; returns its path."""
    library = workdir / Path(source).with_suffix(".so").name
    compiler = next(c for c in ("/opt/swift/usr/bin/clang", "cc") if c == "cc" or os.path.exists(c))
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(ROOT / "Tests" / "Integration" / source), "-ldl"],
                   check=True)
    return library


def rfc3339(microseconds):
    """`KIOSKGUARD_DETECTED_AT`'s form: UTC to the microsecond."""
    moment = datetime.fromtimestamp(microseconds // 1_000_000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{microseconds % 1_000_000:06d}Z"


def export_entry(host, seconds, **fields):
    """One entry in journal export format, as journald would have stored it on `host`."""
    lines = [f"__REALTIME_TIMESTAMP={seconds * 1_000_000}", "__MONOTONIC_TIMESTAMP=1", "_BOOT_ID=0123456789abcdef0123456789abcdef",
             f"_HOSTNAME={host}", "_SYSTEMD_UNIT=kioskguard.service", "_COMM=kioskguardd", "_UID=994",
             "SYSLOG_IDENTIFIER=kioskguardd", "MESSAGE=kioskguard entry"]
    return "\n".join(lines + [f"{k}={v}" for k, v in fields.items()]) + "\n\n"


def collect(directory, host, entries, site=None):
    """Writes `entries` into `directory`/`host`.journal with systemd-journal-remote, as a fleet's
    collector would have stored them; with `site`, each names it as a daemon with `[daemon] site` does."""
    directory.mkdir(exist_ok=True)
    if site:
        entries = [entry[:-1] + f"KIOSKGUARD_SITE={site}\n\n" for entry in entries]
    subprocess.run(["/lib/systemd/systemd-journal-remote", "-o", str(directory / f"{host}.journal"), "-"],
                   input="".join(entries), text=True, check=True, capture_output=True, encoding="utf-8")


@pytest.fixture
def workdir():
    directory = Path(tempfile.mkdtemp(prefix="kioskguard-it-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def daemon_journal_export(since):
    """kioskguardd's journal entries since `since` (epoch seconds) in export format: scoped, so a
    journal holding months of entries (or a benchmark's millions) is not read whole."""
    return subprocess.run(["journalctl", "-o", "export", f"--since=@{since}", "SYSLOG_IDENTIFIER=kioskguardd"],
                          capture_output=True).stdout


DIGIT_RUN = re.compile(rb"[0-9]{12,}")
# Pseudonyms, key fingerprints and alert ids are hex: a run of 12 digits can occur in them by
# chance (a random demo key's fingerprint k:c50012209180764e once did).
HEX_IDENTIFIERS = re.compile(rb"p:[0-9a-f]{32}|k:[0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def journal_fields(export: bytes):
    """(name, value) of every field in `journalctl -o export` output, binary-safe fields too."""
    position = 0
    while position < len(export):
        end = export.find(b"\n", position)
        end = len(export) if end < 0 else end
        line = export[position:end]
        if b"=" in line:
            name, _, value = line.partition(b"=")
            position = end + 1
        elif line:
            # A field that may hold newlines: its name, a little-endian 64-bit size, the bytes.
            size = int.from_bytes(export[end + 1:end + 9], "little")
            name, value = line, export[end + 9:end + 9 + size]
            position = end + 9 + size + 1
        else:
            position = end + 1
            continue
        yield name, value


@pytest.fixture(scope="session", autouse=True)
def no_identifier_digit_run_in_the_journal():
    """The run-wide privacy check: after every test, no kioskguardd message or field holds 12 or
    more digits in a row, which is what an ID or account number leaking would look like."""
    since = int(time.time()) - 1
    yield
    export = daemon_journal_export(since)
    hits = [(name, value[:160]) for name, value in journal_fields(export)
            if (name == b"MESSAGE" or name.startswith(b"KIOSKGUARD_")) and DIGIT_RUN.search(HEX_IDENTIFIERS.sub(b"", value))]
    assert not hits, f"digit runs that look like identifiers in the journal of this run: {hits[:10]}"


def site_table(origins, terminal):
    """The `[[site]]` of the test portal's layout (sign-in lands on /home, logout, a sensitive
    account form under /account) on `origins`, guarded by `terminal`."""
    origin = origins[0]
    return f"""
[[site]]
name = "portal"
origins = {json.dumps(origins)}
start_url = "{origin}/"
login_url = "{origin}/home*"
logout_url = "{origin}/logout*"
terminals = ["{terminal}"]
[[site.step]]
name = "bank-account.register"
url = "{origin}/account*"
form = "form#account"
sensitive = true
account_field = "input[name=account]"
"""


@pytest.fixture
def journal():
    follower = JournalFollower()
    yield follower
    follower.close()


@pytest.fixture
def daemons(workdir):
    started = []

    def make(terminals, **kwargs):
        daemon = Daemon(workdir, terminals, **kwargs)
        started.append(daemon)
        return daemon

    yield make
    for daemon in started:
        daemon.stop()


@pytest.fixture
def local_users():
    """Makes real local users for attack tests (`make(groups=[...])` returns the name, creating
    the groups not there yet), and deletes them and the groups it created afterwards."""
    made, groups_made = [], []

    def make(groups=()):
        name = "kg" + uuid.uuid4().hex[:8]
        for group in groups:
            if subprocess.run(["getent", "group", group], capture_output=True).returncode != 0:
                subprocess.run(["groupadd", group], check=True)
                groups_made.append(group)
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group",
                        *(["--groups", ",".join(groups)] if groups else []), name], check=True)
        made.append(name)
        return name

    yield make
    for name in made:
        subprocess.run(["userdel", name], check=False)
    for group in groups_made:
        subprocess.run(["groupdel", group], check=False)


@pytest.fixture
def pcscd(workdir):
    """pcscd with the virtual reader (smartcard.py), for tests whose daemon watches the reader."""
    daemon = Pcscd(workdir, free_port()).start()
    yield daemon
    daemon.stop()


@pytest.fixture
def hotline(workdir):
    """A local incident hotline receiver (plain HTTP), started by the test when it wants it up."""
    receiver = Hotline(workdir)
    yield receiver
    receiver.stop()
