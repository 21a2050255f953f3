"""Attacks by a local user of the kiosk host (docs/threat-model.md, "What a hostile local process
can and cannot do"): a member of the kiosk-app group, a read-only admin and a user in no group,
each a real account made for the test, against a real daemon. Each test performs the attack and
shows it harms no one."""
import json
import os
import resource
import subprocess
import sys

import pytest

from conftest import DAEMON, DEADLINE, build_preload, unique
from hotline import alerting_daemon, card_swap
from test_hostile_peers import peak_memory_kib

# The attacker's side, run as the attacking user: holds `count` connections to `path` open until
# its stdin closes, with "reopen" opening a new one for each the daemon closes; prints "holding"
# once it has tried them all. With "flood", one connection instead writes requests and never reads.
ATTACKER = r"""
import select, socket, sys, time
mode, path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
def connect():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    return sock
if mode == "flood":
    sock = connect()
    sock.setblocking(False)
    request = b'{"id":"x","verb":"sessions"}\n' * 1000
    deadline = time.monotonic() + float(sys.argv[4])
    try:
        while time.monotonic() < deadline:
            select.select([], [sock], [], 0.1)
            try:
                sock.send(request)
            except BlockingIOError:
                pass
        print("still open")
    except (BrokenPipeError, ConnectionResetError):
        print("closed")
    sys.exit(0)
held = [connect() for _ in range(count)]
print("holding", flush=True)
while not select.select([sys.stdin], [], [], 0)[0]:
    readable = select.select(held, [], [], 0.05)[0]
    for sock in readable:
        if sock.recv(4096) == b"":
            held.remove(sock)
            sock.close()
            if mode == "reopen":
                held.append(connect())
"""


def attack(user, *arguments):
    process = subprocess.Popen(["runuser", "-u", user, "--", sys.executable, "-c", ATTACKER, *map(str, arguments)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "holding"
    return process


def stop(process):
    process.stdin.close()
    process.wait(timeout=DEADLINE)


def open_to_everyone(daemon):
    """Sockets any user can connect to, as a careless admin might leave them: SO_PEERCRED decides."""
    for path in (daemon.events, daemon.control_path, daemon.events.parent):
        os.chmod(path, 0o777 if path.is_dir() else 0o666)


def uid_of(user):
    return str(int(subprocess.run(["id", "-u", user], capture_output=True, text=True, check=True).stdout))


def test_one_kiosk_group_user_cannot_keep_the_kiosk_apps_offline(daemons, journal, local_users):
    group = unique("kga")
    attacker = local_users(groups=[group])
    victim = unique()
    daemon = daemons([{"name": victim, "allowed_users": ["root"]}, {"name": unique(), "allowed_groups": [group]}],
                     daemon=["max_connections = 64"]).start()
    open_to_everyone(daemon)
    # More connections than the socket's whole limit, re-opened as the daemon closes them.
    holder = attack(attacker, "reopen", daemon.events, 70)
    try:
        for attempt in range(3):
            client = daemon.client(victim)
            client.ping()
            client.close()
        # The pressure is recorded once for the attacker's uid, not once per connection.
        denied = journal.wait_for(KIOSKGUARD_EVENT="terminal-denied", KIOSKGUARD_PEER_UID=uid_of(attacker))
        assert denied["KIOSKGUARD_REASON"] == "connection-limit"
        assert "the connection limit is reached for this uid" in denied["MESSAGE"]
    finally:
        stop(holder)
    assert len(journal.matching(KIOSKGUARD_EVENT="terminal-denied", KIOSKGUARD_PEER_UID=uid_of(attacker))) == 1


def test_a_reader_holding_control_connections_takes_nothing_from_the_kiosks_or_the_alerts(daemons, workdir, journal, hotline, local_users):
    group = unique("kgr")
    reader = local_users(groups=[group])
    name = unique()
    hotline.start()
    daemon = alerting_daemon(daemons, workdir, hotline, name)
    daemon.config.write_text(daemon.config.read_text().replace("[control]\nadmin_groups = []", f'[control]\nadmin_groups = []\nread_groups = ["{group}"]'))
    # A daemon with 256 descriptors, so that idle connections could exhaust it within the test.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        daemon.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    open_to_everyone(daemon)
    # Idle connections, never closed by the attacker (re-opening them in a loop would be a connect
    # flood, which the kernel's listen backlog meets before the daemon does).
    holder = attack(reader, "hold", daemon.control_path, 400)
    try:
        client = daemon.client(name)
        client.ping()
        assert daemon.control("status")["ok"]
        card_swap(client, "s-1", "newcomer-1")
        card_swap(client, "s-2", "newcomer-2")
        requests = hotline.wait_for(lambda requests: len({r.json["id"] for r in requests}) >= 2)
        ids = {r.json["id"] for r in requests}
        assert len(ids) >= 2 and "00000000-0000-4000-8000-000000000000" not in ids, ids
    finally:
        stop(holder)


def test_a_reader_that_never_reads_its_replies_is_closed(daemons, local_users):
    group = unique("kgr")
    reader = local_users(groups=[group])
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}], control=["admin_groups = []", f'read_groups = ["{group}"]']).start()
    open_to_everyone(daemon)
    before = peak_memory_kib(daemon)
    result = subprocess.run(["runuser", "-u", reader, "--", sys.executable, "-c", ATTACKER, "flood", str(daemon.control_path), "0", str(DEADLINE)],
                            capture_output=True, text=True, timeout=DEADLINE * 2)
    assert result.stdout.strip() == "closed", result.stdout + result.stderr
    # What a peer can make the daemon hold: the 256 KiB of unread replies and a read's worth of requests.
    assert peak_memory_kib(daemon) - before < 32 * 1024
    assert daemon.control("status")["ok"]


