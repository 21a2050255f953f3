"""kioskguardctl against the real daemon: every live verb, human and JSON output, exit codes,
and the permissions of the control socket."""
import json
import os
import subprocess

from conftest import CTL, key_fingerprint, pseudonym, unique


def test_status_terminals_sessions_and_show(daemons, journal):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.send("card.inserted", subject="310129-954F")
    client.ping()

    status = daemon.ctl("status", "--json")
    assert status.returncode == 0, status.stderr
    parsed = json.loads(status.stdout)
    assert parsed["terminals_connected"] == 1 and parsed["sessions"] == {"active": 1, "warned": 0, "locked": 0}
    assert parsed["key_fingerprint"] == key_fingerprint()
    started = journal.wait_for(KIOSKGUARD_EVENT="daemon-started", _PID=str(daemon.process.pid))
    assert started["KIOSKGUARD_KEY_FINGERPRINT"] == key_fingerprint() and key_fingerprint() in started["MESSAGE"]
    human = daemon.ctl("status")
    assert "terminals: 1 of 1 connected" in human.stdout and "1 active, 0 warned, 0 locked" in human.stdout

    terminals = json.loads(daemon.ctl("terminals", "--json").stdout)
    assert terminals == [{"name": name, "connected": True, "session": "s-1", "card_present": True, "idle_timeout_seconds": 120}]
    lines = daemon.ctl("terminals").stdout.splitlines()
    assert lines[0].split() == ["TERMINAL", "APP", "SESSION", "CARD", "IDLE", "TIMEOUT"]
    assert lines[1].split()[:4] == [name, "connected", "s-1", "present"]

    sessions = json.loads(daemon.ctl("sessions", "--json").stdout)
    assert sessions[0]["session"] == "s-1" and sessions[0]["subject"] == pseudonym("310129-954F") and sessions[0]["state"] == "active"
    assert pseudonym("310129-954F") in daemon.ctl("sessions").stdout

    shown = json.loads(daemon.ctl("show", "--json", "s-1").stdout)
    assert shown["open"]["terminal"] == name
    assert [e["event"] for e in shown["timeline"]] == ["session-begun"]
    client.send("session.end", session="s-1", reason="completed")
    journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=name)
    ended = json.loads(daemon.ctl("show", "--json", "--terminal", name, "s-1").stdout)
    assert ended["open"] is None and [e["event"] for e in ended["timeline"]] == ["session-begun", "session-ended"]
    assert f"session s-1 on {name} is not open" in daemon.ctl("show", "--terminal", name, "s-1").stdout
    absent = unique("absent")
    missing = daemon.ctl("show", absent)
    assert missing.returncode == 1 and f"no session '{absent}' is open or in the journal" in missing.stderr


def test_show_never_merges_the_sessions_of_two_terminals_under_one_id(daemons, journal):
    first, second, session = unique(), unique(), unique("s")
    daemon = daemons([{"name": first, "allowed_users": ["root"]}, {"name": second, "allowed_users": ["root"]}]).start()
    for terminal in (first, second):
        client = daemon.client(terminal)
        client.send("session.begin", session=session, subject="310129-954F")
        client.send("session.end", session=session, reason="completed")
        journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=terminal)
    ambiguous = daemon.ctl("show", session)
    assert ambiguous.returncode == 2, ambiguous.stdout
    assert f"session '{session}' is in the journal of 2 terminals ({', '.join(sorted([first, second]))}): name one with --terminal" \
        in ambiguous.stderr
    chosen = json.loads(daemon.ctl("show", "--json", "--terminal", second, session).stdout)
    assert {e["terminal"] for e in chosen["timeline"]} == {second}
    assert [e["event"] for e in chosen["timeline"]] == ["session-begun", "session-ended"]


def test_lock_terminate_reload_and_pseudonym(daemons, journal):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    idle = daemon.ctl("lock", name)
    assert idle.returncode == 1 and f"terminal {name} has no open session" in idle.stderr, idle.stderr
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    client.ping()
    locked = daemon.ctl("lock", name)
    assert locked.returncode == 0 and locked.stdout.strip() == f"lock {name}: done"
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "admin"}
    again = daemon.ctl("lock", "s-1")
    assert again.returncode == 1 and "already locked" in again.stderr
    assert json.loads(daemon.ctl("terminate", "--json", "s-1").stdout) == {"message": f"terminate s-1 on {name}: done"}
    assert client.next_message() == {"type": "terminate", "session": "s-1", "reason": "admin"}
    assert daemon.ctl("reload").returncode == 0
    assert journal.wait_for(KIOSKGUARD_EVENT="admin-action", KIOSKGUARD_REASON="terminate")["KIOSKGUARD_ADMIN_UID"] == "0"
    # From standard input the number appears in neither argv nor shell history.
    from_stdin = daemon.ctl("pseudonym", "-", stdin="310129-954F\n")
    assert from_stdin.returncode == 0 and from_stdin.stdout.strip() == pseudonym("310129-954F")
    assert json.loads(daemon.ctl("pseudonym", "--json", "310129-954F").stdout) == {"pseudonym": pseudonym("310129-954F")}
    # A relative --socket is taken from the current directory, as every other path an admin types.
    relative = subprocess.run([str(CTL), "--socket", daemon.control_path.name, "status"], cwd=daemon.control_path.parent,
                              capture_output=True, text=True, timeout=15)
    assert relative.returncode == 0, relative.stderr


