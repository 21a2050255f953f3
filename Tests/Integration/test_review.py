"""history, report and audit read the journal itself: entries the real daemon wrote through
journald, and journals collected from several hosts (written here by systemd-journal-remote,
the collector a fleet uses)."""
import json
import os
import subprocess
import time

from conftest import CTL, collect, export_entry, pseudonym, unique

SUBJECT_A, SUBJECT_B, ACCOUNT = "310129-954F", "280286-1234", "FI21 1234 5600 0007 85"


def test_history_and_report_of_the_daemons_own_entries(daemons, journal):
    name = unique()
    since = f"@{int(time.time()) - 1}"
    daemon = daemons([{"name": name, "allowed_users": ["root"]}], policy={"terminate_after_lock": "1s"}).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject=SUBJECT_A)
    client.send("card.inserted", subject=SUBJECT_A)
    client.send("card.inserted", subject=SUBJECT_B)
    client.send("session.begin", session="s-2", subject=SUBJECT_B)
    client.send("locked", session="s-2")
    journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_SESSION="s-2", KIOSKGUARD_TERMINAL=name)

    history = subprocess.run([str(CTL), "history", "--terminal", name, "--json"], capture_output=True, text=True, check=True)
    entries = [json.loads(line) for line in history.stdout.splitlines()]
    assert [(e["session"], e["event"]) for e in entries if e["event"].startswith("session")] == [
        ("s-1", "session-begun"), ("s-1", "session-ended"), ("s-2", "session-begun"), ("s-2", "session-locked"), ("s-2", "session-ended")]
    assert {e["subject"] for e in entries if e.get("session") == "s-1"} == {pseudonym(SUBJECT_A)}
    by_subject = subprocess.run([str(CTL), "history", "--subject", pseudonym(SUBJECT_B), "--since", since, "--json"],
                                capture_output=True, text=True, check=True)
    assert {json.loads(line)["session"] for line in by_subject.stdout.splitlines()} == {"s-2"}
    table = subprocess.run([str(CTL), "history", "--terminal", name], capture_output=True, text=True, check=True).stdout
    assert table.splitlines()[0].split()[:3] == ["TIME", "HOST", "TERMINAL"] and "card-swap" in table

    report = json.loads(subprocess.run([str(CTL), "report", "--since", since, "--format", "json"], capture_output=True, text=True,
                                       check=True).stdout)
    mine = next(r for r in report if r["terminal"] == name)
    assert mine["sessions_begun"] == 2 and mine["sessions_ended"] == 2
    assert mine["ended_by"] == {"card-swap": 1, "abandoned": 1} and mine["forgotten_logout_rate"] == 0.5
    assert mine["anomalies"] == {"handover.card-swap": 1}
    csv = subprocess.run([str(CTL), "report", "--since", since, "--format", "csv"], capture_output=True, text=True, check=True).stdout
    assert any(line.split(",")[1:6] == [name, "2", "2", "1", "50.0%"] for line in csv.splitlines())


def test_a_refused_peer_adds_no_row_to_the_report(daemons, journal):
    """The terminal a refused hello names is the peer's to choose: the refusal counts on the
    host's row, never as a terminal of its own."""
    since = f"@{int(time.time()) - 1}"
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}]).start()
    invented = unique("ghost")
    raw = daemon.raw()
    raw.sendall(json.dumps({"type": "hello", "protocol": 1, "terminal": invented}).encode() + b"\n")
    journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="ipc.denied", KIOSKGUARD_TERMINAL=invented)
    raw.close()
    report = json.loads(subprocess.run([str(CTL), "report", "--since", since, "--format", "json"], capture_output=True, text=True,
                                       check=True).stdout)
    assert invented not in {row["terminal"] for row in report}
    assert sum(row["anomalies"].get("ipc.denied", 0) for row in report if row["terminal"] == "-") >= 1


