"""A real pcscd with the virtual reader of vsmartcard-vpcd, and virtual cards that connect to
it, built on python3-virtualsmartcard's VirtualICC, for the card-reader watcher's tests.

vpcd is a pcscd reader driver that listens on a TCP port: a card emulator connecting to it is a
card inserted, closing the connection is the card removed. pcscd's socket is fixed at
/run/pcscd/pcscd.comm, so one pcscd serves every test, one at a time.
"""
import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import Cryptodome  # noqa: E402  (python3-pycryptodome)

from ports import free_port

# Debian installs the library outside Python's path, and it imports PyCrypto's name for what
# Debian ships as pycryptodome's Cryptodome (both are packaging facts of bookworm).
sys.path.append("/usr/lib/python3/site-packages/virtualsmartcard")
sys.modules.setdefault("Crypto", Cryptodome)
from virtualsmartcard.VirtualSmartcard import SmartcardOS, VirtualICC  # noqa: E402

PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
READER = "Virtual PCD"
# GET DATA (ISO 7816-4) with a proprietary tag: what the daemon is configured to send.
IDENTITY_APDU = bytes.fromhex("00CA010000")


class TestCardOS(SmartcardOS):
    """A card with a chosen ATR that answers the identity APDU with its serial."""

    def __init__(self, atr: bytes, serial: bytes):
        self.atr, self.serial = atr, serial

    def getATR(self):
        return self.atr

    def execute(self, msg):
        if msg[:4] == IDENTITY_APDU[:4]:
            return self.serial + b"\x90\x00"
        return b"\x6d\x00"  # instruction not supported


# The JPKI application of a My Number card, and the file of its user-authentication certificate.
JPKI_AP = bytes.fromhex("D392F000260100000001")
JPKI_AUTH_CERTIFICATE_FILE = bytes.fromhex("000A")
# One ATR for every virtual My Number card, as the real cards share theirs: only the certificate
# can tell two of them apart.
JPKI_ATR = bytes.fromhex("3B8880010000000000000000")


class JPKICardOS(SmartcardOS):
    """A My Number card as far as the daemon may read it: SELECT of the JPKI AP, SELECT of its EF
    00 0A, READ BINARY of `certificate` (DER; the file holds exactly these bytes, so a truncated
    certificate is a short file). With `application=False` the card has no JPKI AP. Every command
    it is sent is kept in `commands`."""

    def __init__(self, certificate: bytes, application: bool = True):
        self.certificate, self.application = certificate, application
        self.selected = None
        self.commands = []

    def getATR(self):
        return JPKI_ATR

    def execute(self, msg):
        self.commands.append(bytes(msg))
        header, body = bytes(msg[:4]), bytes(msg[5:5 + msg[4]]) if len(msg) > 4 else b""
        if header == b"\x00\xa4\x04\x0c":
            self.selected = "ap" if self.application and body == JPKI_AP else None
            return b"\x90\x00" if self.selected else b"\x6a\x82"  # file or application not found
        if header == b"\x00\xa4\x02\x0c":
            self.selected = "certificate" if self.selected and body == JPKI_AUTH_CERTIFICATE_FILE else None
            return b"\x90\x00" if self.selected else b"\x6a\x82"
        if header[:2] == b"\x00\xb0" and self.selected == "certificate":
            offset, count = msg[2] << 8 | msg[3], msg[4] or 256
            if offset >= len(self.certificate):
                return b"\x6b\x00"  # wrong parameters: past the end of the file
            return self.certificate[offset:offset + count] + b"\x90\x00"
        return b"\x6d\x00"


class VirtualCard:
    """A card in the virtual reader while this object lives (until `remove`): one that answers
    the identity APDU with `serial`, or the card `card_os` emulates."""

    def __init__(self, port: int, serial: str = "", atr: bytes = bytes.fromhex("3B8880010000000000000000"), card_os=None):
        self.icc = VirtualICC(None, "iso7816", "127.0.0.1", port, logginglevel=logging.WARNING)
        self.icc.os = card_os or TestCardOS(atr, serial.encode())
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            self.icc.run()
        except (SystemExit, Exception):
            # The reader went away or remove() closed the connection; the library's loop then
            # ends in SystemExit, OSError or (on a read cut short) UnboundLocalError.
            pass

    def remove(self):
        try:
            self.icc.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.icc.sock.close()
        self.thread.join(timeout=10)


def listening(port: int) -> bool:
    """Whether something listens on TCP `port`, read from /proc so that no card is inserted."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(wanted) and fields[3] == "0A":
                return True
    return False


class Pcscd:
    """pcscd in the foreground with only the vpcd reader on `port`."""

    def __init__(self, directory: Path, port: int):
        self.port = port
        self.config = directory / "reader.conf.d"
        self.config.mkdir(parents=True, exist_ok=True)
        self.process = None

    def start(self, with_reader=True, timeout=30.0):
        # free_port() finds a port free only at that moment: a connection made meanwhile may take
        # it as its local port, and then vpcd cannot bind it and pcscd starts without a reader
        # listening (a card's connection is refused). Then pcscd starts again on another port.
        for _ in range(3):
            self._start(with_reader, timeout)
            if not with_reader or listening(self.port):
                return self
            self.stop()
            self.port = free_port()
        raise AssertionError(f"vpcd listened on none of three ports, the last {self.port}")

    def _start(self, with_reader, timeout):
        entry = self.config / "vpcd"
        if with_reader:
            entry.write_text(f'FRIENDLYNAME "{READER}"\nDEVICENAME /dev/null:{self.port}\n'
                             "LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 1\n")
        elif entry.exists():
            entry.unlink()
        PCSCD_SOCKET.unlink(missing_ok=True)  # left by a pcscd that was killed
        # At info level pcscd says "daemon ready." once its readers are added (vpcd listening)
        # and its socket is bound; the rest of its output is drained so it never blocks on it.
        self.process = subprocess.Popen(["pcscd", "--foreground", "--info", "--config", str(self.config)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while b"daemon ready." not in self.process.stdout.readline():
            assert self.process.poll() is None, "pcscd exited at start"
            assert time.monotonic() < deadline, "pcscd did not say it was ready"
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None


def watched_reader():
    """A terminal's settings for the daemon to watch the virtual reader itself."""
    return {"card_reader": f"{READER}*", "card_identity_apdu": IDENTITY_APDU.hex().upper()}


