"""Privacy canaries: valid-looking ID numbers, account numbers and names fed through every input
(the events socket, its error paths included, and the control socket) must reach no journal
entry, state file, outbox row, alert body or stderr output. conftest.py also scans the journal of
the whole run for 12-digit runs."""
import json
import time

from conftest import daemon_journal_export, unique
from hotline import alerting_daemon


def canary_id(seed: int) -> str:
    """Twelve digits whose last is a Luhn check digit: what a national ID number looks like."""
    body = f"{seed:011d}"[-11:]
    total = 0
    for position, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def test_canaries_reach_no_journal_entry_state_file_alert_or_stderr(daemons, journal, workdir, hotline):
    since = int(time.time()) - 1
    name, other = unique(), unique()
    ids = [canary_id(seed) for seed in (31012995421, 28028612347, 17121980555, 40404040404, 12345678901)]
    account, holder = "FI2112345600000785", "Maija Meikäläinen"
    hotline.start()
    daemon = alerting_daemon(daemons, workdir, hotline, name, more_terminals=[other]).start()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject=ids[0], auth="card+pin", name=holder)
    client.send("card.inserted", subject=ids[0])
    client.request_step("s-1", "bank-account", sensitive=True, account=account)
    client.send("step.done", session="s-1", step="bank-account", account=account)
    client.send("auth.verified", session="s-1", subject=ids[1])  # another person: a handover
    journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=name, KIOSKGUARD_ANOMALY="handover.subject-mismatch")
    # The error paths: a wrong type, an unknown message, broken JSON, each carrying a canary.
    raw = daemon.raw()
    for line in [
        json.dumps({"type": "hello", "terminal": other, "protocol": 1}),
        json.dumps({"type": "session.begin", "session": "s-2", "subject": int(ids[2])}),
        json.dumps({"type": f"lookup-{ids[3]}", "subject": ids[3]}),
        '{"type":"card.inserted","subject":"' + ids[2] + '"',
    ]:
        raw.sendall(line.encode() + b"\n")
    replies = b""
    while replies.count(b"\n") < 4:
        chunk = raw.recv(65536)
        assert chunk, replies
        replies += chunk
    codes = [json.loads(line).get("code") for line in replies.splitlines()[1:]]
    assert codes == ["bad-field", "unknown-type", "bad-json"], replies
    # The control socket: targets that are raw numbers, and the pseudonym verb made for them.
    for verb in ("show", "lock", "terminate"):
        assert not daemon.control(verb, target=ids[4])["ok"]
    assert daemon.ctl("pseudonym", ids[4]).stdout.startswith("p:")
    # The handover's alert reached the hotline.
    alert = journal.wait_for(KIOSKGUARD_EVENT="alert-delivered")["KIOSKGUARD_ALERT_ID"]
    bodies = b"".join(request.body for request in hotline.wait_for(lambda requests: requests))
    assert alert.encode() in bodies
    daemon.stop()
    export = daemon_journal_export(since)
    for canary in [*ids, account, "Maija", "Meikäläinen"]:
        assert canary.encode() not in export, canary
        assert canary.encode() not in bodies, canary
        for path in (workdir / "state").rglob("*"):
            assert canary.encode() not in path.read_bytes(), (canary, path)
        assert canary not in daemon.stderr(), canary