def test_audit_finds_an_account_linked_to_two_people_on_two_hosts_months_apart(workdir):
    fleet = workdir / "fleet"
    march, september = 1_709_280_000, 1_725_148_800
    collect(fleet, "kiosk-a", [
        export_entry("kiosk-a", march, KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL="counter-1", KIOSKGUARD_SESSION="s-1",
                     KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_A)),
        export_entry("kiosk-a", march + 60, KIOSKGUARD_EVENT="step-done", KIOSKGUARD_TERMINAL="counter-1", KIOSKGUARD_SESSION="s-1",
                     KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_A), KIOSKGUARD_ACCOUNT=pseudonym(ACCOUNT), KIOSKGUARD_STEP="bank-account"),
    ])
    collect(fleet, "kiosk-b", [
        export_entry("kiosk-b", september, KIOSKGUARD_EVENT="step-done", KIOSKGUARD_TERMINAL="counter-7", KIOSKGUARD_SESSION="s-9",
                     KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_B), KIOSKGUARD_ACCOUNT=pseudonym(ACCOUNT), KIOSKGUARD_STEP="bank-account"),
        export_entry("kiosk-b", september + 5, KIOSKGUARD_EVENT="step-done", KIOSKGUARD_TERMINAL="counter-7", KIOSKGUARD_SESSION="s-9",
                     KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_B), KIOSKGUARD_ACCOUNT=pseudonym("DE89 3704 0044 0532 0130 00")),
    ])
    audit = subprocess.run([str(CTL), "audit", "--directory", str(fleet), "--json"], capture_output=True, text=True)
    assert audit.returncode == 1, "findings make audit exit 1"
    findings = json.loads(audit.stdout)
    # One row per registration, each with the subject of its own session and the others labelled.
    assert [(f["rule"], f["account"], f["hosts"]) for f in findings] == [
        ("account.multiple-subjects", pseudonym(ACCOUNT), ["kiosk-a", "kiosk-b"])] * 2
    assert [(f["host"], f["terminal"], f["session"], f["subject"], f["others"]) for f in findings] == [
        ("kiosk-a", "counter-1", "s-1", pseudonym(SUBJECT_A), [pseudonym(SUBJECT_B)]),
        ("kiosk-b", "counter-7", "s-9", pseudonym(SUBJECT_B), [pseudonym(SUBJECT_A)])]
    table = subprocess.run([str(CTL), "audit", "--directory", str(fleet)], capture_output=True, text=True)
    header, *rows = table.stdout.splitlines()
    assert "OTHER SUBJECTS" in header and len(rows) == 2
    one_host = subprocess.run([str(CTL), "audit", "--file", str(fleet / "kiosk-b.journal")], capture_output=True, text=True)
    assert one_host.returncode == 0 and one_host.stdout.strip() == "no findings"
    later = subprocess.run([str(CTL), "audit", "--directory", str(fleet), "--since", "2024-06-01"], capture_output=True, text=True)
    assert later.returncode == 0, "before --since the first registration is not seen"


def test_audit_of_the_daemons_own_handovers(daemons, journal):
    name = unique()
    since = f"@{int(time.time()) - 1}"
    daemon = daemons([{"name": name, "allowed_users": ["root"]}]).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject=SUBJECT_A)
    client.send("step.done", session="s-1", step="bank-account", account=ACCOUNT)
    client.send("session.begin", session="s-2", subject=SUBJECT_B)
    client.send("step.done", session="s-2", step="bank-account", account=ACCOUNT)
    journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="account.multiple-subjects", KIOSKGUARD_TERMINAL=name)
    audit = subprocess.run([str(CTL), "audit", "--since", since, "--json"], capture_output=True, text=True)
    findings = [f for f in json.loads(audit.stdout) if f.get("terminal") == name]
    assert {f["rule"] for f in findings} == {"handover.unclosed-session", "account.multiple-subjects"}
    unclosed = next(f for f in findings if f["rule"] == "handover.unclosed-session")
    assert unclosed["session"] == "s-1" and unclosed["others"] == [pseudonym(SUBJECT_B)]


def test_one_account_typed_two_ways_by_two_apps_is_one_account(daemons, journal):
    """Spacing, separators and letter case do not make another account: two apps that format the
    same IBAN differently still link it to two people, and kioskguardctl pseudonym agrees."""
    first, second = unique(), unique()
    daemon = daemons([{"name": first, "allowed_users": ["root"]}, {"name": second, "allowed_users": ["root"]}]).start()
    one, other = daemon.client(first), daemon.client(second)
    one.send("session.begin", session="s-1", subject=SUBJECT_A)
    one.send("step.done", session="s-1", step="bank-account", account="FI21 1234 5600 0007 85")
    one.ping()
    other.send("session.begin", session="s-1", subject=SUBJECT_B)
    other.send("step.done", session="s-1", step="bank-account", account="fi21-1234-5600-0007-85")
    linked = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="account.multiple-subjects", KIOSKGUARD_TERMINAL=second)
    assert linked["KIOSKGUARD_ACCOUNT"] == pseudonym("FI2112345600000785") == pseudonym(ACCOUNT)
    for spelling in ("FI2112345600000785", "fi21 1234 5600 0007 85"):
        printed = daemon.ctl("pseudonym", "-", stdin=spelling + "\n")
        assert printed.returncode == 0 and printed.stdout.strip() == pseudonym(ACCOUNT), printed
    blank = daemon.ctl("pseudonym", "-", stdin=" - \n")
    assert blank.returncode == 1 and "nothing but separators" in blank.stderr


