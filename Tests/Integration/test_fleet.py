"""The fleet view on the engines operators already run: the daemons' metrics through node_exporter's
textfile collector into Prometheus with the shipped rules, and alerts through two clustered
Alertmanagers with the shipped route, to the incident hotline's webhook. Every part is the real
Debian package, started here on loopback.

The test's copies differ from the shipped files only where a test cannot wait: Prometheus scrapes
and evaluates every second, and the Alertmanager route waits one second before its first
notification (group_wait) instead of 10 to 30. The rules are the shipped file as it is.
"""
import json
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import DEADLINE, ROOT, Daemon, unique, wait_for_file
from hotline import Hotline
from ports import free_port

RULES = ROOT / "packaging" / "prometheus" / "kioskguard.rules.yml"
RULE_TESTS = ROOT / "packaging" / "prometheus" / "kioskguard.rules.test.yml"
ROUTE = ROOT / "packaging" / "alertmanager" / "kioskguard.yml"
SITES = ["Kita ward", "Chuo ward", "Minami ward"]
SUBJECT_A, SUBJECT_B = "310129-954F", "280286-1234"


class Program:
    """A server from its Debian package, started when it says it is listening (a line on stderr)."""

    def __init__(self, argv, ready, log: Path):
        self.argv, self.ready, self.log = argv, ready, log
        self.process = None

    def start(self):
        self.process = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        seen = []
        timer = threading.Timer(DEADLINE, self.process.kill)
        timer.start()
        try:
            for line in self.process.stderr:
                seen.append(line)
                if self.ready in line:
                    break
        finally:
            timer.cancel()
        assert self.process.poll() is None, f"{self.argv[0]} did not start: {''.join(seen)}"
        # Keep draining its log, so it never blocks on a full pipe.
        threading.Thread(target=self._drain, args=(seen,), daemon=True).start()
        return self

    def _drain(self, seen):
        with open(self.log, "a") as log:
            log.writelines(seen)
            for line in self.process.stderr:
                log.write(line)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=DEADLINE)

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=DEADLINE)


def http_json(url):
    with urllib.request.urlopen(url, timeout=DEADLINE) as answer:
        return json.loads(answer.read())


def query(prometheus, expression):
    return http_json(prometheus + "/api/v1/query?query=" + urllib.parse.quote(expression))["data"]["result"]