def open_control_socket(daemon):
    """Lets every local user reach the socket, as a careless admin might: the daemon's own
    group check (SO_PEERCRED) must still decide."""
    os.chmod(daemon.control_path.parent, 0o755)
    os.chmod(daemon.control_path, 0o666)


def test_readers_may_read_but_not_act(daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}], control=['admin_groups = ["root"]', 'read_groups = ["nogroup"]']).start()
    open_control_socket(daemon)
    reader = daemon.ctl("status", user="nobody")
    assert reader.returncode == 0, reader.stderr
    refused = daemon.ctl("lock", "anything", user="nobody")
    assert refused.returncode == 1 and "'lock' needs root or membership in root" in refused.stderr


def test_outsiders_may_do_nothing(daemons, journal):
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    open_control_socket(daemon)
    outsider = daemon.ctl("status", user="nobody")
    assert outsider.returncode == 1 and "this user may not use the kioskguard control socket" in outsider.stderr
    assert "root" not in outsider.stderr and "admin" not in outsider.stderr
    assert journal.wait_for(KIOSKGUARD_EVENT="terminal-denied", KIOSKGUARD_PEER_UID="65534")["PRIORITY"] == "4"


def test_errors_and_exit_codes(workdir, daemons):
    absent = subprocess.run([str(CTL), "status", "--socket", str(workdir / "none.sock")], capture_output=True, text=True)
    assert absent.returncode == 1 and "kioskguardd is not running: nothing listens on" in absent.stderr
    usage = subprocess.run([str(CTL), "lock"], capture_output=True, text=True)
    assert usage.returncode == 2 and "Missing expected argument" in usage.stderr
    unknown = subprocess.run([str(CTL), "explode"], capture_output=True, text=True)
    assert unknown.returncode == 2
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}])
    good = subprocess.run([str(CTL), "check-config", "--json", str(daemon.config)], capture_output=True, text=True)
    assert good.returncode == 0 and json.loads(good.stdout)["valid"] is True
    daemon.config.write_text(daemon.config.read_text() + "\n[bogus]\n")
    bad = subprocess.run([str(CTL), "check-config", str(daemon.config)], capture_output=True, text=True)
    assert bad.returncode == 1 and f"{daemon.config}:" in bad.stderr and "bogus: unknown key" in bad.stderr


def test_completions_are_generated_from_the_current_commands():
    """packaging/completions come from the argument parsers (scripts/generate-docs.sh); a command
    changed without regenerating them fails here."""
    root = CTL.parents[2]
    for tool in ["kioskguardctl", "kioskguardd"]:
        binary = CTL.parent / tool
        for shell, name in [("bash", f"{tool}.bash"), ("zsh", f"_{tool}")]:
            generated = subprocess.run([str(binary), "--generate-completion-script", shell], capture_output=True, text=True, check=True).stdout
            assert generated == (root / "packaging" / "completions" / name).read_text(), f"run scripts/generate-docs.sh ({name})"


def test_global_options_stand_before_or_after_the_verb(daemons):
    """`kioskguardctl --json status` is `kioskguardctl status --json`, as with systemctl and git."""
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    path = str(daemon.control_path)
    run = lambda *arguments: subprocess.run([str(CTL), *arguments], capture_output=True, text=True)
    for arguments in (["--json", "--socket", path, "status"], [f"--socket={path}", "--json", "status"],
                      ["--json", "status", "--socket", path], ["status", "--socket", path, "--json"]):
        result = run(*arguments)
        assert result.returncode == 0, f"{arguments}: {result.stderr}"
        assert json.loads(result.stdout)["terminals_configured"] == 1, arguments
    for verb in (["terminals"], ["sessions"], ["show", "s-1"], ["alerts", "--pending"], ["lock", name]):
        before = run("--socket", path, "--json", *verb)
        after = run(*verb, "--socket", path, "--json")
        assert "Unknown option" not in before.stderr, f"{verb}: {before.stderr}"
        assert (before.returncode, before.stdout, before.stderr) == (after.returncode, after.stdout, after.stderr), verb
    assert json.loads(run("--socket", path, "--json", "terminals").stdout)[0]["name"] == name
    # An option the verb does not take is still refused as a usage error.
    assert run("--socket", path, "history", "--bogus").returncode == 2
