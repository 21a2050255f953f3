"""The daemon's systemd side: logind lock actions, socket activation, notify protocol, reload."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import DAEMON, DEADLINE, read_line, unique

dbus = pytest.importorskip("dbus", reason="python3-dbus is installed by `make test`")


@pytest.fixture
def private_system_bus(workdir):
    """A private dbus-daemon with python-dbusmock's logind template on it, standing in for the
    system bus: logind itself needs systemd as PID 1, which the system tier provides."""
    bus = subprocess.Popen(["dbus-daemon", "--config-file=/usr/share/dbus-1/session.conf", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, text=True)
    address = bus.stdout.readline().strip()
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
    mock = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--system", "--template", "logind"], env=env)
    subprocess.run(["gdbus", "wait", "--system", "--timeout", str(int(DEADLINE)), "org.freedesktop.login1"], env=env, check=True)
    connection = dbus.bus.BusConnection(address)
    manager = connection.get_object("org.freedesktop.login1", "/org/freedesktop/login1")
    manager.AddSession("c7", "seat0", dbus.UInt32(0), "root", True, dbus_interface="org.freedesktop.DBus.Mock")
    logind_behaves(manager)
    yield address, manager
    mock.terminate()
    bus.terminate()
    mock.wait()
    bus.wait()


MANAGER = "org.freedesktop.login1.Manager"
SESSION_PATH = "'/org/freedesktop/login1/session/' + args[0]"


def logind_behaves(manager, screen_locker=True, terminate_ends_session=True):
    """Makes the mock's session methods do what logind does on a host: with a screen locker,
    LockSession ends with the session's LockedHint true (without one, logind accepts the call and
    nothing happens, systemd issue 4409); TerminateSession removes the session unless
    `terminate_ends_session` is false (processes that ignore SIGTERM); KillSession (with logind's
    own signature, ssi) always removes it."""
    lock = f"objects[{SESSION_PATH}].UpdateProperties('org.freedesktop.login1.Session', {{'LockedHint': dbus.Boolean(True)}})" if screen_locker else ""
    methods = [("LockSession", "s", lock), ("TerminateSession", "s", f"self.RemoveObject({SESSION_PATH})" if terminate_ends_session else ""),
               ("KillSession", "ssi", f"self.RemoveObject({SESSION_PATH})")]
    for name, signature, code in methods:
        manager.AddMethod(MANAGER, name, signature, "", code, dbus_interface="org.freedesktop.DBus.Mock")


def logind_calls(manager):
    """The calls the mock logind received, in order, as (method, [arguments])."""
    return [(str(c[1]), [str(a) for a in c[2]]) for c in manager.GetCalls(dbus_interface="org.freedesktop.DBus.Mock")
            if str(c[1]) in ("LockSession", "TerminateSession", "KillSession")]


def test_logind_lock_and_terminate_are_called_for_the_configured_session(daemons, journal, private_system_bus):
    address, manager = private_system_bus
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client", "logind"], "logind_session": "c7"}],
                     policy={"terminate_after_lock": "1s"}, env={"DBUS_SYSTEM_BUS_ADDRESS": address}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    client.close()
    # The daemon records each action after logind answered, so the mock has logged the call by then.
    locked = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_REASON="client-lost")
    assert "lock by logind succeeded" in locked["MESSAGE"]
    ended = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_REASON="abandoned")
    assert "terminate by logind succeeded" in ended["MESSAGE"]
    assert logind_calls(manager) == [("LockSession", ["c7"]), ("TerminateSession", ["c7"])]


def test_the_app_is_locked_in_the_logind_session_it_connected_from(daemons, journal, private_system_bus, workdir):
    """SO_PEERCRED gives the app's pid at connect; by the time a lock is due that pid may have
    exited and been reused by a process of another session. The daemon asks logind for the
    session at connect (GetSessionByPID: the unit hides other users' processes from it) and keeps
    it. The mock answers from a file, which the test rewrites after the connect to stand in for
    the reuse (a real reuse cannot be arranged)."""
    address, manager = private_system_bus
    for session in ("c1", "c2"):
        manager.AddSession(session, "seat0", dbus.UInt32(0), "root", True, dbus_interface="org.freedesktop.DBus.Mock")
    sessions = workdir / "sessions"
    sessions.write_text(f"{os.getpid()} c1\n")
    manager.AddMethod(MANAGER, "GetSessionByPID", "u", "o",
                      f"sessions = dict(line.split() for line in open({str(sessions)!r}).read().splitlines())\n"
                      "if str(args[0]) not in sessions:\n"
                      "    raise dbus.exceptions.DBusException('no session', name='org.freedesktop.login1.NoSessionForPID')\n"
                      "ret = dbus.ObjectPath('/org/freedesktop/login1/session/' + sessions[str(args[0])])",
                      dbus_interface="org.freedesktop.DBus.Mock")
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["logind"]}],
                     env={"DBUS_SYSTEM_BUS_ADDRESS": address}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    sessions.write_text(f"{os.getpid()} c2\n")
    assert daemon.ctl("lock", name).returncode == 0
    locked = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name)
    assert "logind session c1" in locked["MESSAGE"], locked["MESSAGE"]
    assert logind_calls(manager) == [("LockSession", ["c1"])]


def test_an_app_whose_session_logind_could_not_name_is_not_locked_by_logind_and_the_entry_says_why(daemons, journal, workdir):
    """No system bus at connect: the session is unknown, not "none", and the logind action's
    failure says so before the next action runs."""
    script, marker = exec_script(workdir)
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["logind", "exec"], "exec_command": [str(script)]}],
                     env={"DBUS_SYSTEM_BUS_ADDRESS": f"unix:path={workdir / 'no-bus'}"}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    assert daemon.ctl("lock", name).returncode == 0
    failed = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="logind")
    assert "logind could not name the kiosk app's session when it connected" in failed["MESSAGE"], failed["MESSAGE"]
    assert "cannot connect to the system bus" in failed["MESSAGE"], failed["MESSAGE"]
    journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert marker.read_text().split() == ["lock", "s-1", "admin"]


def exec_script(workdir):
    """An exec lock action that appends what it was asked to a file; returns both paths."""
    marker, script = workdir / "exec-ran", workdir / "lock.sh"
    script.write_text(f'#!/bin/sh\necho "$KIOSKGUARD_COMMAND $KIOSKGUARD_SESSION $KIOSKGUARD_REASON" >> {marker}\n')
    script.chmod(0o755)
    return script, marker


def test_a_logind_lock_that_no_screen_locker_carries_out_is_unconfirmed_and_escalates_to_exec(daemons, journal, private_system_bus, workdir):
    address, manager = private_system_bus
    logind_behaves(manager, screen_locker=False)
    script, marker = exec_script(workdir)
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["logind", "exec"], "logind_session": "c7",
                       "exec_command": [str(script)]}],
                     policy={"lock_confirm_timeout": "1s"}, env={"DBUS_SYSTEM_BUS_ADDRESS": address}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    assert daemon.ctl("lock", name).returncode == 0
    failed = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="logind")
    assert "lock by logind failed" in failed["MESSAGE"] and "LockedHint was not true within 1s" in failed["MESSAGE"], failed["MESSAGE"]
    unconfirmed = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="lock.unconfirmed")
    assert unconfirmed["KIOSKGUARD_SESSION"] == "s-1" and "LockedHint" in unconfirmed["KIOSKGUARD_REASON"]
    ran = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert "lock by exec succeeded" in ran["MESSAGE"]
    assert marker.read_text() == "lock s-1 admin\n"
    assert logind_calls(manager) == [("LockSession", ["c7"])]
    # status and show say how it ended: by exec, after logind's lock was not seen.
    last = json.loads(daemon.ctl("--json", "status").stdout)["last_enforcement"]
    assert (last["terminal"], last["session"], last["command"], last["result"], last["action"]) == (name, "s-1", "lock", "enforced", "exec"), last
    assert last["detail"] == ran["MESSAGE"]
    shown = daemon.ctl("show", "s-1").stdout
    assert f"last enforcement: lock of s-1 on {name}, " in shown and ran["MESSAGE"] in shown, shown


def test_status_names_an_enforcement_no_action_could_carry_out(daemons, journal, workdir):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["exec"], "exec_command": ["/bin/false"]}]).start()
    assert "last enforcement: none since start" in daemon.ctl("status").stdout
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    assert daemon.ctl("lock", name).returncode == 0
    unenforced = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, containing="no lock action could")
    status = daemon.ctl("status").stdout
    assert f"last enforcement: lock of s-1 on {name}, " in status and f"UNENFORCED: {unenforced['MESSAGE']}" in status, status
    last = json.loads(daemon.ctl("--json", "sessions").stdout)[0]["last_enforcement"]
    assert last["result"] == "unenforced" and "action" not in last, last


def abandoned_session(daemons, address, name, **terminal):
    """A daemon whose terminal `name` locks and ends sessions through logind session c7 (and
    `terminal`'s other settings), with session s-1 open and its app gone: the session is locked,
    and a second later terminated as abandoned."""
    daemon = daemons([{"name": name, "allowed_users": ["root"], "logind_session": "c7", **terminal}],
                     policy={"terminate_confirm_timeout": "1s", "terminate_after_lock": "1s"},
                     env={"DBUS_SYSTEM_BUS_ADDRESS": address}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    client.close()
    return daemon


def test_a_session_that_outlives_terminate_session_is_killed_and_counts_only_once_gone(daemons, journal, private_system_bus, workdir):
    address, manager = private_system_bus
    logind_behaves(manager, terminate_ends_session=False)
    name = unique()
    daemon = abandoned_session(daemons, address, name, lock_actions=["logind"])
    kill = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, containing="killing its processes with SIGKILL")
    assert kill["PRIORITY"] == "4" and "still there 1s after TerminateSession" in kill["MESSAGE"]
    done = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, containing="terminate by logind")
    assert "succeeded: logind session c7 is gone after KillSession with SIGKILL" in done["MESSAGE"], done["MESSAGE"]
    assert logind_calls(manager) == [("LockSession", ["c7"]), ("TerminateSession", ["c7"]), ("KillSession", ["c7", "all", "9"])]
    # show tells an admin how the session's enforcement ended, after the session is gone too.
    shown = daemon.ctl("show", "s-1", "--terminal", name)
    assert shown.returncode == 0, shown.stderr
    [last] = [line for line in shown.stdout.splitlines() if "lock-action" in line][-1:]
    assert "terminate by logind succeeded: logind session c7 is gone after KillSession with SIGKILL" in last, shown.stdout


def test_a_session_that_outlives_kill_session_escalates_to_the_next_action(daemons, journal, private_system_bus, workdir):
    address, manager = private_system_bus
    logind_behaves(manager, terminate_ends_session=False)
    manager.AddMethod(MANAGER, "KillSession", "ssi", "", "", dbus_interface="org.freedesktop.DBus.Mock")
    script, marker = exec_script(workdir)
    name = unique()
    abandoned_session(daemons, address, name, lock_actions=["logind", "exec"], exec_command=[str(script)])
    failed = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, containing="terminate by logind failed")
    assert "still there 1s after KillSession with SIGKILL" in failed["MESSAGE"]
    journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert marker.read_text() == "terminate s-1 abandoned\n"


def test_a_failing_logind_call_is_logged_and_escalates_to_exec(daemons, journal, workdir):
    name = unique()
    marker = workdir / "exec-ran"
    script = workdir / "lock.sh"
    script.write_text(f'#!/bin/sh\necho "$KIOSKGUARD_TERMINAL $KIOSKGUARD_SESSION $KIOSKGUARD_REASON" > {marker}\n')
    script.chmod(0o755)
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["logind", "exec"], "logind_session": "c9",
                       "exec_command": [str(script)]}],
                     env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus"}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.send("card.inserted", subject="310129-954F")
    client.send("card.removed")
    failed = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="logind")
    assert "failed" in failed["MESSAGE"] and failed["PRIORITY"] == "3"
    ran = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert "succeeded" in ran["MESSAGE"]
    assert marker.read_text() == f"{name} s-1 card-removed\n"


def test_socket_activation_with_both_names(workdir, daemons):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}])
    events, control = workdir / "activated-events.sock", workdir / "activated-control.sock"
    # The configured paths are never bound: the daemon must use the sockets it is handed.
    daemon.config.write_text(daemon.config.read_text().replace(str(daemon.events), "/nonexistent/events.sock")
                             .replace(str(daemon.control_path), "/nonexistent/control.sock"))
    daemon.events, daemon.control_path = events, control
    daemon.start(argv_prefix=["systemd-socket-activate", "-E", "NOTIFY_SOCKET", "-l", str(events), "-l", str(control),
                              "--fdname=events:control"])
    client = daemon.client(name)
    assert client.welcome["terminal"] == name
    daemon.wait_notification("READY=1")
    assert daemon.control("status")["result"]["terminals_connected"] == 1


def test_reload_applies_a_good_config_and_refuses_a_bad_one(daemons, journal):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    original = daemon.config.read_text()
    daemon.config.write_text(original + '[[terminal]]\nname = "added"\nallowed_users = ["root"]\n')
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_notification("RELOADING=1")
    daemon.wait_notification("READY=1")
    assert journal.wait_for(KIOSKGUARD_EVENT="config-reloaded", KIOSKGUARD_REASON="applied")
    assert "added" in [row["name"] for row in daemon.control("terminals")["result"]]

    dropin = daemon.config.parent / "kioskguard.toml.d"
    dropin.mkdir()
    (dropin / "50-bad.toml").write_text("[policy]\nidle_timeout = \"never\"\n")
    reply = daemon.control("reload")
    assert not reply["ok"] and reply["error"]["code"] == "failed" and "refused" in reply["error"]["message"]
    # kioskguardctl says so with exit 1; the old configuration stays in force.
    by_ctl = daemon.ctl("reload")
    assert by_ctl.returncode == 1 and "new configuration refused, the previous one stays in force" in by_ctl.stderr, by_ctl
    assert f"{dropin / '50-bad.toml'}:2: policy.idle_timeout" in by_ctl.stderr
    refused = journal.wait_for(KIOSKGUARD_EVENT="config-reloaded", KIOSKGUARD_REASON="refused")
    assert "idle_timeout" in refused["MESSAGE"] and refused["PRIORITY"] == "3"
    assert "added" in [row["name"] for row in daemon.control("terminals")["result"]]


def test_sigterm_sends_stopping_and_exits_cleanly(daemons, journal):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    daemon.process.send_signal(signal.SIGTERM)
    daemon.wait_notification("STOPPING=1")
    assert daemon.process.wait(timeout=DEADLINE) == 0
    journal.wait_for(KIOSKGUARD_EVENT="daemon-stopping")


def test_watchdog_pings_at_half_the_interval(daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}], env={"WATCHDOG_USEC": "400000"})
    # systemd would set WATCHDOG_PID to the daemon's pid; without it, sd_watchdog_enabled accepts any.
    daemon.env.pop("WATCHDOG_PID", None)
    daemon.start()
    started = time.monotonic()
    daemon.wait_notification("WATCHDOG=1")
    daemon.wait_notification("WATCHDOG=1")
    # Two pings at a 0.2 s period take at least 0.2 s after the first (timing itself is benchmarked).
    assert time.monotonic() - started >= 0.2


def test_check_config_validates_and_exits(workdir, daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}])
    good = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
    assert good.returncode == 0 and "configuration valid" in good.stdout
    dropin = daemon.config.parent / "kioskguard.toml.d"
    dropin.mkdir()
    (dropin / "10-typo.toml").write_text("# a typo\n[policy]\nidle_timout = 5\n")
    bad = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"{dropin / '10-typo.toml'}:3: policy.idle_timout: unknown key" in bad.stderr


def test_check_config_applies_every_start_check_and_reports_them_all(workdir, daemons):
    """--check-config passes only what a start accepts: a pseudonym key others may read, a key
    too short, a hotline secret that is not one and a missing CA file are each reported, all in
    one run; a start with the same configuration says why on stderr although it logs to the
    journal."""
    loose, short, secret = workdir / "loose.key", workdir / "short.key", workdir / "hotline.secret"
    loose.write_bytes(bytes(range(32)))
    loose.chmod(0o644)
    short.write_bytes(b"12345678")
    short.chmod(0o600)
    secret.write_text("not-a-webhook-secret\n")
    secret.chmod(0o600)
    hotline = f'[[hotline]]\nname = "desk"\nurl = "http://127.0.0.1:9/"\nsecret_file = "{secret}"\nca_file = "{workdir / "absent.pem"}"\n'
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}], extra=hotline)
    daemon.config.write_text(daemon.config.read_text().replace(str(daemon.directory / "pseudonym.key"), str(loose)))
    checked = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
    assert checked.returncode == 1, checked.stdout
    assert "configuration valid" not in checked.stdout
    assert f"cannot start: pseudonym key: {loose}: mode 644 lets others read it" in checked.stderr
    assert f"cannot start: hotline desk: secret {secret}: the hotline secret must be whsec_" in checked.stderr
    assert f"cannot start: hotline desk: ca_file {workdir / 'absent.pem'}: No such file or directory" in checked.stderr
    started = subprocess.run([str(DAEMON), "--config", str(daemon.config)], capture_output=True, text=True, timeout=DEADLINE)
    assert started.returncode == 1
    assert f"{loose}: mode 644 lets others read it" in started.stderr

    daemon.config.write_text(daemon.config.read_text().replace(str(loose), str(short)))
    checked = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
    assert checked.returncode == 1
    assert f"pseudonym key: {short}: the pseudonym key has 8 bytes; at least" in checked.stderr


def test_check_config_checks_for_the_user_the_daemon_runs_as(workdir, daemons):
    """A key of mode 0600 owned by root passes for root and fails for a daemon running as
    another user, as that daemon's start would; chowned to that user, it passes."""
    key = workdir / "root-only.key"
    key.write_bytes(bytes(range(32)))
    key.chmod(0o600)
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}])
    daemon.config.write_text(daemon.config.read_text().replace(str(daemon.directory / "pseudonym.key"), str(key)))
    as_root = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
    assert as_root.returncode == 0, as_root.stderr
    as_nobody = subprocess.run([str(DAEMON), "--check-config", "--as-user", "nobody", "--config", str(daemon.config)],
                               capture_output=True, text=True)
    assert as_nobody.returncode == 1
    assert f"cannot start: pseudonym key: {key}: belongs to uid 0 with mode 600: the daemon's user (uid 65534) cannot open it" \
        in as_nobody.stderr, as_nobody.stderr
    os.chown(key, 65534, 65534)
    owned = subprocess.run([str(DAEMON), "--check-config", "--as-user", "nobody", "--config", str(daemon.config)],
                           capture_output=True, text=True)
    assert owned.returncode == 0, owned.stderr
    misuse = subprocess.run([str(DAEMON), "--as-user", "nobody"], capture_output=True, text=True)
    assert misuse.returncode != 0 and "--as-user goes with --check-config" in misuse.stderr


