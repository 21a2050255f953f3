"""kioskguardctl report --format html over a scripted week from two hosts, opened in a real
headless Chromium: it loads nothing at all besides itself (the DevTools protocol's network
events), and its charts hold the figures the journal has (read back from their data-
attributes). The screenshot is kept in out/artefacts/, and in $KIOSKGUARD_SCREENSHOTS when set
(docs/images/report.png)."""
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from conftest import CTL, rfc3339, ROOT, collect, export_entry, pseudonym
from webdriver import Chromium

TOKYO = timezone(timedelta(hours=9))
MONDAY = datetime(2024, 9, 2, tzinfo=TOKYO)
TERMINALS = [("kiosk-a", "counter-1"), ("kiosk-a", "counter-2"), ("kiosk-b", "counter-1"), ("kiosk-b", "counter-3")]
OUTAGE_DAY = 2


def scripted_week():
    """Entries per host, and the figures a reader of the journal would count."""
    entries = {host: [] for host, _ in TERMINALS}
    expected = {"days": {}, "terminals": {}, "anomalies": {}, "delays": []}
    for day in range(7):
        date = (MONDAY + timedelta(days=day)).date().isoformat()
        ended = abandoned = 0
        for number, (host, terminal) in enumerate(TERMINALS):
            for k in range((day + number) % 4 + 2):
                start = MONDAY + timedelta(days=day, hours=9, minutes=40 * k)
                session = f"{terminal}-{day}-{k}"
                reason = "abandoned" if (k + day + number) % 3 == 0 else "logout"
                subject = pseudonym(f"{day}{number}{k}-CANARY")
                entries[host].append(export_entry(host, int(start.timestamp()), KIOSKGUARD_EVENT="session-begun", KIOSKGUARD_TERMINAL=terminal,
                                                  KIOSKGUARD_SESSION=session, KIOSKGUARD_SUBJECT=subject))
                entries[host].append(export_entry(host, int((start + timedelta(minutes=20)).timestamp()), KIOSKGUARD_EVENT="session-ended",
                                                  KIOSKGUARD_TERMINAL=terminal, KIOSKGUARD_SESSION=session, KIOSKGUARD_REASON=reason))
                ended += 1
                abandoned += reason == "abandoned"
                figures = expected["terminals"].setdefault((host, terminal), [0, 0])
                figures[0] += 1
                figures[1] += reason == "abandoned"
        expected["days"][date] = (ended, abandoned)
        if day % 2 == 0:
            detected = MONDAY + timedelta(days=day, hours=11)
            microseconds = int(detected.timestamp()) * 1_000_000
            # The hotline was down on the outage day: that alert arrived five hours late.
            delay = 5 * 3600 if day == OUTAGE_DAY else 2
            entries["kiosk-a"] += [
                export_entry("kiosk-a", int(detected.timestamp()), KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_ANOMALY="handover.unclosed-session",
                             KIOSKGUARD_SEVERITY="high", KIOSKGUARD_TERMINAL="counter-1", KIOSKGUARD_DETECTED_AT=rfc3339(microseconds)),
                export_entry("kiosk-a", int(detected.timestamp()) + 1, KIOSKGUARD_EVENT="alert-queued", KIOSKGUARD_ALERT_ID=f"al-{day}",
                             KIOSKGUARD_ANOMALY="handover.unclosed-session", KIOSKGUARD_DETECTED_AT=rfc3339(microseconds)),
                export_entry("kiosk-a", int(detected.timestamp()) + delay, KIOSKGUARD_EVENT="alert-delivered", KIOSKGUARD_ALERT_ID=f"al-{day}",
                             KIOSKGUARD_ENDPOINT="hotline"),
            ]
            expected["anomalies"][(date, "high")] = 1
            expected["delays"].append(delay)
    date = (MONDAY + timedelta(days=4)).date().isoformat()
    entries["kiosk-b"].append(export_entry("kiosk-b", int((MONDAY + timedelta(days=4, hours=15)).timestamp()), KIOSKGUARD_EVENT="anomaly",
                                           KIOSKGUARD_ANOMALY="ipc.denied", KIOSKGUARD_SEVERITY="medium", KIOSKGUARD_TERMINAL="x"))
    expected["anomalies"][(date, "medium")] = 1
    for host in entries:
        entries[host].sort(key=lambda text: int(text.split("=", 1)[1].split("\n", 1)[0]))
    return entries, expected


