"""kioskguardctl incident over journals collected from several hosts (systemd-journal-remote,
as a fleet's collector writes them): incidents across hosts, their timeline and the reporting
clock, read on a fixed day (--as-of) in the reviewer's time zone."""
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

from conftest import CTL, rfc3339, collect, export_entry, pseudonym

TOKYO = timezone(timedelta(hours=9))
SUBJECT_A, SUBJECT_B, SUBJECT_C, SUBJECT_D = "310129-954F", "280286-1234", "150377-111K", "090990-2222"
ACCOUNT = "FI21 1234 5600 0007 85"
ENVIRONMENT = {**os.environ, "TZ": "Asia/Tokyo"}


def at(text):
    """Seconds since the epoch of a Tokyo wall time."""
    return int(datetime.fromisoformat(text).replace(tzinfo=TOKYO).timestamp())


def incident(*arguments):
    return subprocess.run([str(CTL), "incident", *arguments], capture_output=True, text=True, env=ENVIRONMENT)


def write_fleet(fleet):
    """kiosk-a: an account registered in August, and a card swap in June whose alert reached the
    hotline 90 s late; kiosk-b: the same account registered by another person a month later,
    which neither daemon could see, and a foreign entry."""
    june, august, september = at("2024-06-03T09:00:00"), at("2024-08-01T10:00:00"), at("2024-09-01T23:30:00")
    detected = june * 1_000_000 + 250_000
    collect(fleet, "kiosk-a", [
        export_entry("kiosk-a", june, KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="handover.card-swap", KIOSKGUARD_SEVERITY="high",
                     KIOSKGUARD_TERMINAL="counter-2", KIOSKGUARD_SESSION="s-40", KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_C),
                     KIOSKGUARD_DETAIL_CARD_SUBJECT=pseudonym(SUBJECT_D), KIOSKGUARD_DETECTED_AT=rfc3339(detected)),
        export_entry("kiosk-a", june + 1, KIOSKGUARD_EVENT="alert-queued", KIOSKGUARD_ALERT_ID="al-1",
                     KIOSKGUARD_ANOMALY="handover.card-swap", KIOSKGUARD_DETECTED_AT=rfc3339(detected)),
        export_entry("kiosk-a", june + 30, KIOSKGUARD_EVENT="alert-retry", KIOSKGUARD_ALERT_ID="al-1", KIOSKGUARD_ENDPOINT="hotline"),
        export_entry("kiosk-a", june + 90, KIOSKGUARD_EVENT="alert-delivered", KIOSKGUARD_ALERT_ID="al-1", KIOSKGUARD_ENDPOINT="hotline"),
        export_entry("kiosk-a", august, KIOSKGUARD_EVENT="step-done", KIOSKGUARD_TERMINAL="counter-1", KIOSKGUARD_SESSION="s-1",
                     KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_A), KIOSKGUARD_ACCOUNT=pseudonym(ACCOUNT), KIOSKGUARD_STEP="bank-account"),
    ], site="北区")
    collect(fleet, "kiosk-b", [
        export_entry("kiosk-b", september - 5, KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="client.lost", KIOSKGUARD_SEVERITY="high",
                     KIOSKGUARD_TERMINAL="counter-7"),
        export_entry("kiosk-b", september, KIOSKGUARD_EVENT="step-done", KIOSKGUARD_TERMINAL="counter-7", KIOSKGUARD_SESSION="s-9",
                     KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_B), KIOSKGUARD_ACCOUNT=pseudonym(ACCOUNT), KIOSKGUARD_STEP="bank-account"),
        "MESSAGE=not kioskguard at all\nSYSLOG_IDENTIFIER=cron\n__REALTIME_TIMESTAMP=1725200000000000\n_HOSTNAME=kiosk-b\n\n",
    ], site="南区")
    return june, august, september


