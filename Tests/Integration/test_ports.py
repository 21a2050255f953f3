"""The ports the tests' servers are given: one server's port is never another's."""
from ports import free_port


def test_a_port_is_handed_out_once_in_a_run():
    # 300 draws: bind(0) alone repeats a port within that many draws in nearly every run (the
    # fleet test that failed in CI had an Alertmanager and a node_exporter given one port).
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