def test_the_html_report_of_a_week_renders_offline_with_the_journals_figures(workdir):
    fleet = workdir / "fleet"
    entries, expected = scripted_week()
    for host, lines in entries.items():
        collect(fleet, host, lines, site={"kiosk-a": "Kita ward", "kiosk-b": "Minami ward"}[host])
    written = subprocess.run([str(CTL), "report", "--directory", str(fleet), "--format", "html"], capture_output=True, text=True,
                             env={**os.environ, "TZ": "Asia/Tokyo"})
    assert written.returncode == 0, written.stderr
    total = sum(len(lines) for lines in entries.values())
    assert f"report of {total} entries over 7 days, 2 hosts" in written.stderr
    page = workdir / "report.html"
    page.write_text(written.stdout)
    assert "<script" not in written.stdout and "http://" not in written.stdout.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "CANARY" not in written.stdout
    assert 'data-sites="2">Sites (2): Kita ward, Minami ward</p>' in written.stdout

    browser = Chromium(["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={workdir / 'profile'}",
                        "--window-size=1100,1400"], dict(os.environ), workdir / "chromedriver.log", network_log=True)
    try:
        # The new-tab page Chromium opens with loads its own chrome:// resources: leave it first.
        browser.go("about:blank")
        browser.network_requests()
        browser.go(page.as_uri())
        assert browser.script("return document.readyState") == "complete"
        requests = browser.network_requests()
        assert requests and set(requests) == {page.as_uri()}, f"the report loaded something besides itself: {requests}"

        days = browser.script("return [...document.querySelectorAll('g.day')].map(g => [g.dataset.day, +g.dataset.ended, +g.dataset.abandoned])")
        assert {day: (ended, abandoned) for day, ended, abandoned in days} == expected["days"]
        terminals = browser.script("""return [...document.querySelectorAll('g.terminal')]
            .map(g => [g.dataset.host, g.dataset.terminal, +g.dataset.ended, +g.dataset.abandoned, +g.dataset.rate])""")
        assert {(h, t): [e, a] for h, t, e, a, _ in terminals} == {k: v for k, v in expected["terminals"].items()}
        for _, _, ended, abandoned, rate in terminals:
            assert abs(rate - abandoned / ended) < 1e-4
        anomalies = browser.script("return [...document.querySelectorAll('g.anomalies')].map(g => [g.dataset.day, g.dataset.severity, +g.dataset.count])")
        assert {(day, severity): count for day, severity, count in anomalies} == expected["anomalies"]
        delays = dict(browser.script("return [...document.querySelectorAll('g.delay')].map(g => [g.dataset.bucket, +g.dataset.count])"))
        assert delays["≤ 10 s"] == sum(1 for d in expected["delays"] if d <= 10) and delays["≤ 1 day"] == 1, delays
        assert browser.script("return document.querySelector('[data-slowest-us]').dataset.slowestUs") == str((5 * 3600 - 0) * 1_000_000)
        artefacts = ROOT / "out" / "artefacts"
        artefacts.mkdir(parents=True, exist_ok=True)
        browser.screenshot(artefacts / "report.png")
        assert (artefacts / "report.png").stat().st_size > 10_000
        if os.environ.get("KIOSKGUARD_SCREENSHOTS"):
            shutil.copy(artefacts / "report.png", Path(os.environ["KIOSKGUARD_SCREENSHOTS"]) / "report.png")
    finally:
        browser.quit()