def wait_for_query(prometheus, expression, predicate, timeout=DEADLINE):
    """Asks Prometheus until `predicate(result)` holds: it announces no scrape or evaluation, so
    its API is the only thing to wait on."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = query(prometheus, expression)
        if predicate(result):
            return result
        assert time.monotonic() < deadline, f"Prometheus never answered {expression} as expected; last {result}"
        pause.wait(0.25)


class Fleet:
    """Webhook receiver, two clustered Alertmanagers, and per host a daemon and a node_exporter;
    Prometheus when asked for."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.programs, self.daemons = [], []
        self.hotline = Hotline(workdir).start()
        route = ROUTE.read_text()
        route = route.replace("https://hotline.example.org/alertmanager", self.hotline.url)
        route = re.sub(r"group_wait: \d+s", "group_wait: 1s", route)
        route = re.sub(r"group_interval: \d+m", "group_interval: 1s", route)
        (workdir / "alertmanager.yml").write_text(route)
        self.web = [free_port(), free_port()]
        self.cluster = [free_port(), free_port()]
        self.alertmanagers = [None, None]

    def start_alertmanager(self, index):
        other = 1 - index
        storage = self.workdir / f"alertmanager-{index}"
        storage.mkdir(exist_ok=True)
        self.alertmanagers[index] = Program([
            "prometheus-alertmanager", f"--config.file={self.workdir / 'alertmanager.yml'}", f"--storage.path={storage}",
            f"--web.listen-address=127.0.0.1:{self.web[index]}", f"--cluster.listen-address=127.0.0.1:{self.cluster[index]}",
            f"--cluster.peer=127.0.0.1:{self.cluster[other]}", "--cluster.peer-timeout=2s",
        ], "Listening", self.workdir / f"alertmanager-{index}.log").start()
        self.programs.append(self.alertmanagers[index])

    def alertmanager_url(self, index):
        return f"http://127.0.0.1:{self.web[index]}"

    def add_host(self, site):
        directory = self.workdir / f"host-{len(self.daemons)}"
        textfiles = directory / "textfile"
        textfiles.mkdir(parents=True)
        name = unique()
        extra = '[alerts]\nretry_base = "100ms"\nretry_cap = "500ms"\n'
        extra += f'[metrics]\ntextfile = "{textfiles / "kioskguard.prom"}"\ninterval = "1s"\n'
        for index in (0, 1):
            extra += f'[[hotline]]\nname = "am-{index + 1}"\nurl = "{self.alertmanager_url(index)}"\nformat = "alertmanager"\ntimeout = "2s"\n'
        daemon = Daemon(directory, [{"name": name, "allowed_users": ["root"]}], extra=extra, daemon=[f'site = "{site}"'])
        daemon.terminal = name
        self.daemons.append(daemon)
        port = free_port()
        daemon.exporter = f"127.0.0.1:{port}"
        self.programs.append(Program([
            "prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
            "--collector.textfile", f"--collector.textfile.directory={textfiles}",
        ], "Listening on", directory / "node-exporter.log").start())
        return daemon

    def start_prometheus(self):
        port = free_port()
        shutil.copy(RULES, self.workdir / "kioskguard.rules.yml")
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(self.workdir / "kioskguard.rules.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{p}" for p in self.web]}]}]},
            "scrape_configs": [{"job_name": "node", "static_configs": [{"targets": [d.exporter for d in self.daemons]}]}],
        }
        (self.workdir / "prometheus.yml").write_text(json.dumps(config))
        storage = self.workdir / "prometheus"
        self.programs.append(Program([
            "prometheus", f"--config.file={self.workdir / 'prometheus.yml'}", f"--storage.tsdb.path={storage}",
            f"--web.listen-address=127.0.0.1:{port}",
        ], "Server is ready to receive web requests", self.workdir / "prometheus.log").start())
        self.prometheus = f"http://127.0.0.1:{port}"

    def notifications(self, requests, alertname):
        """The webhook notifications of `requests` that carry an alert named `alertname`."""
        return [r.json for r in requests if r.json and any(a["labels"].get("alertname") == alertname for a in r.json.get("alerts", []))]

    def close(self):
        for daemon in self.daemons:
            daemon.stop()
        for program in reversed(self.programs):
            program.stop()
        self.hotline.stop()


@pytest.fixture
def fleet(workdir):
    made = Fleet(workdir)
    yield made
    made.close()


def unclosed_session(daemon, session):
    """A handover: a session of one person, then another's begins on the same terminal."""
    client = daemon.client(daemon.terminal)
    client.send("session.begin", session=f"{session}-a", subject=SUBJECT_A)
    client.send("session.begin", session=f"{session}-b", subject=SUBJECT_B)
    return client


