"""Local TCP ports for the servers the tests start."""
import socket

_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port free now and never handed out before in this test run.

    The kernel gives a port that was bound and closed again to the next `bind(0)` as readily as
    any other, so without the record two servers of one test (an Alertmanager whose port is
    chosen before it starts and a node_exporter started meanwhile) could be given the same port.
    A port is still free only at the moment it is found: a server started later may find it taken
    by another process's connection, and then fails to start, loudly."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
