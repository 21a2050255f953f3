"""Card-bound terminals (contract section 10, `session_source = "card"`): no kiosk app at all. The
daemon watches a real pcscd's vpcd reader; virtual cards (smartcard.py) begin, end and hand over
the sessions, and every lock, termination and warning goes to the configured programs, whose runs
the test reads back from the files they append to."""
import subprocess

from conftest import DAEMON, pseudonym, unique
from hotline import alerting_daemon
from smartcard import VirtualCard, watched_reader


def action_scripts(workdir, name):
    """The exec lock action and the warn_command of terminal `name`; each appends one line per
    run (what its environment said) to the file returned beside it."""
    runs = workdir / f"{name}.runs"
    lock, warn = workdir / f"{name}-lock.sh", workdir / f"{name}-warn.sh"
    lock.write_text(f'#!/bin/sh\necho "$KIOSKGUARD_COMMAND $KIOSKGUARD_SESSION $KIOSKGUARD_REASON" >> {runs}\n')
    warn.write_text(f'#!/bin/sh\necho "warn $KIOSKGUARD_SESSION $KIOSKGUARD_REASON $KIOSKGUARD_LOCK_IN" >> {runs}\n')
    for script in (lock, warn):
        script.chmod(0o755)
    settings = {"session_source": "card", "lock_actions": ["exec"], "exec_command": [str(lock)], "warn_command": [str(warn)],
                **watched_reader()}
    return settings, runs


def test_a_card_begins_its_session_and_taking_it_out_terminates_it_through_the_system_action(daemons, journal, pcscd, workdir):
    name = unique()
    settings, runs = action_scripts(workdir, name)
    daemons([{"name": name, "allowed_users": ["root"], **settings}]).start()
    card = VirtualCard(pcscd.port, "CARD-A")
    begun = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)
    assert begun["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-A") and begun["KIOSKGUARD_REASON"] == "card"
    session = begun["KIOSKGUARD_SESSION"]
    assert session.startswith("card-")
    card.remove()
    ended = journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=name)
    assert (ended["KIOSKGUARD_SESSION"], ended["KIOSKGUARD_REASON"]) == (session, "card-removed")
    ran = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert "terminate by exec succeeded" in ran["MESSAGE"]
    assert runs.read_text() == f"terminate {session} card-removed\n"


def test_with_on_card_removed_lock_another_card_is_a_card_swap_with_an_alert_and_begins_the_newcomers_session(
        daemons, journal, pcscd, workdir, hotline):
    hotline.start()
    name = unique()
    settings, runs = action_scripts(workdir, name)
    alerting_daemon(daemons, workdir, hotline, name, policy={"on_card_removed": "lock"}, terminal=settings).start()
    first = VirtualCard(pcscd.port, "CARD-A")
    session = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)["KIOSKGUARD_SESSION"]
    first.remove()
    locked = journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=name)
    assert (locked["KIOSKGUARD_SESSION"], locked["KIOSKGUARD_REASON"]) == (session, "card-removed")
    second = VirtualCard(pcscd.port, "CARD-B")
    swap = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="handover.card-swap")
    assert swap["KIOSKGUARD_SESSION"] == session and swap["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-A")
    ended = journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=name)
    assert (ended["KIOSKGUARD_SESSION"], ended["KIOSKGUARD_REASON"]) == (session, "card-swap")
    newcomer = journal.wait_count(2, KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)[-1]
    assert newcomer["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-B") and newcomer["KIOSKGUARD_SESSION"] != session
    [alert] = hotline.wait_for(lambda requests: [r for r in requests if r.json["type"] == "kioskguard.anomaly.handover.card-swap"])
    assert alert.signature_valid and alert.json["data"]["session"] == session
    assert "CARD-A" not in alert.body.decode() and "CARD-B" not in alert.body.decode()
    # The lock and the termination both went to the system action (in either order: they run on
    # a thread pool).
    journal.wait_count(2, KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert sorted(runs.read_text().splitlines()) == sorted([f"lock {session} card-removed", f"terminate {session} card-swap"])
    second.remove()


def test_an_idle_card_session_is_warned_by_warn_command_then_locked_through_the_system_action(daemons, journal, pcscd, workdir):
    name = unique()
    settings, runs = action_scripts(workdir, name)
    daemons([{"name": name, "allowed_users": ["root"], **settings}], policy={"idle_timeout": "4s", "warn_before": "2s"}).start()
    card = VirtualCard(pcscd.port, "CARD-A")
    session = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)["KIOSKGUARD_SESSION"]
    warned = journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, containing="warn_command")
    assert "succeeded" in warned["MESSAGE"] and warned["KIOSKGUARD_REASON"] == "idle"
    locked = journal.wait_for(KIOSKGUARD_EVENT="session-locked", KIOSKGUARD_TERMINAL=name)
    assert (locked["KIOSKGUARD_SESSION"], locked["KIOSKGUARD_REASON"]) == (session, "idle")
    journal.wait_for(KIOSKGUARD_EVENT="lock-action", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_LOCK_ACTION="exec")
    assert runs.read_text().splitlines() == [f"warn {session} idle 2", f"lock {session} idle"]
    card.remove()


def test_a_card_terminal_without_a_reader_or_with_logind_and_no_session_is_refused_by_check_config(daemons):
    for settings, key in [({"session_source": "card", "lock_actions": ["exec"], "exec_command": ["/bin/true"]}, "session_source"),
                          ({"session_source": "card", **watched_reader()}, "logind_session")]:
        daemon = daemons([{"name": unique(), "allowed_users": ["root"], **settings}])
        checked = subprocess.run([str(DAEMON), "--check-config", "--config", str(daemon.config)], capture_output=True, text=True)
        assert checked.returncode != 0 and f"terminal.{key}" in checked.stderr + checked.stdout, checked