# A user in no group: `count` connections one after another, each naming a terminal it may not
# act as, and as many more that send a line before `hello`; every one is refused and closed.
REFUSED_PEER = r"""
import json, socket, sys
path, terminal, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for line in (json.dumps({"type": "hello", "terminal": terminal, "protocol": 1}), '{"type":"ping"}'):
    for _ in range(count):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.sendall(line.encode() + b"\n")
        assert b'"error"' in sock.makefile("rb").readline()
        sock.close()
print("refused")
"""


def test_refused_connections_are_summed_up_per_uid_and_minute(daemons, journal, local_users):
    outsider = local_users()
    victim = unique()
    daemon = daemons([{"name": victim, "allowed_users": ["root"]}]).start()
    open_to_everyone(daemon)
    result = subprocess.run(["runuser", "-u", outsider, "--", sys.executable, "-c", REFUSED_PEER, str(daemon.events), victim, "1000"],
                            capture_output=True, text=True, timeout=DEADLINE * 4)
    assert result.stdout.strip() == "refused", result.stderr
    # Every entry the daemon wrote about the refusals is in the journal before this reload's.
    assert daemon.control("reload")["ok"]
    journal.wait_for(KIOSKGUARD_EVENT="config-reloaded")
    about_the_outsider = journal.matching(KIOSKGUARD_PEER_UID=uid_of(outsider))
    assert 1 <= len(about_the_outsider) <= 3, [e["MESSAGE"] for e in about_the_outsider]
    assert len(journal.matching(KIOSKGUARD_EVENT="terminal-denied", KIOSKGUARD_PEER_UID=uid_of(outsider))) == 1


def test_alerts_outlive_a_kernel_without_randomness_and_a_constant_id(daemons, workdir, journal, hotline):
    """The failure the control-socket attack caused, made directly: getrandom fails, then returns
    zeros (the constant id). No alert is lost or wedges the outbox; each arrives under its own id."""
    marker = workdir / "randomness"
    marker.write_text("fail")
    name = unique()
    hotline.start()
    daemon = alerting_daemon(daemons, workdir, hotline, name)
    daemon.env.update(LD_PRELOAD=str(build_preload(workdir, "broken_randomness.c")), KIOSKGUARD_RANDOMNESS=str(marker))
    daemon.start()
    client = daemon.client(name)
    card_swap(client, "s-1", "newcomer-1")
    held = journal.wait_for(containing="the kernel gave no randomness for alert ids")
    assert held["PRIORITY"] == "2"
    marker.write_text("zeros")
    card_swap(client, "s-2", "newcomer-2")
    # The first alert committed gets the constant id; the second collides with it in the outbox
    # and waits, re-issued each second, rather than retrying the failed batch forever.
    zero = "00000000-0000-4000-8000-000000000000"
    hotline.wait_for(lambda requests: any(r.json["id"] == zero for r in requests))
    assert set(hotline.delivered_ids()) == {zero}
    marker.unlink()
    # Both card swaps arrive, each under its own id.
    requests = hotline.wait_for(lambda requests: len({r.json["id"] for r in requests}) >= 2)
    swaps = {r.json["id"] for r in requests if r.json["type"] == "kioskguard.anomaly.handover.card-swap"}
    assert len(swaps) == 2, swaps
    journal.wait_for(containing="alerts committed again")


