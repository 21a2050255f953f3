#!/usr/bin/env python3
"""Writes a journal of N kioskguard entries (default 1,000,000) from 20 hosts with
systemd-journal-remote, then times `kioskguardctl report` (JSON and HTML), `audit` and
`incident` over it, with their peak RSS
(/usr/bin/time; it includes the journal files sd_journal maps) and their peak heap (RssAnon).
Run on demand:

    Benchmarks/review/million_entries.py [--entries N] [--keep DIR]
"""
import argparse
import hashlib
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EVENTS = [("session-begun", None), ("session-warned", "idle"), ("session-locked", "idle"), ("step-allowed", None),
          ("step-done", None), ("session-ended", "logout"), ("session-ended", "abandoned"), ("anomaly", None)]


def pseudonym(value):
    return "p:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def entries(count, hosts):
    generator = random.Random(1)
    start = 1_700_000_000
    for index in range(count):
        host = f"kiosk-{index % hosts:02d}"
        event, reason = EVENTS[index % len(EVENTS)]
        fields = [f"__REALTIME_TIMESTAMP={(start + index) * 1_000_000}", f"__MONOTONIC_TIMESTAMP={index + 1}",
                  "_BOOT_ID=0123456789abcdef0123456789abcdef", f"_HOSTNAME={host}", "_SYSTEMD_UNIT=kioskguard.service",
                  "_COMM=kioskguardd", "_UID=994", "SYSLOG_IDENTIFIER=kioskguardd",
                  f"MESSAGE={event}", f"KIOSKGUARD_EVENT={event}", f"KIOSKGUARD_TERMINAL=counter-{index % 7}",
                  f"KIOSKGUARD_SESSION=s-{index // 8}", f"KIOSKGUARD_SUBJECT={pseudonym(str(index // 8))}"]
        if reason:
            fields.append(f"KIOSKGUARD_REASON={reason}")
        if event == "step-done":
            fields.append(f"KIOSKGUARD_ACCOUNT={pseudonym('account-' + str(generator.randrange(count // 4)))}")
        if event == "anomaly":
            fields.append("KIOSKGUARD_ANOMALY=handover.card-swap")
        yield "\n".join(fields) + "\n\n"


def peak_anonymous_kib(argv):
    """Peak heap (RssAnon) of a run, sampled from /proc every 5 ms: the journal's mapped files
    count in RSS but are not memory the command holds."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None:
        try:
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.005)
    return peak


def timed(argv):
    started = time.monotonic()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], capture_output=True, text=True)
    elapsed = time.monotonic() - started
    # audit and incident exit 1 when they find something; anything else is a failed run, not a measurement.
    if result.returncode not in (0, 1) or not result.stdout:
        sys.exit(f"{argv[1]} failed ({result.returncode}): {result.stderr.strip()[-300:]}")
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    return elapsed, peak_kib


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="write the journal here and keep it")
    parser.add_argument("--ctl", type=Path, default=ROOT / ".build" / "release" / "kioskguardctl")
    args = parser.parse_args()
    directory = args.keep or Path(tempfile.mkdtemp(prefix="kioskguard-million-"))
    directory.mkdir(parents=True, exist_ok=True)
    if not any(directory.glob("*.journal")):
        writer = subprocess.Popen(["/lib/systemd/systemd-journal-remote", "-o", str(directory / "fleet.journal"), "-"],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for entry in entries(args.entries, args.hosts):
            writer.stdin.write(entry.encode())
        writer.stdin.close()
        writer.wait()
    size = sum(f.stat().st_size for f in directory.glob("*.journal*"))
    results = {"entries": args.entries, "journal_mib": round(size / 2**20)}
    runs = {"report": ["report", "--format", "json"], "report_html": ["report", "--format", "html"], "audit": ["audit", "--json"],
            "incident": ["incident", "--format", "json"]}
    for name, verb in runs.items():
        argv = [str(args.ctl), *verb, "--directory", str(directory)]
        elapsed, peak = timed(argv)
        results[f"{name}_seconds"] = round(elapsed, 2)
        results[f"{name}_peak_rss_mib"] = round(peak / 1024, 1)
        results[f"{name}_peak_heap_mib"] = round(peak_anonymous_kib(argv) / 1024, 1)
    print(results)


if __name__ == "__main__":
    main()