def test_shipped_rules_and_route_pass_their_checks():
    assert subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True).returncode == 0
    tested = subprocess.run(["promtool", "test", "rules", str(RULE_TESTS)], capture_output=True, text=True, cwd=RULE_TESTS.parent)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    checked = subprocess.run(["amtool", "check-config", str(ROUTE)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 inhibit rules" in checked.stdout


def test_one_anomaly_at_three_sites_reaches_the_hotline_as_one_fleet_alert(fleet, journal):
    fleet.start_alertmanager(0)
    fleet.start_alertmanager(1)
    daemons = [fleet.add_host(site).start() for site in SITES]
    fleet.start_prometheus()
    # A counter's first sample is its baseline: each host is scraped at 0 before its anomaly, as
    # in a fleet that has run for a while.
    wait_for_query(fleet.prometheus, "kioskguard_anomalies_total{anomaly='handover.unclosed-session'} == 0", lambda result: len(result) == 3)
    for index, daemon in enumerate(daemons):
        unclosed_session(daemon, f"s{index}")
        journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=daemon.terminal)

    requests = fleet.hotline.wait_for(lambda requests: fleet.notifications(requests, "KioskguardAnomalyAtManySites"), timeout=60)
    notification = fleet.notifications(requests, "KioskguardAnomalyAtManySites")[0]
    # As the shipped route says: the hotline's receiver, grouped by alert name and anomaly.
    assert notification["receiver"] == "incident-hotline" and notification["status"] == "firing"
    assert notification["groupLabels"] == {"alertname": "KioskguardAnomalyAtManySites", "anomaly": "handover.unclosed-session"}
    fleet_alert = notification["alerts"][0]
    assert fleet_alert["labels"]["scope"] == "fleet" and fleet_alert["labels"]["severity"] == "critical"
    assert fleet_alert["annotations"]["summary"] == "handover.unclosed-session at 3 sites within 7 days"

    # While it fires, the three per-host alerts of that anomaly are inhibited, on both replicas.
    for index in (0, 1):
        host_alerts = http_json(fleet.alertmanager_url(index) + '/api/v2/alerts?filter=alertname%3D%22kioskguard_anomaly%22')
        assert {a["labels"]["site"] for a in host_alerts} == set(SITES)
        for alert in host_alerts:
            assert alert["status"]["state"] == "suppressed" and alert["status"]["inhibitedBy"], alert

    # The recording rules see the same: one unclosed session per site.
    answer = query(fleet.prometheus, "site_anomaly:kioskguard_anomalies:increase7d{anomaly='handover.unclosed-session'}")
    assert {r["metric"]["site"] for r in answer if float(r["value"][1]) > 0} == set(SITES)
    raw = json.dumps([r.json for r in requests if r.json]).encode()
    assert SUBJECT_A.encode() not in raw and SUBJECT_B.encode() not in raw and b"280286" not in raw


def test_a_replica_down_loses_nothing_and_its_deliveries_drain_when_it_returns(fleet, journal):
    fleet.start_alertmanager(0)
    fleet.start_alertmanager(1)
    daemon = fleet.add_host(SITES[0]).start()
    fleet.alertmanagers[1].kill()
    unclosed_session(daemon, "s")
    anomaly = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=daemon.terminal)
    queued = journal.wait_for(KIOSKGUARD_EVENT="alert-queued", KIOSKGUARD_DETECTED_AT=anomaly["KIOSKGUARD_DETECTED_AT"])
    alert_id = queued["KIOSKGUARD_ALERT_ID"]

    # The remaining replica takes it and notifies the hotline.
    requests = fleet.hotline.wait_for(lambda requests: any(
        a["labels"].get("alert_id") == alert_id for r in requests if r.json for a in r.json.get("alerts", [])))
    assert any(r.json["groupLabels"] == {"alertname": "kioskguard_anomaly", "anomaly": "handover.unclosed-session"} for r in requests if r.json)
    journal.wait_for(KIOSKGUARD_EVENT="alert-delivered", KIOSKGUARD_ALERT_ID=alert_id, KIOSKGUARD_ENDPOINT="am-1")
    journal.wait_for(KIOSKGUARD_EVENT="alert-retry", KIOSKGUARD_ALERT_ID=alert_id, KIOSKGUARD_ENDPOINT="am-2")

    # Back on its port: the daemon's pending delivery to it drains.
    fleet.start_alertmanager(1)
    journal.wait_for(KIOSKGUARD_EVENT="alert-delivered", KIOSKGUARD_ALERT_ID=alert_id, KIOSKGUARD_ENDPOINT="am-2", timeout=30)
    alerts = http_json(fleet.alertmanager_url(1) + f'/api/v2/alerts?filter=alert_id%3D%22{alert_id}%22')
    assert [a["labels"]["alert_id"] for a in alerts] == [alert_id]
    assert json.loads(daemon.ctl("status", "--json").stdout)["alerts_pending"] == {"am-1": 0, "am-2": 0}