@pytest.mark.parametrize("case", ["state directory", "socket directory", "key owner", "key fifo"])
def test_paths_another_user_controls_are_refused(daemons, workdir, journal, local_users, case):
    """A directory another user owns and anyone may write, where an admin put the daemon's state
    or sockets, or its key: she could plant her own key (and compute every pseudonym), replace
    the socket (and capture raw IDs), or swap a link before the daemon's chmod. A key that is a
    FIFO would block the daemon's start forever."""
    attacker = local_users()
    shared = workdir / "shared"
    shared.mkdir()
    os.chown(shared, int(uid_of(attacker)), -1)
    shared.chmod(0o777)
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}])
    text = daemon.config.read_text()
    key = workdir / "pseudonym.key"
    if case == "state directory":
        text = text.replace(f'"{workdir / "state"}"', f'"{shared / "state"}"')
        expected = f"refusing the state directory: {shared} belongs to uid {uid_of(attacker)}"
    elif case == "socket directory":
        text = text.replace(str(workdir / "run"), str(shared / "run"))
        expected = f"refusing the socket directory of {shared / 'run' / 'events.sock'}: {shared} belongs to uid {uid_of(attacker)}"
    elif case == "key owner":
        planted = shared / "pseudonym.key"
        planted.write_bytes(bytes(32))
        os.chown(planted, int(uid_of(attacker)), -1)
        planted.chmod(0o600)
        text = text.replace(f'"{key}"', f'"{planted}"')
        expected = f"{planted}: belongs to uid {uid_of(attacker)}, not to root or the daemon's user"
    else:
        fifo = workdir / "key.fifo"
        os.mkfifo(fifo, 0o600)
        text = text.replace(f'"{key}"', f'"{fifo}"')
        expected = f"{fifo}: not a regular file"
    daemon.config.write_text(text)
    result = subprocess.run([str(DAEMON), "--config", str(daemon.config)], capture_output=True, text=True, timeout=DEADLINE, env=daemon.env)
    assert result.returncode == 1
    journal.wait_for(containing=expected)
    # --check-config applies the same check, so it refuses what the start refuses.
    checked = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True, env=daemon.env)
    assert checked.returncode == 1 and expected.split(": ", 1)[-1] in checked.stderr, checked.stderr


def test_a_reader_gets_in_without_being_an_admin_and_is_shown_no_paths(daemons, local_users, journal, workdir):
    """The socket as the daemon binds it, with no chmod by the test: a member of read_groups
    only (not of the socket's group) can read, and is not shown the host's configuration paths:
    neither the files nor the exec_command that the last enforcement's entry names."""
    group = unique("kgr")
    reader = local_users(groups=[group])
    script = workdir / f"{unique('lock')}.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o755)
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["exec"], "exec_command": [str(script)]}],
                     control=["admin_groups = []", f'read_groups = ["{group}"]']).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    assert daemon.ctl("lock", name).returncode == 0
    journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    status = daemon.ctl("--json", "status", user=reader)
    assert status.returncode == 0, status.stderr
    assert "config_files" not in json.loads(status.stdout)
    assert str(daemon.config) not in status.stdout
    last = json.loads(status.stdout)["last_enforcement"]
    assert (last["result"], last["action"]) == ("enforced", "exec") and "detail" not in last, last
    for verb in (["--json", "sessions"], ["show", "s-1"], ["status"]):
        shown = daemon.ctl(*verb, user=reader)
        assert shown.returncode == 0 and str(script) not in shown.stdout, (verb, shown.stdout, shown.stderr)
    admin = json.loads(daemon.ctl("--json", "status").stdout)
    assert admin["config_files"] == [str(daemon.config)] and str(script) in admin["last_enforcement"]["detail"]


def test_an_admin_verb_on_a_session_id_two_counters_share_names_the_terminal(daemons, journal):
    """Apps choose session ids: two counters may each hold a `u-1`. A bare `terminate u-1` must
    not end whichever comes first."""
    first, second = unique(), unique()
    daemon = daemons([{"name": first, "allowed_users": ["root"]}, {"name": second, "allowed_users": ["root"]}]).start()
    clients = {name: daemon.client(name) for name in (first, second)}
    for client in clients.values():
        client.send("session.begin", session="u-1", subject="310129-954F")
        client.ping()
    refused = daemon.ctl("terminate", "u-1")
    assert refused.returncode == 1 and f"session u-1 is open on {first}, {second}; name one with --terminal" in refused.stderr, refused.stderr
    done = daemon.ctl("terminate", "u-1", "--terminal", second)
    assert done.returncode == 0, done.stderr
    message = clients[second].next_message()
    assert message["type"] == "terminate" and message["session"] == "u-1"
    action = journal.wait_for(KIOSKGUARD_EVENT="admin-action", KIOSKGUARD_TERMINAL=second)
    assert action["KIOSKGUARD_SESSION"] == "u-1"
    assert daemon.ctl("lock", "u-1").returncode == 0
    assert clients[first].next_message()["type"] == "lock"
