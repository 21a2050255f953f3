#!/usr/bin/env python3
"""Benchmarks of terminals without a cooperating app (contract section 10), against the real
release kioskguardd, pcscd with the vsmartcard vpcd reader and virtual cards (run on demand).

    Benchmarks/daemon/card_terminals.py card-only-removal --removals 50
    Benchmarks/daemon/card_terminals.py card-identity --insertions 30
    Benchmarks/daemon/card_terminals.py input-cpu --rate 1000 --seconds 20

card-only-removal: a card-bound terminal (session_source = "card") with no app, whose lock
action is `exec` (a shell script that appends a line to a file). N times a virtual card goes in
(its session begins: the daemon's `sessions` shows it) and is taken out; the delay runs from the
virtual card's connection closing to the script's line (the file is looked at every millisecond).
It includes pcscd's own polling of the vpcd reader and the script's start.

card-identity: N insertions each into a terminal whose card is known by its ATR and into one that
reads a My Number card's JPKI user-authentication certificate (a DER certificate made by openssl
on a virtual card); the time from the card's connection to the daemon reporting it present
(`terminals` shows card_present, looked at every millisecond). The difference is what reading the
certificate costs.

input-cpu: one terminal with `input_devices` naming a FIFO that stands in for an evdev device
(this machine has no uinput); key-press records (EV_KEY and EV_SYN) written at --rate events a
second for --seconds, paced; the daemon's CPU time over that window, from /proc, and the same
window with no input, for the difference.
"""
import argparse
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Benchmarks" / "daemon"))
sys.path.insert(0, str(ROOT / "Tests" / "Integration"))
from daemon_load import control, proc_stats, start_daemon  # noqa: E402
from ports import free_port  # noqa: E402
from smartcard import JPKICardOS, Pcscd, VirtualCard  # noqa: E402


def percentiles(name, values):
    values = sorted(values)
    pick = lambda q: round(1000 * values[min(len(values) - 1, int(q * len(values)))], 3)
    return {f"{name}_p50_ms": pick(0.5), f"{name}_p99_ms": pick(0.99), f"{name}_max_ms": round(1000 * values[-1], 3)}


def wait(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def card_only_removal(args, directory):
    runs = directory / "exec.runs"
    script = directory / "terminate.sh"
    script.write_text(f"#!/bin/sh\necho \"$KIOSKGUARD_COMMAND\" >> {runs}\n")
    script.chmod(0o755)
    pcscd = Pcscd(directory, free_port()).start()
    daemon = start_daemon(directory, 1, {}, args.binary, terminal_lines=[
        'card_reader = "Virtual PCD*"', 'session_source = "card"', 'lock_actions = ["exec"]', f'exec_command = ["{script}"]'])
    delays = []
    try:
        for index in range(args.removals):
            card = VirtualCard(pcscd.port, f"card-{index}")
            wait(lambda: control(directory, "sessions")["result"])
            done = runs.read_text().count("\n") if runs.exists() else 0
            started = time.monotonic()
            card.remove()
            wait(lambda: runs.exists() and runs.read_text().count("\n") > done)
            delays.append(time.monotonic() - started)
            wait(lambda: not control(directory, "sessions")["result"])
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait()
        pcscd.stop()
    return {"scenario": "card-only-removal", "removals": args.removals, **percentiles("removal_to_terminate", delays)}


def card_identity(args, directory):
    der = directory / "certificate.der"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(directory / "key.pem"), "-subj", "/CN=bench", "-days", "1", "-outform", "DER",
                    "-out", str(der)], check=True, capture_output=True)
    certificate = der.read_bytes()
    result = {"scenario": "card-identity", "insertions": args.insertions, "certificate_bytes": len(certificate)}
    for identity in ("atr", "jpki-auth-certificate"):
        run_directory = directory / identity
        run_directory.mkdir()
        pcscd = Pcscd(run_directory, free_port()).start()
        daemon = start_daemon(run_directory, 1, {}, args.binary,
                              terminal_lines=['card_reader = "Virtual PCD*"', f'card_identity = "{identity}"'])
        present = lambda: control(run_directory, "terminals")["result"][0].get("card_present")
        delays = []
        try:
            for _ in range(args.insertions):
                started = time.monotonic()
                card = VirtualCard(pcscd.port, card_os=JPKICardOS(certificate))
                wait(present)
                delays.append(time.monotonic() - started)
                card.remove()
                wait(lambda: not present())
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait()
            pcscd.stop()
        result.update(percentiles(f"insertion_to_present_{identity.split('-')[0]}", delays))
    result["jpki_read_p50_ms"] = round(result["insertion_to_present_jpki_p50_ms"] - result["insertion_to_present_atr_p50_ms"], 3)
    return result


def input_cpu(args, directory):
    device = directory / "event-kbd0"
    os.mkfifo(device)
    daemon = start_daemon(directory, 1, {"idle_timeout": "1h", "max_session": "2h"}, args.binary,
                          terminal_lines=[f'input_devices = ["{device}"]'])
    try:
        writer = os.open(device, os.O_WRONLY)
        press = b"".join(struct.pack("qqHHi", 0, 0, *event) for event in ((1, 30, 1), (0, 0, 0)))

        def window(rate):
            cpu_before, _ = proc_stats(daemon.pid)
            started = time.monotonic()
            sent = 0
            while (elapsed := time.monotonic() - started) < args.seconds:
                due = int(elapsed * rate)
                if due > sent:
                    os.write(writer, press * (due - sent))
                    sent = due
                time.sleep(0.001)
            cpu_after, _ = proc_stats(daemon.pid)
            return cpu_after - cpu_before, sent

        idle_cpu, _ = window(0)
        busy_cpu, sent = window(args.rate)
        os.close(writer)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait()
    return {"scenario": "input-cpu", "rate": args.rate, "seconds": args.seconds, "events": sent,
            "cpu_percent_idle": round(100 * idle_cpu / args.seconds, 3), "cpu_percent_with_input": round(100 * busy_cpu / args.seconds, 3),
            "cpu_us_per_event": round(1e6 * max(0.0, busy_cpu - idle_cpu) / max(1, sent), 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=["card-only-removal", "card-identity", "input-cpu"])
    parser.add_argument("--removals", type=int, default=50)
    parser.add_argument("--insertions", type=int, default=30)
    parser.add_argument("--rate", type=int, default=1000, help="input events a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--binary", type=Path, default=ROOT / ".build" / "release" / "kioskguardd")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        scenario = {"card-only-removal": card_only_removal, "card-identity": card_identity, "input-cpu": input_cpu}[args.scenario]
        print(json.dumps(scenario(args, Path(directory))))


if __name__ == "__main__":
    main()
