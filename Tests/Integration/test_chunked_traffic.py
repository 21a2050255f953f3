"""The socket harness: the same mix of valid and invalid traffic written once whole and once in
random pieces of at most 143 bytes must get exactly the same replies, so every partial read (a
line split anywhere, a CRLF split between its two bytes, a UTF-8 sequence split inside) is
handled as the framer promises. KIOSKGUARD_HARNESS_LINES sets the size (default 3,000 lines;
a long run sets it to millions)."""
import os
import random

from conftest import unique
from traffic import exchange, traffic

LINES = int(os.environ.get("KIOSKGUARD_HARNESS_LINES", "3000"))
MAX_PIECE = 143


def test_traffic_in_pieces_of_at_most_143_bytes_gets_the_same_replies_as_whole(daemons):
    whole_terminal, pieces_terminal = unique(), unique()
    terminals = [{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]} for name in (whole_terminal, pieces_terminal)]
    daemon = daemons(terminals).start()
    seed = random.randrange(1 << 30)
    whole = exchange(daemon.events, whole_terminal, traffic(random.Random(seed), whole_terminal, LINES), [])
    data = traffic(random.Random(seed), pieces_terminal, LINES)
    sizes = random.Random(seed + 1)
    pieced = exchange(daemon.events, pieces_terminal, data, (sizes.randint(1, MAX_PIECE) for _ in range(len(data))))
    assert pieced == whole, f"seed {seed}: replies differ at {next(i for i, (a, b) in enumerate(zip(pieced, whole)) if a != b)}"
    refusals = [reply for reply in whole if reply["type"] == "error"]
    assert len(refusals) > LINES // 5, f"seed {seed}: the traffic should be a third invalid"
    assert whole[-1] == {"type": "pong", "id": "end"}
    assert daemon.control("status")["ok"]