def test_an_account_of_two_people_on_two_hosts_is_one_incident_with_its_reporting_clock(workdir):
    fleet = workdir / "fleet"
    june, august, september = write_fleet(fleet)
    found = incident("--directory", str(fleet), "--format", "json", "--as-of", "2024-09-05")
    assert found.returncode == 1, "an incident makes incident exit 1, like audit"
    incidents = json.loads(found.stdout)
    assert [i["kinds"] for i in incidents] == [["handover.card-swap"], ["account.multiple-subjects"]], "client.lost is no leak"

    swap, account = incidents
    assert account["number"] == 2 and account["hosts"] == ["kiosk-a", "kiosk-b"] and account["sites"] == ["北区", "南区"]
    # Detected when the second person registered (23:30 in Tokyo, already the 1st there, not in UTC).
    assert account["first_detection"] == september * 1_000_000 and account["first_host"] == "kiosk-b"
    assert account["subjects_affected"] == 2
    assert sorted(account["subjects"]) == sorted([pseudonym(SUBJECT_A), pseudonym(SUBJECT_B)])
    assert account["accounts"] == [pseudonym(ACCOUNT)]
    assert [(d["report"], d["due"], d["status"], d["days_left"]) for d in account["deadlines"]] == [
        ("preliminary", "2024-09-04", "overdue", -1), ("preliminary", "2024-09-06", "ahead", 1),
        ("final", "2024-10-01", "ahead", 26), ("final (deliberate act)", "2024-10-31", "ahead", 56)]
    assert [(t["step"], t["host"], t["time"]) for t in account["timeline"]] == [
        ("registration", "kiosk-a", august * 1_000_000), ("registration", "kiosk-b", september * 1_000_000),
        ("found-by-review", "kiosk-b", september * 1_000_000)]
    assert account["alerts_queued"] == 0

    # The daemon's own detection joins its alert by host, kind and detection time.
    assert swap["first_detection"] == june * 1_000_000 + 250_000 and swap["hosts"] == ["kiosk-a"]
    assert sorted(swap["subjects"]) == sorted([pseudonym(SUBJECT_C), pseudonym(SUBJECT_D)]), "the card's person is affected too"
    assert (swap["alerts_queued"], swap["alerts_delivered"]) == (1, 1)
    delivered = [t for t in swap["timeline"] if t["step"] == "alert-delivered"]
    assert [(t["endpoint"], t["delay"]) for t in delivered] == [("hotline", 90 * 1_000_000 - 250_000)]
    assert all(d["status"] == "overdue" for d in swap["deadlines"])

    markdown = incident("--directory", str(fleet), "--as-of", "2024-09-05")
    assert markdown.returncode == 1
    text = markdown.stdout
    assert "## Incident 2: account.multiple-subjects" in text and "| preliminary | promptly: about 3 days | 2024-09-04 | **overdue** by 1 day |" in text
    assert "- First detection: 2024-09-01 23:30:00 on kiosk-b" in text and "- Sites: 北区, 南区" in text
    assert "| 2024-08-01 10:00:00 | kiosk-a (北区) | counter-1 |" in text
    assert "delivered to hotline hotline, 89.8 s after detection" in text
    for raw in (SUBJECT_A, SUBJECT_B, ACCOUNT, ACCOUNT.replace(" ", "")):
        assert raw not in text and raw not in found.stdout


def test_incident_on_bad_input_says_what_is_wrong(workdir):
    empty = workdir / "empty"
    empty.mkdir()
    nothing = incident("--directory", str(empty), "--as-of", "2024-09-05")
    assert nothing.returncode == 0 and "No incident" in nothing.stdout, nothing
    foreign = workdir / "foreign"
    collect(foreign, "other", ["MESSAGE=hello\nSYSLOG_IDENTIFIER=cron\n__REALTIME_TIMESTAMP=1725200000000000\n_HOSTNAME=other\n\n"])
    assert json.loads(incident("--directory", str(foreign), "--format", "json").stdout) == []
    fleet = workdir / "fleet"
    write_fleet(fleet)
    truncated = workdir / "truncated.journal"
    data = (fleet / "kiosk-b.journal").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    # Half a journal file has no valid header tail: sd_journal refuses it, and exit 2 (not 1, which
    # would say "incident found") says the reviewer was not able to look.
    for verb in ("incident", "audit", "report"):
        cut = subprocess.run([str(CTL), verb, "--file", str(truncated)], capture_output=True, text=True)
        assert cut.returncode == 2 and f"cannot read journal files {truncated}" in cut.stderr, cut
    bad_day = incident("--directory", str(fleet), "--as-of", "someday")
    assert bad_day.returncode == 2 and "--as-of 'someday'" in bad_day.stderr
    both = incident("--directory", str(fleet), "--file", str(truncated))
    assert both.returncode == 2 and "not both" in both.stderr
