"""Input idle from evdev (contract section 10, `input_devices`). This machine's kernel has no
uinput, so no input device can be created here: the test feeds the daemon's reader through the
code path it uses for a device, a file descriptor that delivers `struct input_event` records (a
FIFO the reader opens, reads and follows in epoll, as it would /dev/input/eventN), and makes it
disappear and return as a device node does when a keyboard is unplugged and plugged in again."""
import os
import struct

from conftest import unique

EV_SYN, EV_KEY, EV_MSC = 0, 1, 4
KEY_A = 30


def records(*events):
    """`struct input_event` records (64-bit: timeval, type, code, value) for (type, code, value)."""
    return b"".join(struct.pack("qqHHi", 1_700_000_000, 0, *event) for event in events)


A_KEY_PRESS = records((EV_MSC, 4, 0x70004), (EV_KEY, KEY_A, 1), (EV_SYN, 0, 0))


class Device:
    """A stand-in input device node at `path`: present (a FIFO with a writer) or gone."""

    def __init__(self, path):
        self.path = path
        self.writer = None

    def plug(self):
        os.mkfifo(self.path)

    def open(self):
        # Blocks until the daemon's reader has the FIFO open: the device is watched then.
        self.writer = os.open(self.path, os.O_WRONLY)

    def write(self, data):
        os.write(self.writer, data)

    def unplug(self):
        os.close(self.writer)
        self.writer = None
        os.unlink(self.path)


def test_input_postpones_the_idle_lock_and_a_device_that_goes_and_returns_is_followed(daemons, journal, workdir):
    name = unique()
    devices = workdir / "input"
    devices.mkdir()
    keyboard = Device(devices / "event-kbd0")
    keyboard.plug()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"],
                       "input_devices": [str(devices / "event-kbd*")]}],
                     policy={"idle_timeout": "6s", "warn_before": "4s"}).start()
    journal.wait_for(containing=f"input device {keyboard.path} of terminal {name} is watched")
    keyboard.open()
    # The app does not confirm locks: a confirmation sent by the client's reader thread after
    # the test ended the session would be refused, and that refusal read as the next message.
    client = daemon.client(name, confirm_locks=False)
    for session in ("s-1", "s-2"):
        client.send("session.begin", session=session, subject="310129-954F")
        assert client.next_message() == {"type": "warn", "session": session, "reason": "idle", "lock_in": 4}
        # Synchronisation and scan-code records alone are not a person's input; a key press is.
        keyboard.write(records((EV_SYN, 0, 0), (EV_MSC, 4, 1)) + A_KEY_PRESS)
        resumed = journal.wait_for(KIOSKGUARD_EVENT="session-resumed", KIOSKGUARD_SESSION=session, KIOSKGUARD_TERMINAL=name)
        assert resumed["KIOSKGUARD_REASON"] == "idle"
        # Left alone again, it is warned and locked as usual.
        assert client.next_message() == {"type": "warn", "session": session, "reason": "idle", "lock_in": 4}
        assert client.next_message() == {"type": "lock", "session": session, "reason": "idle"}
        client.send("session.end", session=session, reason="cancelled")
        if session == "s-1":
            keyboard.unplug()
            journal.wait_for(containing=f"input device {keyboard.path} of terminal {name} is gone")
            keyboard.plug()
            journal.wait_count(2, containing=f"input device {keyboard.path} of terminal {name} is watched")
            keyboard.open()
    keyboard.unplug()


def test_a_session_idle_on_its_devices_with_only_synchronisation_records_locks(daemons, journal, workdir):
    name = unique()
    keyboard = Device(workdir / "event-kbd0")
    keyboard.plug()
    daemon = daemons([{"name": name, "allowed_users": ["root"], "lock_actions": ["client"], "input_devices": [str(keyboard.path)]}],
                     policy={"idle_timeout": "3s", "warn_before": "1s"}).start()
    journal.wait_for(containing=f"input device {keyboard.path} of terminal {name} is watched")
    keyboard.open()
    client = daemon.client(name)
    client.send("session.begin", session="s-1", subject="310129-954F")
    assert client.next_message() == {"type": "warn", "session": "s-1", "reason": "idle", "lock_in": 1}
    keyboard.write(records((EV_SYN, 0, 0), (EV_MSC, 4, 1), (EV_SYN, 0, 0)))
    assert client.next_message() == {"type": "lock", "session": "s-1", "reason": "idle"}
    assert not journal.matching(KIOSKGUARD_EVENT="session-resumed", KIOSKGUARD_TERMINAL=name)
    keyboard.unplug()
