"""The My Number card's own identity (contract section 10, `card_identity = "jpki-auth-certificate"`):
real pcscd with the vpcd reader, virtual My Number cards (smartcard.JPKICardOS) that hold an
X.509 certificate generated here by openssl, all with the same ATR, as real ones share theirs."""
import hashlib
import hmac
import subprocess
import time

from conftest import KEY, daemon_journal_export, unique
from smartcard import JPKI_AP, VirtualCard, JPKICardOS, watched_reader

# What the certificate says of its holder: none of it may reach the journal.
HOLDER = "Yamada Hanako"
SERIAL = 310129954012345


def certificate(workdir, serial=SERIAL):
    """A DER X.509 certificate of HOLDER with `serial`, as a JPKI user-authentication certificate is."""
    path = workdir / f"certificate-{serial}.der"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(workdir / f"key-{serial}.pem"), "-subj", f"/CN={HOLDER}", "-set_serial", str(serial),
                    "-days", "1", "-outform", "DER", "-out", str(path)], check=True, capture_output=True)
    return path.read_bytes()


def card_pseudonym(der):
    """The pseudonym of a certificate: HMAC-SHA256 under the test key of its DER bytes."""
    return "p:" + hmac.new(KEY, der, hashlib.sha256).hexdigest()[:32]


def jpki_terminal(daemons, journal):
    """A terminal watching the empty virtual reader for My Number cards, once it says it is empty."""
    name = unique()
    daemons([{"name": name, "allowed_users": ["root"], "card_reader": watched_reader()["card_reader"],
              "card_identity": "jpki-auth-certificate"}]).start()
    journal.wait_for(KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="absent")
    return name


def insert(pcscd, journal, name, card_os, count):
    """Inserts the card `card_os` emulates; returns its card-reader entry, the `count`th."""
    card = VirtualCard(pcscd.port, card_os=card_os)
    entry = journal.wait_count(count, KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="present")[-1]
    return card, entry


def remove(card, journal, name, count):
    """Removes the `count`th card, once the reader says so (its first absent entry was the start's)."""
    card.remove()
    journal.wait_count(count + 1, KIOSKGUARD_EVENT="card-reader", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_STATE="absent")


def test_the_certificate_is_the_identity_the_same_card_twice_is_one_pseudonym_another_is_another(daemons, journal, pcscd, workdir):
    started = time.time()
    first, second = certificate(workdir), certificate(workdir, SERIAL + 1)
    name = jpki_terminal(daemons, journal)
    seen = []
    for count, der in enumerate([first, first, second], start=1):
        card_os = JPKICardOS(der)
        card, entry = insert(pcscd, journal, name, card_os, count)
        seen.append(entry["KIOSKGUARD_CARD"])
        remove(card, journal, name, count)
        # Only the AP, the certificate's file and READ BINARY: no PIN-protected file is selected.
        selects = {command[5:5 + command[4]] for command in card_os.commands if command[1] == 0xA4}
        assert selects == {JPKI_AP, bytes.fromhex("000A")}, card_os.commands
        assert {command[:2] for command in card_os.commands} <= {b"\x00\xa4", b"\x00\xb0"}
    assert seen == [card_pseudonym(first), card_pseudonym(first), card_pseudonym(second)]
    exported = daemon_journal_export(int(started) - 1)
    for raw in (HOLDER.encode(), str(SERIAL).encode(), first[:64].hex().encode(), first[-64:]):
        assert raw not in exported


def test_a_card_without_the_jpki_application_is_an_unidentified_card_never_the_previous_one(daemons, journal, pcscd, workdir):
    name = jpki_terminal(daemons, journal)
    seen = []
    for count in (1, 2):
        card, entry = insert(pcscd, journal, name, JPKICardOS(certificate(workdir), application=False), count)
        seen.append(entry["KIOSKGUARD_CARD"])
        remove(card, journal, name, count)
    warning = journal.wait_for(containing=f"(terminal {name}) gave no JPKI user-authentication certificate")
    assert "no JPKI application" in warning["MESSAGE"] and "unidentified" in warning["MESSAGE"]
    assert seen[0] != seen[1], "an unidentified card must never count as the card before it"


def test_a_truncated_certificate_is_reported_and_the_card_is_unidentified(daemons, journal, pcscd, workdir):
    name = jpki_terminal(daemons, journal)
    whole = certificate(workdir)
    card, entry = insert(pcscd, journal, name, JPKICardOS(whole[:len(whole) // 2]), 1)
    warning = journal.wait_for(containing=f"(terminal {name}) gave no JPKI user-authentication certificate")
    assert f"ends after {len(whole) // 2} of its {len(whole)} bytes" in warning["MESSAGE"], warning["MESSAGE"]
    assert entry["KIOSKGUARD_CARD"] != card_pseudonym(whole)
    card.remove()
