#!/usr/bin/env python3
"""Browser kiosk latencies, in a real headless Chromium with the kioskguard extension, its bridge
and the release daemon, guarding the integration tier's test portal (contract section 9):

- key to activity: a key press in the portal's page (its `keydown`, stamped by the page) to the
  `activity` line arriving on the daemon's socket; presses come 0.7 s apart, since the extension
  reports at most one activity per 0.5 s;
- lock to overlay: the daemon's `lock` line leaving for the bridge to the lock overlay covering
  the page (the first animation frame after the extension set it); each sample is a session
  signed in, left idle until the daemon locks it, and terminated;
- the bridge under continuous typing: a key every 50 ms for --typing-seconds, the bridge
  process's CPU time (clock ticks of /proc/PID/stat, 10 ms each) and private memory
  (smaps_rollup's Private_Clean + Private_Dirty).

The bridge talks to the daemon through a relay on a Unix socket here, which stamps each line as
it passes (the relay adds its own forwarding delay, some tens of microseconds, to both figures).
The page's stamps (`performance.timeOrigin + performance.now()`) and the relay's (`time.time()`)
are both the host's realtime clock.

    Benchmarks/browser/browser_latency.py [--presses 40] [--locks 20] [--typing-seconds 20] [--binary PATH]

Prints one JSON object. Needs journald (scripts/ensure-journald.sh), chromium and chromedriver.
Not part of the test suite: timings belong here, not in tests.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))

DEADLINE = 15.0
# The extension's own limit on activity reports, with room, so every press is reported.
PRESS_INTERVAL = 0.7

STAMP_KEYS = """
window.__keys = [];
window.addEventListener('keydown', () => window.__keys.push(performance.timeOrigin + performance.now()), true);
"""

# Resolves with [attribute set, first frame after it], in epoch ms, once the lock overlay is up.
STAMP_LOCK = """
const done = arguments[0];
const html = document.documentElement;
const seen = () => {
  const set = performance.timeOrigin + performance.now();
  requestAnimationFrame(() => done([set, performance.timeOrigin + performance.now()]));
};
if (html.getAttribute('data-kioskguard') === 'lock') return seen();
new MutationObserver((_, observer) => {
  if (html.getAttribute('data-kioskguard') === 'lock') { observer.disconnect(); seen(); }
}).observe(html, {attributes: true, attributeFilter: ['data-kioskguard']});
"""


class TimingRelay:
    """Forwards connections on `path` to the daemon's events socket, stamping the message types
    it is asked about as they pass, by direction."""

    def __init__(self, path: Path, daemon_socket: Path):
        self.daemon_socket = daemon_socket
        self.seen = {"app": [], "daemon": []}  # [(type, epoch ms)] from the bridge, from the daemon
        self.changed = threading.Condition()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(4)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                app, _ = self.listener.accept()
            except OSError:
                return
            daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            daemon.connect(str(self.daemon_socket))
            threading.Thread(target=self._pump, args=(app, daemon, "app"), daemon=True).start()
            threading.Thread(target=self._pump, args=(daemon, app, "daemon"), daemon=True).start()

    def _pump(self, source, sink, side):
        pending = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            stamp = time.time() * 1000
            sink.sendall(data)
            pending += data
            *lines, pending = pending.split(b"\n")
            with self.changed:
                for line in lines:
                    self.seen[side].append((json.loads(line).get("type"), stamp))
                self.changed.notify_all()

    def count(self, side, kind):
        return sum(1 for seen, _ in self.seen[side] if seen == kind)

    def wait(self, side, kind, count):
        """The stamp of the `count`-th message of `kind` from `side`, once it passed."""
        with self.changed:
            assert self.changed.wait_for(lambda: self.count(side, kind) >= count, DEADLINE), \
                f"no {kind} number {count} from the {side}; seen {self.seen[side][-5:]}"
            return [stamp for seen, stamp in self.seen[side] if seen == kind][count - 1]


def percentiles(samples):
    ordered = sorted(samples)
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {"p50_ms": round(statistics.median(ordered), 3), "p99_ms": round(at(0.99), 3), "max_ms": round(ordered[-1], 3)}


def bridge_process(workdir):
    found = subprocess.run(["pgrep", "-f", str(workdir / "kioskguard-bridge")], capture_output=True, text=True).stdout.split()
    assert len(found) == 1, f"expected one bridge process, found {found}"
    return int(found[0])


def bridge_cost(pid):
    """(CPU seconds so far, private KiB) of the bridge process. The clock ticks of /proc/PID/stat
    count the threads that already exited too, which the threads' own schedstat does not."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rollup = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    private = sum(int(rollup[name].split()[0]) for name in ("Private_Clean", "Private_Dirty"))
    return cpu, private