def test_unreadable_journal_is_a_clear_error(workdir):
    # What is not there is a mistake in the command (2), never "nothing found" (0) nor "found" (1, for audit).
    missing = subprocess.run([str(CTL), "history", "--file", str(workdir / "nope.journal")], capture_output=True, text=True)
    assert missing.returncode == 2 and "--file" in missing.stderr and "no such file" in missing.stderr, missing.stderr
    absent = subprocess.run([str(CTL), "audit", "--directory", str(workdir / "no-collector")], capture_output=True, text=True)
    assert absent.returncode == 2 and "no such directory" in absent.stderr, absent.stderr
    bad_time = subprocess.run([str(CTL), "report", "--since", "next tuesday"], capture_output=True, text=True)
    assert bad_time.returncode == 2 and "--since 'next tuesday'" in bad_time.stderr


def test_a_reader_who_cannot_open_the_journal_files_is_told_so(workdir):
    """A collector's files are 0640: a reader without access gets exit 2 and the reason from every
    journal verb, never "no findings" (sd_journal skips what it cannot open without a word)."""
    fleet = workdir / "collected"
    collect(fleet, "kiosk-a", [export_entry("kiosk-a", 1_709_280_000, KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL="counter-1",
                                            KIOSKGUARD_SESSION="s-1", KIOSKGUARD_SUBJECT=pseudonym(SUBJECT_A))])
    os.chmod(fleet, 0o755)
    journal_file = fleet / "kiosk-a.journal"
    journal_file.chmod(0o640)
    for verb in (["audit", "--directory", str(fleet)], ["report", "--directory", str(fleet)], ["history", "--file", str(journal_file)]):
        refused = subprocess.run(["runuser", "-u", "nobody", "--", str(CTL), *verb], capture_output=True, text=True)
        assert refused.returncode == 2, (verb, refused.stdout, refused.stderr)
        assert f"cannot read the journal: {journal_file}: Permission denied. Reading it needs root" in refused.stderr, refused.stderr
        assert "no findings" not in refused.stdout and "no kioskguard entries" not in refused.stdout
    readable = subprocess.run([str(CTL), "history", "--directory", str(fleet), "--json"], capture_output=True, text=True)
    assert readable.returncode == 0 and '"s-1"' in readable.stdout, "root reads what nobody could not"
    # This host's own journal: the system files are root's (and the systemd-journal group's).
    local = subprocess.run(["runuser", "-u", "nobody", "--", str(CTL), "audit"], capture_output=True, text=True)
    assert local.returncode == 2 and "Permission denied" in local.stderr and "systemd-journal" in local.stderr, local.stderr


def test_entries_a_user_forges_are_counted_and_not_believed(journal):
    """A user in no group at all writes kioskguardd's entries with `logger --journald`: two
    registrations of one account by two people, with terminal escape sequences. The review verbs
    believe only what journald vouches for, and say how many entries they left out."""
    since = f"@{int(time.time()) - 1}"
    terminal = unique()
    account = "p:" + "a" * 32
    for number in (1, 2):
        forged = "\n".join([
            "SYSLOG_IDENTIFIER=kioskguardd", "MESSAGE=\x1b]0;owned\x07\x1b[2Jforged", "KIOSKGUARD_EVENT=step-done",
            f"KIOSKGUARD_TERMINAL={terminal}", f"KIOSKGUARD_SESSION=s-{number}", f"KIOSKGUARD_SUBJECT=p:{str(number) * 32}",
            f"KIOSKGUARD_ACCOUNT={account}", "KIOSKGUARD_STEP=\x1b[31mbank-account",
        ]) + "\n"
        subprocess.run(["runuser", "-u", "nobody", "--", "logger", "--journald"], input=forged, text=True, check=True)
    journal.wait_count(2, KIOSKGUARD_TERMINAL=terminal)

    audit = subprocess.run([str(CTL), "audit", "--since", since, "--json"], capture_output=True, text=True)
    assert account not in audit.stdout, audit.stdout
    assert "entries name kioskguardd but were not written by it" in audit.stderr
    assert int(audit.stderr.split("kioskguardctl: ")[1].split()[0]) >= 2
    history = subprocess.run([str(CTL), "history", "--terminal", terminal, "--since", since], capture_output=True, text=True)
    assert history.returncode == 0 and "no kioskguard entries match" in history.stdout
    assert "2 entries name kioskguardd" in history.stderr
    assert "\x1b" not in history.stdout + history.stderr + audit.stdout + audit.stderr
