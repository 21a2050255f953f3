"""The documents' examples are checked here: the protocol transcript is replayed against the real
daemon, real traffic is validated against the JSON Schema, every kioskguardctl example parses and
runs, and the configuration example validates."""
import json
import re
import shlex
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import CTL, DAEMON, ROOT, read_line, unique

SCHEMA = json.loads((ROOT / "docs" / "protocol.schema.json").read_text())
LIVE_VERBS = {"status", "terminals", "sessions", "show", "lock", "terminate", "reload", "alerts", "pseudonym"}


def validator(kind):
    return jsonschema.Draft202012Validator({**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{kind}"}]})


def fenced_blocks(path, language):
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(), re.S)


def test_the_protocol_transcript_is_what_the_daemon_says(daemons):
    transcript = fenced_blocks(ROOT / "docs" / "protocol.md", "transcript")
    assert len(transcript) == 1
    daemon = daemons([{"name": "counter-1", "allowed_users": ["root"]}]).start()
    sock = daemon.raw()
    app, replies = validator("app-message"), validator("daemon-message")
    invalid_sent = False
    for line in transcript[0].strip().splitlines():
        direction, text = line[:1], line[2:]
        message = json.loads(text)
        if direction == ">":
            # The transcript may show a bad request on purpose; its answer must then be an error.
            invalid_sent = not app.is_valid(message)
            sock.sendall(text.encode() + b"\n")
        else:
            replies.validate(message)
            assert not invalid_sent or message["type"] == "error"
            assert json.loads(read_line(sock)) == message, f"expected {text}"


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
    assert argv[0] == "kioskguardctl"
    if argv[1] in LIVE_VERBS:
        # Never act on a daemon that may run on this machine: point live verbs at nothing.
        argv += ["--socket", str(workdir / "absent.sock")]
    result = subprocess.run([str(CTL), *argv[1:]], capture_output=True, text=True, input=stdin)
    assert result.returncode in (0, 1), f"{example}: exit {result.returncode}: {result.stderr}"
    assert "Usage:" not in result.stderr, result.stderr
    if argv[1] in LIVE_VERBS - {"show"}:  # show falls back to the journal
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
    blocks = fenced_blocks(ROOT / "docs" / "operations.md", "toml")
    assert blocks
    for index, block in enumerate(blocks):
        path = workdir / f"example-{index}.toml"
        path.write_text(block)
        result = subprocess.run([str(DAEMON), "--check-config", "--config", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