def sign_in(browser, relay, portal, begun):
    """Signs in (the `begun`-th session.begin) and opens the account page."""
    browser.go(f"{portal.origin}/login")
    relay.wait("app", "session.begin", begun)
    browser.go(f"{portal.origin}/account")


def key_to_activity(browser, relay, presses):
    browser.script(STAMP_KEYS)
    before = relay.count("app", "activity")
    arrived = []
    for press in range(presses):
        pressed = time.monotonic()
        browser.press("a")
        arrived.append(relay.wait("app", "activity", before + press + 1))
        time.sleep(max(0.0, pressed + PRESS_INTERVAL - time.monotonic()))  # pacing, not waiting
    keys = browser.script("return window.__keys")
    assert len(keys) == presses, f"the page saw {len(keys)} of {presses} key presses"
    return [activity - key for key, activity in zip(keys, arrived)]


def typing_cost(browser, pid, seconds):
    keys = int(seconds / 0.05)
    strokes = []
    for _ in range(keys):
        strokes += [{"type": "keyDown", "value": "a"}, {"type": "keyUp", "value": "a"}, {"type": "pause", "duration": 50}]
    cpu_before, private_before = bridge_cost(pid)
    started = time.monotonic()
    browser.command("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": strokes}]})
    elapsed = time.monotonic() - started
    cpu_after, private_after = bridge_cost(pid)
    return {"typing_keys": keys, "typing_seconds": round(elapsed, 2),
            "bridge_cpu_ms": round(1000 * (cpu_after - cpu_before)), "bridge_cpu_percent": round(100 * (cpu_after - cpu_before) / elapsed, 3),
            "bridge_private_kib_before_typing": private_before, "bridge_private_kib": private_after}


def lock_to_overlay(browser, relay, portal, locks):
    painted, set_at = [], []
    for cycle in range(locks):
        if cycle:
            served = len(portal.pages)
            relay.wait("daemon", "terminate", cycle)
            # The extension closes the portal's tabs and opens its start page: the next session's window.
            portal.wait_for_page("/", after=served)
            [start] = browser.windows()
            browser.switch_to(start)
            sign_in(browser, relay, portal, cycle + 1)
        attribute, frame = browser.wait_script(STAMP_LOCK)
        sent = relay.wait("daemon", "lock", cycle + 1)
        set_at.append(attribute - sent)
        painted.append(frame - sent)
    return painted, set_at


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--locks", type=int, default=20)
    parser.add_argument("--typing-seconds", type=float, default=20.0)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build" / "release" / "kioskguardd")
    args = parser.parse_args()
    # The integration tier's helpers start the daemon that KIOSKGUARDD names when they load.
    os.environ["KIOSKGUARDD"] = str(args.binary.resolve())
    from browser_kiosk import Portal, launch_chromium
    from conftest import Daemon
    workdir = Path(tempfile.mkdtemp(prefix="kioskguard-browser-bench-"))
    (workdir / "run").mkdir()
    portal = Portal()
    name = "bench"
    # Idle locks 3 s after the last input, so the presses keep the session open and each lock
    # sample costs a few seconds; the terminate after a lock ends the sample.
    daemon = Daemon(workdir, [{"name": name, "allowed_users": ["root"], "lock_actions": ["client"]}],
                    policy={"idle_timeout": "3s", "warn_before": "1s", "terminate_after_lock": "1s"},
                    extra=portal.site(name)).start()
    browser = None
    try:
        relay = TimingRelay(workdir / "relay.sock", daemon.events)
        browser = launch_chromium(workdir, args.binary, workdir / "relay.sock")
        relay.wait("daemon", "welcome", 1)
        sign_in(browser, relay, portal, 1)
        keys = key_to_activity(browser, relay, args.presses)
        typing = typing_cost(browser, bridge_process(workdir), args.typing_seconds)
        painted, set_at = lock_to_overlay(browser, relay, portal, args.locks)
        result = {"scenario": "browser", "presses": args.presses, "locks": args.locks,
                  **{f"key_to_activity_{k}": v for k, v in percentiles(keys).items()},
                  **{f"lock_to_overlay_{k}": v for k, v in percentiles(painted).items()},
                  **{f"lock_to_overlay_attribute_{k}": v for k, v in percentiles(set_at).items()},
                  **typing}
        print(json.dumps(result))
    finally:
        if browser:
            browser.quit()
        daemon.stop()
        portal.close()


if __name__ == "__main__":
    main()
