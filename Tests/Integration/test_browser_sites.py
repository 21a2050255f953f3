"""The daemon's side of browser kiosks (contract section 9): `welcome` carries the `[[site]]`
tables a terminal guards and echoes the hello's id, and `"terminal": "auto"` binds a browser's
bridge to the one terminal its user may act as."""
import json

from conftest import read_line, site_table, unique
from test_docs import validator

EVERYWHERE = """
[[site]]
name = "everywhere"
origins = ["https://help.example.jp"]
start_url = "https://help.example.jp/"
"""


def hello(daemon, terminal, **fields):
    sock = daemon.raw()
    sock.sendall((json.dumps({"type": "hello", "terminal": terminal, "protocol": 1, **fields}) + "\n").encode())
    return sock, json.loads(read_line(sock))


def test_welcome_gives_a_terminal_the_sites_it_guards_and_echoes_the_hello_id(daemons):
    guarded, other = unique(), unique()
    daemon = daemons([{"name": guarded, "allowed_users": ["root"]}, {"name": other, "allowed_users": ["root"]}],
                     extra=site_table(["http://127.0.0.1:8080", "http://localhost:8080"], guarded) + EVERYWHERE).start()
    _, welcome = hello(daemon, guarded, id="h-7")
    validator("daemon-message").validate(welcome)
    assert welcome["id"] == "h-7"
    assert [site["name"] for site in welcome["sites"]] == ["portal", "everywhere"]
    assert welcome["sites"][0] == {
        "name": "portal", "origins": ["http://127.0.0.1:8080", "http://localhost:8080"], "start_url": "http://127.0.0.1:8080/",
        "login_url": "http://127.0.0.1:8080/home*", "logout_url": "http://127.0.0.1:8080/logout*",
        "steps": [{"name": "bank-account.register", "url": "http://127.0.0.1:8080/account*", "form": "form#account",
                   "sensitive": True, "account_field": "input[name=account]"}]}
    _, welcome = hello(daemon, other)
    assert "id" not in welcome
    assert [site["name"] for site in welcome["sites"]] == ["everywhere"]


def test_hello_auto_binds_the_one_terminal_that_admits_the_user(daemons):
    mine, theirs = unique(), unique()
    daemon = daemons([{"name": theirs, "allowed_users": ["nobody"]}, {"name": mine, "allowed_users": ["root"]}]).start()
    sock, welcome = hello(daemon, "auto", id="a")
    assert welcome["type"] == "welcome" and welcome["terminal"] == mine, welcome
    # Bound as that terminal: a second "auto" finds it held, as a second hello naming it would.
    _, busy = hello(daemon, "auto")
    assert busy["code"] == "terminal-busy", busy
    sock.close()


def test_hello_auto_is_refused_when_several_terminals_admit_the_user(daemons):
    first, second = unique(), unique()
    daemon = daemons([{"name": first, "allowed_users": ["root"]}, {"name": second, "allowed_groups": ["root"]}]).start()
    _, several = hello(daemon, "auto", id="x")
    assert several["type"] == "error" and several["code"] == "terminal-not-allowed" and several["id"] == "x", several
    assert first in several["message"] and second in several["message"]


def test_hello_auto_is_refused_when_no_terminal_admits_the_user(daemons):
    daemon = daemons([{"name": unique(), "allowed_users": ["nobody"]}]).start()
    _, none = hello(daemon, "auto")
    assert none["code"] == "terminal-not-allowed" and "no configured terminal admits this user" in none["message"], none


def test_a_session_without_subject_on_a_terminal_without_reader_is_anonymous_and_fails_closed(daemons, journal):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}])
    daemon.start()
    sock, welcome = hello(daemon, name)
    sock.sendall(b'{"type":"session.begin","session":"s-1"}\n{"type":"ping","id":"p"}\n')
    assert json.loads(read_line(sock)) == {"type": "pong", "id": "p"}
    begun = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)
    assert "KIOSKGUARD_SUBJECT" not in begun and "anonymously" in begun["MESSAGE"]
    [row] = [row for row in daemon.control("sessions")["result"] if row["terminal"] == name]
    assert row["session"] == "s-1" and "subject" not in row
    # Persisted like any session: a crash and restart finds it and locks it.
    daemon.kill()
    daemon.start()
    restarted = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="guard.restarted")
    assert f"{name}/s-1 anonymous" in restarted["KIOSKGUARD_DETAIL_SESSION"]
    [row] = [row for row in daemon.control("sessions")["result"] if row["terminal"] == name]
    assert row["state"] == "locked" and row["lock_reason"] == "guard-restarted"
