"""The documents' examples are checked here: the protocol transcript is replayed against the real
daemon, real traffic is validated against the JSON Schema, every kioskguardctl example parses and
runs, and the configuration example validates."""
import json
import re
import shlex
import socket
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import CTL, DAEMON, ROOT, Daemon, read_line, unique

SCHEMA = json.loads((ROOT / "docs" / "protocol.schema.json").read_text())
LIVE_VERBS = {"status", "terminals", "sessions", "show", "lock", "terminate", "reload", "alerts", "pseudonym", "metrics"}
JOURNAL_VERBS = {"history", "report", "audit", "incident"}


def validator(kind):
    return jsonschema.Draft202012Validator({**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{kind}"}]})


def fenced_blocks(path, language):
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.S)


def test_the_protocol_transcripts_are_what_the_daemon_says(workdir):
    """Every transcript of protocol.md, replayed on terminal counter-1 of a fresh daemon (its own
    state directory, so no transcript sees another's sessions)."""
    transcripts = fenced_blocks(ROOT / "docs" / "protocol.md", "transcript")
    assert len(transcripts) >= 3
    app, replies = validator("app-message"), validator("daemon-message")
    for index, transcript in enumerate(transcripts):
        directory = workdir / f"transcript-{index}"
        directory.mkdir()
        daemon = Daemon(directory, [{"name": "counter-1", "allowed_users": ["root"]}]).start()
        try:
            replay(transcript, daemon.raw(), app, replies)
        finally:
            daemon.stop()


def replay(transcript, sock, app, replies):
    """Sends the transcript's `>` lines on `sock` and checks each `<` line is the next answer."""
    with sock, sock.makefile("rb") as answers:
        invalid_sent = False
        for line in transcript.strip().splitlines():
            direction, text = line[:1], line[2:]
            message = json.loads(text)
            if direction == ">":
                # A transcript may show a bad request on purpose; its answer must then be an error.
                invalid_sent = not app.is_valid(message)
                sock.sendall(text.encode() + b"\n")
            else:
                replies.validate(message)
                assert not invalid_sent or message["type"] == "error"
                assert json.loads(answers.readline()) == message, f"expected {text}"


def swift_enum_values(name):
    """The wire strings of a String enum in the vocabulary: `case x = "raw"`, or `case x` for "x"."""
    source = (ROOT / "Sources" / "KioskGuardVocabulary" / "SessionVocabulary.swift").read_text()
    body = re.search(rf"public enum {name}: String[^{{]*\{{(.*?)\n\}}", source, re.S).group(1)
    return [raw or plain for plain, raw in re.findall(r'^\s*case (\w+)(?: = "([^"]+)")?$', body, re.M)]


def test_every_reason_the_daemon_sends_is_in_the_protocol_table():
    text = (ROOT / "docs" / "protocol.md").read_text().split("### Every reason")[1].split("\n#")[0]
    rows = set(re.findall(r"^\| `([a-z.]+)` \| `([a-z-]+)` \|", text, re.M))
    ends = [reason for reason in swift_enum_values("EndReason") if reason not in ("logout", "completed", "cancelled")]
    expected = {("warn", r) for r in swift_enum_values("WarnReason")} | {("lock", r) for r in swift_enum_values("LockReason")} \
        | {("terminate", r) for r in ends} | {("step.decision", r) for r in swift_enum_values("StepDenial")}
    assert len(expected) > 20
    assert expected == rows, f"missing: {expected - rows}; not sent: {rows - expected}"


def test_live_traffic_matches_the_schema(daemons):
    name = unique()
    daemon = daemons([{"name": name, "allowed_users": ["root"]}], policy={"idle_timeout": "2s", "warn_before": "1s"}).start()
    seen = []
    client = daemon.client(name, on_message=seen.append)
    sent = [("session.begin", {"session": "s-1", "subject": "310129-954F", "auth": "card+pin"}), ("presence", {"present": True}),
            ("card.inserted", {"subject": "280286-1234"}), ("session.begin", {"session": "s-2", "subject": "280286-1234"}),
            ("activity", {"session": "nope", "id": "x"}), ("step.done", {"session": "s-2", "step": "a", "account": "FI21"}),
            ("session.end", {"session": "s-2", "reason": "cancelled"}), ("session.begin", {"session": "s-3", "subject": "280286-1234"})]
    app = validator("app-message")
    for type_, fields in sent:
        app.validate({"type": type_, **fields})
        client.send(type_, **fields)
    while not any(m["type"] == "lock" for m in seen):
        client.next_message()
    replies = validator("daemon-message")
    replies.validate(client.welcome)
    kinds = {m["type"] for m in seen}
    assert {"terminate", "error", "warn", "lock"} <= kinds
    for message in seen:
        replies.validate(message)


def documented_cli_examples():
    examples = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in fenced_blocks(path, "sh"):
            for line in block.splitlines():
                command = line.split("#")[0].strip()
                if "kioskguardctl " in command:
                    examples.append(pytest.param(command, id=f"{path.name}: {command}"))
    return examples


@pytest.mark.parametrize("example", documented_cli_examples())
def test_documented_cli_examples_run(example, workdir):
    stdin = None
    if "|" in example:
        producer, example = [part.strip() for part in example.split("|", 1)]
        stdin = subprocess.run(shlex.split(producer), capture_output=True, text=True, check=True).stdout
    argv = shlex.split(example)
    if ">" in argv:  # kioskguardctl report --format html > report.html: the output is not checked here
        argv = argv[:argv.index(">")]
    assert argv[0] == "kioskguardctl"
    # The global options may stand before the verb (kioskguardctl --json status).
    words = iter(argv[1:])
    verb = next(word for word in words if word != "--json" and not (word == "--socket" and next(words)) and not word.startswith("--socket="))
    if verb in LIVE_VERBS:
        # Never act on a daemon that may run on this machine: point live verbs at nothing.
        argv += ["--socket", str(workdir / "absent.sock")]
    if verb in JOURNAL_VERBS:
        # The machine's journal may hold gigabytes, and a documented collector directory need
        # not exist here; an empty directory runs the same flags and reading code in bounded time
        # (the verbs' results are checked in test_review.py).
        (workdir / "journal").mkdir(exist_ok=True)
        if "--directory" in argv:
            argv[argv.index("--directory") + 1] = str(workdir / "journal")
        elif "--file" not in argv:
            argv += ["--directory", str(workdir / "journal")]
    result = subprocess.run([str(CTL), *argv[1:]], capture_output=True, text=True, input=stdin)
    assert result.returncode in (0, 1), f"{example}: exit {result.returncode}: {result.stderr}"
    assert "Usage:" not in result.stderr, result.stderr
    if verb in LIVE_VERBS - {"show"}:  # show falls back to the journal
        assert "kioskguardd is not running" in result.stderr


@pytest.fixture
def package_accounts():
    """The user and group the example names, as the package creates them; removed afterwards if
    this test created them, so no other test sees them."""
    created = []
    if subprocess.run(["getent", "group", "kioskguard-admin"], capture_output=True).returncode != 0:
        subprocess.run(["groupadd", "--system", "kioskguard-admin"], check=True)
        created.append(["groupdel", "kioskguard-admin"])
    if subprocess.run(["getent", "passwd", "kiosk"], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", "kiosk"], check=True)
        created.insert(0, ["userdel", "kiosk"])
    yield
    for command in created:
        subprocess.run(command, check=True)


def test_the_operations_configuration_example_validates(workdir, package_accounts):
    blocks = [block for page in ("operations.md", "browser-kiosks.md", "fleet.md") for block in fenced_blocks(ROOT / "docs" / page, "toml")]
    # The example of kioskguard.toml(5), between .Bd -literal and .Ed.
    blocks += re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", (ROOT / "docs" / "man" / "kioskguard.toml.5").read_text(), re.S | re.M)
    assert len(blocks) >= 2
    for index, block in enumerate(blocks):
        path = workdir / f"example-{index}.toml"
        path.write_text(block)
        result = subprocess.run([str(DAEMON), "--check-config", "--config", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    # The installed default configuration starts safely: valid, and no terminal admitted.
    default = subprocess.run([str(DAEMON), "--check-config", "--config", str(ROOT / "packaging" / "kioskguard.toml")],
                             capture_output=True, text=True)
    assert default.returncode == 0, default.stderr
    assert "terminal " not in default.stdout


def test_make_demo_tells_the_story():
    """The demo of the README, run as a newcomer would (it starts its own daemon and receiver)."""
    result = subprocess.run(["/usr/bin/python3", str(ROOT / "examples" / "demo.py")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for line in ["screen: \"Are you still there?\"", "screen locked (idle)", "session a-1 ended (card-swap)",
                 "old session: refused (session-ended)", "received handover.card-swap (high)", "received lock.unconfirmed (high)",
                 "received account.multiple-subjects (critical)", "$ kioskguardctl report"]:
        assert line in result.stdout, line
    assert "310129-954F" not in result.stdout.split("The same story")[1], "the review shows pseudonyms only"


def test_the_readme_client_example_runs_against_the_built_in_defaults(workdir):
    """`make run` with no configuration file: one terminal `default` admitting the invoking user.
    The README's example client session is then sent to it."""
    if Path("/etc/kioskguard/kioskguard.toml").exists():
        pytest.skip("this machine has a configuration file, so the built-in defaults do not apply")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(workdir / "notify.sock"))
    notify.settimeout(30)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "RUNTIME_DIRECTORY": str(workdir / "run"), "STATE_DIRECTORY": str(workdir / "state"),
           "NOTIFY_SOCKET": str(workdir / "notify.sock")}
    daemon = subprocess.Popen([str(DAEMON)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while b"READY=1" not in notify.recv(4096).split(b"\n"):
            pass
        status = json.loads(subprocess.run([str(CTL), "status", "--json", "--socket", str(workdir / "run" / "control.sock")],
                                           capture_output=True, text=True, check=True).stdout)
        assert status["config_files"] == [] and status["terminals_configured"] == 1
        example = next(b for b in fenced_blocks(ROOT / "README.md", "sh") if "kioskguard_client.py" in b)
        command, _, rest = example.partition("<<'END'\n")
        argv = shlex.split(command.replace("/run/kioskguard", str(workdir / "run")))
        argv[0:2] = ["/usr/bin/python3", str(ROOT / argv[1])]
        result = subprocess.run(argv, input=rest.split("END")[0], capture_output=True, text=True, timeout=30)
        replies = [json.loads(line) for line in result.stdout.splitlines()]
        assert replies[0]["type"] == "welcome" and replies[0]["terminal"] == "default"
        assert {"type": "lock", "session": "s-1", "reason": "card-removed"} in replies
    finally:
        daemon.terminate()
        daemon.wait()


def test_the_credentials_example_is_the_shipped_unit_and_names_what_the_daemon_reads():
    blocks = fenced_blocks(ROOT / "docs" / "operations.md", "ini")
    assert blocks[0].startswith("[Service]\n")
    pattern = re.compile(r"^LoadCredential=([a-z-]+)(?::(/\S+))?$", re.M)
    documented = pattern.findall(blocks[0])
    assert documented == pattern.findall((ROOT / "systemd" / "kioskguard.service").read_text())
    assert [name for name, _ in documented] == ["pseudonym-key", "hotline-secret"]
    sources = "".join(p.read_text() for p in (ROOT / "Sources" / "KioskGuardDaemon").rglob("*.swift"))
    for name, _ in documented:
        assert f'"/{name}"' in sources, f"the daemon does not read the {name} credential"


def test_the_man_pages_render_as_written():
    """Every man page renders with groff: quotes balanced (an mdoc quoting macro nested in another
    one on the same line loses its closing quote), and kioskguardd(8) shows no subcommand, for it
    has none."""
    for page in sorted((ROOT / "docs" / "man").iterdir()):
        rendered = subprocess.run(["groff", "-mandoc", "-Tutf8", "-P-c", "-ww", str(page)], capture_output=True, text=True, check=True)
        assert rendered.stderr == "", f"{page.name}: {rendered.stderr}"
        quotes = "".join(character for character in rendered.stdout if character in "\u2018\u2019")
        assert quotes == "\u2018\u2019" * (len(quotes) // 2), f"{page.name}: quotes do not open and close in turn: {quotes}"
    daemon_page = subprocess.run(["groff", "-mandoc", "-Tutf8", "-P-c", str(ROOT / "docs" / "man" / "kioskguardd.8")],
                                 capture_output=True, text=True, check=True).stdout
    assert "subcommand" not in daemon_page


def test_the_collector_setup_the_system_test_runs_is_the_documented_one():
    """The system test sets up journal-remote with a drop-in constant; operations.md must show
    exactly that drop-in, so what the docs tell a fleet admin is what was seen to work."""
    inside = (ROOT / "Tests" / "System" / "inside.py").read_text()
    dropin = re.search(r'COLLECTOR_HTTP_DROPIN = """(.*?)"""', inside, re.S).group(1)
    assert "--listen-http=-3" in dropin
    assert f"```ini\n{dropin}```" in (ROOT / "docs" / "operations.md").read_text()