def test_check_config_reports_every_configuration_error_in_one_run(workdir, daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}], policy={"idle_timeout": "soon"},
                     extra='[alerts]\nmin_severity = "loud"\n[[terminal]]\nname = "x"\nallowed_users = ["no-such-user-here"]\n')
    dropin = daemon.config.parent / "kioskguard.toml.d"
    dropin.mkdir()
    (dropin / "10-broken.toml").write_text("[policy\n")
    checked = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
    assert checked.returncode == 1
    errors = [line for line in checked.stderr.splitlines() if line.startswith("kioskguardd: invalid configuration: ")]
    assert any("policy.idle_timeout: 'soon' is not a time span" in line for line in errors), checked.stderr
    assert any("alerts.min_severity: 'loud' is not one of" in line for line in errors), checked.stderr
    assert any("terminal.allowed_users: no user named 'no-such-user-here'" in line for line in errors), checked.stderr
    assert any(str(dropin / "10-broken.toml") in line for line in errors), checked.stderr
    assert len(errors) == 4, checked.stderr


def test_a_reload_reaches_the_system_lock_actions(daemons, journal, workdir):
    """A terminal added by reload, and an exec_command changed by reload, are what the lock
    actions run: the app never confirms the lock, so the daemon escalates to exec."""
    kept, added = unique(), unique()
    scripts = {}
    for label in ("before", "after", "added"):
        marker = workdir / f"exec-{label}"
        script = workdir / f"lock-{label}.sh"
        script.write_text(f'#!/bin/sh\necho "$KIOSKGUARD_TERMINAL $KIOSKGUARD_SESSION $KIOSKGUARD_REASON" > {marker}\n')
        script.chmod(0o755)
        scripts[label] = (script, marker)
    terminal = lambda name, label: {"name": name, "allowed_users": ["root"], "lock_actions": ["client", "exec"],
                                    "exec_command": [str(scripts[label][0])]}
    daemon = daemons([terminal(kept, "before")], policy={"lock_confirm_timeout": "1s"}).start()
    original = daemon.config.read_text()
    daemon.config.write_text(original.replace(str(scripts["before"][0]), str(scripts["after"][0]))
                             + "[[terminal]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in terminal(added, "added").items()))
    reply = daemon.control("reload")
    assert reply["ok"] and "restart" not in reply["result"]["message"], reply

    for name, label in ((kept, "after"), (added, "added")):
        client = daemon.client(name, confirm_locks=False)
        client.send("session.begin", session="s-1", subject="310129-954F")
        client.send("card.inserted", subject="310129-954F")
        client.send("card.removed")
        ran = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
        assert "succeeded" in ran["MESSAGE"], ran["MESSAGE"]
        assert scripts[label][1].read_text() == f"{name} s-1 card-removed\n"
    assert not scripts["before"][1].exists()
