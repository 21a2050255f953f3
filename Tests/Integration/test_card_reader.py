"""The daemon's own watch of a PC/SC reader: real pcscd, the vpcd virtual reader and virtual
cards (smartcard.py). The reader outranks the kiosk app's card events."""
from conftest import pseudonym, unique
from smartcard import VirtualCard, watched_reader

SUBJECT = "310129-954F"


def watched(name):
    return {"name": name, "allowed_users": ["root"], "lock_actions": ["client"], **watched_reader()}


def start_with_card(daemons, journal, pcscd, serial="CARD-A"):
    """A daemon watching the virtual reader, a card in it, an app connected and a session open."""
    name = unique()
    card = VirtualCard(pcscd.port, serial)
    daemon = daemons([watched(name)]).start()
    seen = journal.wait_for(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject=SUBJECT, auth="card+pin")
    client.ping()
    return name, daemon, client, card, seen


def test_the_card_identity_is_a_pseudonym_of_the_apdu_answer(daemons, journal, pcscd):
    name, daemon, client, card, seen = start_with_card(daemons, journal, pcscd, serial="SERIAL-0042")
    # The serial is pseudonymised like any identifier: only the keyed pseudonym reaches the journal.
    assert seen["KIOSKGUARD_CARD"] == pseudonym("SERIAL-0042")
    assert "SERIAL-0042" not in str(journal.matching(KIOSKGUARD_TERMINAL=name))
    decision = client.request_step("s-1", "bank-account", sensitive=True)
    assert decision["allow"], decision
    card.remove()


def test_removing_the_card_locks_the_session(daemons, journal, pcscd):
    name, daemon, client, card, _ = start_with_card(daemons, journal, pcscd)
    card.remove()
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "card-removed"}
    assert journal.wait_for(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="absent")
    denied = client.request_step("s-1", "bank-account", sensitive=True)
    assert not denied["allow"] and denied["reason"] == "session-locked"


def test_another_card_in_the_reader_ends_the_session_as_a_card_swap(daemons, journal, pcscd):
    name, daemon, client, card, _ = start_with_card(daemons, journal, pcscd)
    card.remove()
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "card-removed"}
    other = VirtualCard(pcscd.port, "CARD-B")
    assert client.next_message() == {"type": "terminate", "session": "s-1", "reason": "card-swap"}
    anomaly = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="handover.card-swap")
    assert anomaly["KIOSKGUARD_SESSION"] == "s-1"
    other.remove()


def test_a_session_begun_without_a_subject_belongs_to_the_card_in_the_reader(daemons, journal, pcscd):
    """A browser's extension does not know who sits at the counter; the card in the reader does."""
    name = unique()
    card = VirtualCard(pcscd.port, "CARD-A")
    daemon = daemons([watched(name)]).start()
    journal.wait_for(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")
    client = daemon.client(name)
    client.send("session.begin", session="s-1", id="b1")
    begun = journal.wait_for(KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=name)
    assert begun["KIOSKGUARD_SUBJECT"] == pseudonym("CARD-A")
    card.remove()
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "card-removed"}
    other = VirtualCard(pcscd.port, "CARD-B")
    assert client.next_message() == {"type": "terminate", "session": "s-1", "reason": "card-swap"}
    # The second card's entry read means every reader entry before it is read too.
    journal.wait_count(2, KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")
    absent = dict(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="absent")
    seen_absent = len(journal.matching(**absent))
    other.remove()
    # With no card in the reader there is no one to begin a session for.
    journal.wait_count(seen_absent + 1, **absent)
    client.send("session.begin", session="s-2", id="b2")
    refusal = client.next_message()
    assert refusal["type"] == "error" and refusal["code"] == "missing-field" and refusal["id"] == "b2", refusal


def test_the_app_contradicting_the_reader_is_an_anomaly_and_the_reader_wins(daemons, journal, pcscd):
    name, daemon, client, card, _ = start_with_card(daemons, journal, pcscd)
    # The card is in the reader; the app claims it left.
    client.send("card.removed")
    anomaly = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="card.state-mismatch")
    assert anomaly["KIOSKGUARD_REASON"] == "app-reports-absent"
    assert anomaly["KIOSKGUARD_SEVERITY"] == "high"
    # The session was not locked on the app's word: the reader still sees the card.
    assert client.request_step("s-1", "bank-account", sensitive=True)["allow"]
    card.remove()
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "card-removed"}
    # Now the reader sees none; the app claims one.
    client.send("card.inserted", subject=SUBJECT)
    second = journal.wait_count(2, KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="card.state-mismatch")
    assert second[-1]["KIOSKGUARD_REASON"] == "app-reports-present"


def test_a_pcscd_restart_is_survived_and_the_same_card_keeps_the_session(daemons, journal, pcscd):
    name, daemon, client, card, seen = start_with_card(daemons, journal, pcscd)
    pcscd.stop()
    journal.wait_for(containing="lost pcscd")
    pcscd.start()
    again = VirtualCard(pcscd.port, "CARD-A")
    journal.wait_for(containing="pcscd is reachable again")
    present = journal.wait_count(2, KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")
    assert present[-1]["KIOSKGUARD_CARD"] == seen["KIOSKGUARD_CARD"]
    # Whether the watcher looked before or after the card came back, the session is the same one,
    # and no handover was seen: the same card is not another person.
    sessions = {row["session"]: row for row in daemon.control("sessions")["result"]}
    assert "s-1" in sessions
    assert not journal.matching(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="handover.card-swap")
    again.remove()


def test_an_unplugged_reader_counts_as_the_card_removed(daemons, journal, pcscd):
    name, daemon, client, card, _ = start_with_card(daemons, journal, pcscd)
    pcscd.stop()
    pcscd.start(with_reader=False)  # pcscd comes back without the reader
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "card-removed"}
    journal.wait_for(containing=f"card reader Virtual PCD* of terminal {name} is gone")
    assert journal.wait_for(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="absent")


def test_a_reload_that_changes_card_readers_says_they_need_a_restart(daemons):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    # The file ends inside the [[terminal]] table, so this line joins it.
    daemon.config.write_text(daemon.config.read_text() + 'card_reader = "Virtual PCD*"\n')
    reply = daemon.control("reload")
    assert reply["ok"] and "a restart is needed for: card readers" in reply["result"]["message"]
    unchanged = daemon.control("reload")
    assert "after a restart" not in unchanged["result"]["message"]