def test_the_daemons_own_alert_keeps_its_detection_time_across_a_kill(fleet, journal):
    daemon = fleet.add_host(SITES[1]).start()
    unclosed_session(daemon, "s")
    anomaly = journal.wait_for(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=daemon.terminal)
    queued = journal.wait_for(KIOSKGUARD_EVENT="alert-queued", KIOSKGUARD_DETECTED_AT=anomaly["KIOSKGUARD_DETECTED_AT"])
    alert_id = queued["KIOSKGUARD_ALERT_ID"]
    journal.wait_for(KIOSKGUARD_EVENT="alert-retry", KIOSKGUARD_ALERT_ID=alert_id, KIOSKGUARD_ENDPOINT="am-2")
    daemon.kill()

    fleet.start_alertmanager(0)
    fleet.start_alertmanager(1)
    daemon.start()
    for endpoint in ("am-1", "am-2"):
        journal.wait_for(KIOSKGUARD_EVENT="alert-delivered", KIOSKGUARD_ALERT_ID=alert_id, KIOSKGUARD_ENDPOINT=endpoint, timeout=30)
    detected = datetime.fromisoformat(anomaly["KIOSKGUARD_DETECTED_AT"].replace("Z", "+00:00"))
    for index in (0, 1):
        alerts = http_json(fleet.alertmanager_url(index) + f'/api/v2/alerts?filter=alert_id%3D%22{alert_id}%22')
        assert len(alerts) == 1, alerts
        alert = alerts[0]
        assert alert["labels"] == {
            "alertname": "kioskguard_anomaly", "anomaly": "handover.unclosed-session", "severity": "high",
            "host": socket.gethostname(), "site": SITES[1], "terminal": daemon.terminal, "alert_id": alert_id,
        }
        starts = datetime.fromisoformat(alert["startsAt"].replace("Z", "+00:00"))
        ends = datetime.fromisoformat(alert["endsAt"].replace("Z", "+00:00"))
        assert starts == detected.replace(microsecond=detected.microsecond // 1000 * 1000), "the detection time, not the delivery's"
        assert (ends - starts).total_seconds() == 3600
        assert set(alert["annotations"]) == {"summary", "session", "subject"}
        text = json.dumps(alert)
        assert SUBJECT_A not in text and SUBJECT_B not in text and "280286" not in text
        assert alert["annotations"]["subject"] == anomaly["KIOSKGUARD_SUBJECT"]


def samples(text):
    """{(name, labels): value} of an exposition text; asserts every line is whole."""
    values = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP ", "# TYPE ")), line
            continue
        match = re.fullmatch(r'([a-z_]+)(\{.*\})? (-?[0-9.e+]+)', line)
        assert match, f"not a sample line: {line!r}"
        labels = tuple(sorted(re.findall(r'([a-z_]+)="([^"]*)"', match.group(2) or "")))
        values[(match.group(1), labels)] = float(match.group(3))
    return values


def counter(values, name, **labels):
    wanted = set(labels.items())
    found = [value for (metric, metric_labels), value in values.items() if metric == name and wanted <= set(metric_labels)]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_the_textfile_is_never_half_written_and_matches_the_journal_after_a_day(fleet, journal):
    daemon = fleet.add_host(SITES[2])
    daemon.config.write_text(daemon.config.read_text().replace('[policy]\n', '[policy]\nidle_timeout = "2s"\nwarn_before = "1s"\nterminate_after_lock = "1s"\n'))
    daemon.start()
    textfile = daemon.directory / "textfile" / "kioskguard.prom"
    reads, problems, stop, caught_up, shown = [0], [], threading.Event(), threading.Event(), []
    begun = ("kioskguard_sessions_begun_total", (("site", SITES[2]), ("terminal", daemon.terminal)))

    def reader():
        while not stop.is_set():
            try:
                text = textfile.read_text()
            except FileNotFoundError:
                continue
            reads[0] += 1
            try:
                assert text.endswith("\n") and "kioskguard_build_info" in text
                values = samples(text)
            except AssertionError as problem:
                problems.append(problem)
                continue
            ended = sum(value for (name, _), value in values.items() if name == "kioskguard_sessions_ended_total")
            if values.get(begun) == 20 and ended == 20 and not caught_up.is_set():
                shown.append(text)
                caught_up.set()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        client = daemon.client(daemon.terminal)
        # A scripted day: logouts, completions, handovers, and people who walked away.
        for index in range(12):
            client.send("session.begin", session=f"l{index}", subject=SUBJECT_A)
            client.send("session.end", session=f"l{index}", reason="logout" if index % 3 else "completed")
        for index in range(3):
            client.send("session.begin", session=f"h{index}-a", subject=SUBJECT_A)
            client.send("session.begin", session=f"h{index}-b", subject=SUBJECT_B)
            client.send("session.end", session=f"h{index}-b", reason="logout")
        for index in range(2):
            client.send("session.begin", session=f"w{index}", subject=SUBJECT_B)
            journal.wait_for(KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=daemon.terminal, KIOSKGUARD_SESSION=f"w{index}",
                             timeout=30)
        ended = journal.wait_count(20, KIOSKGUARD_EVENT="session-ended", KIOSKGUARD_TERMINAL=daemon.terminal)
        anomalies = journal.matching(KIOSKGUARD_EVENT="anomaly", KIOSKGUARD_TERMINAL=daemon.terminal)
        live = samples(daemon.ctl("metrics").stdout)
        # The textfile catches up within its interval, and says the same.
        assert caught_up.wait(DEADLINE), "the textfile never showed the day's sessions"
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not problems, problems[:3]
    assert reads[0] > 100, "the readers read the file often while it was rewritten"
    by_reason = {}
    for entry in ended:
        by_reason[entry["KIOSKGUARD_REASON"]] = by_reason.get(entry["KIOSKGUARD_REASON"], 0) + 1
    assert by_reason == {"logout": 11, "completed": 4, "superseded": 3, "abandoned": 2}
    for values in (live, samples(shown[0])):
        assert counter(values, "kioskguard_sessions_begun_total", terminal=daemon.terminal) == 20
        for reason, count in by_reason.items():
            assert counter(values, "kioskguard_sessions_ended_total", terminal=daemon.terminal, reason=reason) == count
        assert counter(values, "kioskguard_anomalies_total", anomaly="handover.unclosed-session") == len(
            [a for a in anomalies if a["KIOSKGUARD_ANOMALY"] == "handover.unclosed-session"]) == 3
        assert counter(values, "kioskguard_sessions_open", state="active") == 0
        assert counter(values, "kioskguard_terminals_connected") == 1
    # The forgotten-logout rate is computable: abandoned over all ended.
    assert counter(live, "kioskguard_sessions_ended_total", reason="abandoned") / sum(
        v for (name, _), v in live.items() if name == "kioskguard_sessions_ended_total") == pytest.approx(2 / 20)
    assert (textfile.stat().st_mode & 0o777) == 0o644
    assert sorted(p.name for p in textfile.parent.iterdir()) == ["kioskguard.prom"]
    text = textfile.read_text()
    assert SUBJECT_A not in text and SUBJECT_B not in text and "h0-a" not in text, "no subject or session in any label"


def test_a_reload_that_names_a_textfile_starts_writing_it_at_once(daemons, workdir):
    """Without a textfile the metrics service keeps no timer (an idle daemon wakes for nothing);
    the reload that names one wakes it, so the file appears at once: a service that slept
    through the reload would wait out the hour-long interval first."""
    daemon = daemons([{"name": unique(), "allowed_users": ["root"]}], extra='[metrics]\ninterval = "1h"\n').start()
    textfile = workdir / "textfile" / "kioskguard.prom"
    textfile.parent.mkdir()
    daemon.config.write_text(daemon.config.read_text().replace('[metrics]\n', f'[metrics]\ntextfile = "{textfile}"\n'))
    reply = daemon.control("reload")
    assert reply["ok"], reply
    wait_for_file(textfile)
    assert "kioskguard_build_info" in textfile.read_text()
