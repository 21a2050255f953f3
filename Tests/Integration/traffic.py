"""Valid and invalid kiosk-app traffic, and a way to send it in pieces: shared by the socket
harness (test_chunked_traffic.py) and the system tier, which replays it against the hardened unit."""
import json
import select
import socket

NEWLINE = b"\n"


def traffic(generator, terminal, count):
    """`count` lines a kiosk app might send, a third of them refused; each ends in a ping whose pong
    proves everything before it was answered. Session ids carry the terminal's name so two
    terminals never share one; replies are compared with the name taken out."""
    sessions = [f"{terminal}-s{index}" for index in range(3)]
    subjects = ["310129-954F", "280286-1234", "Äiti ∑ 🙂"]
    valid = [
        lambda: {"type": "session.begin", "session": generator.choice(sessions), "subject": generator.choice(subjects), "auth": "card+pin"},
        lambda: {"type": "activity", "session": generator.choice(sessions)},
        lambda: {"type": "auth.verified", "session": generator.choice(sessions), "subject": generator.choice(subjects)},
        lambda: {"type": "card.inserted", "subject": generator.choice(subjects)},
        lambda: {"type": "card.removed"},
        lambda: {"type": "presence", "present": generator.random() < 0.7},
        lambda: {"type": "step.request", "id": f"r{generator.randrange(10**6)}", "session": generator.choice(sessions),
                 "step": generator.choice(["overview", "bank-account"]), "sensitive": generator.random() < 0.5},
        lambda: {"type": "step.done", "session": generator.choice(sessions), "step": "overview"},
        lambda: {"type": "locked", "session": generator.choice(sessions)},
        lambda: {"type": "ping", "id": f"p{generator.randrange(10**6)}"},
    ]
    invalid = [
        lambda: {"type": "nonsense", "id": "x"},
        lambda: {"type": "activity"},
        lambda: {"type": "activity", "session": 7},
        lambda: {"type": "step.request", "session": generator.choice(sessions), "step": "x" * 200},
        lambda: {"type": "hello", "terminal": terminal, "protocol": 1},
        lambda: {"type": "presence", "present": "yes", "extra": {"deep": [[[[1]]]]}},
    ]
    lines = []
    for _ in range(count):
        message = (generator.choice(invalid) if generator.random() < 0.33 else generator.choice(valid))()
        line = json.dumps(message, ensure_ascii=generator.random() < 0.5).encode()
        lines.append(line + (b"\r\n" if generator.random() < 0.2 else b"\n"))
    lines.append(b'{"type":"ping","id":"end"}\n')
    return b"".join(lines)


def exchange(events_path, terminal, data, pieces, timeout=15.0):
    """Writes `data` after the hello, in the given piece sizes, and returns the replies up to
    the final pong, with the terminal's name taken out."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.connect(str(events_path))
    sock.sendall(json.dumps({"type": "hello", "terminal": terminal, "protocol": 1}).encode() + b"\n")
    received, position, done = b"", 0, False
    sizes = iter(pieces)
    while not done:
        writable = [sock] if position < len(data) else []
        readable, ready_to_write, _ = select.select([sock], writable, [], timeout)
        assert readable or ready_to_write, f"the daemon went quiet after {received.count(NEWLINE)} replies"
        if readable:
            chunk = sock.recv(1 << 16)
            assert chunk, f"the daemon closed the connection after {received.count(NEWLINE)} replies: {received[-300:]}"
            # Only the new bytes are searched: scanning all of a flood's answers each time would
            # make this reader too slow to keep up.
            done = b'"id":"end"' in received[-16:] + chunk
            received += chunk
        elif ready_to_write:
            # Answers are read before more is written, as an app that reads its replies would.
            size = next(sizes, len(data) - position)
            position += sock.send(data[position:position + size])
    # Half-close and wait for the daemon's own close, so the terminal is free for the next
    # connection when this returns.
    sock.shutdown(socket.SHUT_WR)
    while sock.recv(1 << 16):
        pass
    sock.close()
    lines = received.decode().replace(terminal, "TERMINAL").splitlines()
    return [json.loads(line) for line in lines[1:]]  # the welcome aside
