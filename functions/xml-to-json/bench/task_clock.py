#!/usr/bin/env python3
"""Interleaved whole-process timing with `perf stat`: medians of task-clock and page faults.

    bench/task_clock.py ROUNDS INPUT.xml [peer]

Like interleaved.py (every command once per round, in turn), but CPU time is perf's
task-clock, measured exactly instead of in scheduler ticks (wait4's user/sys come in 4 ms
steps here, as much as a whole conversion's system time). `peer` adds xmltodict.
Environment: BIN (default $CARGO_TARGET_DIR/release/examples, CARGO_TARGET_DIR=
/work/target-xml), BEFORE (a directory with an older convert_file: "(before)" rows),
RAW=1 (adds raw_read), PYTHON, XMLTODICT_CONVERT as in compare.sh.
"""
import os
import statistics
import subprocess
import sys

rounds, inp = int(sys.argv[1]), sys.argv[2]
with_peer = len(sys.argv) > 3 and sys.argv[3] == "peer"
here = os.path.dirname(os.path.abspath(__file__))
peer = os.environ.get("XMLTODICT_CONVERT", os.path.join(here, "../../../../shared/bench/xmltodict_convert.py"))
target = os.environ.get("CARGO_TARGET_DIR", "/work/target-xml")
b = os.environ.get("BIN", os.path.join(target, "release/examples"))
before = os.environ.get("BEFORE")
cmds = {}
if with_peer:
    cmds["xmltodict"] = [os.environ.get("PYTHON", "python3"), peer]
for name, args in [("tree", []), ("item_depth_2", ['{"item_depth":2}']), ("ordered", ['{"ordered":true}'])]:
    cmds[name] = [f"{b}/convert_file", *args]
    if before:
        cmds[f"{name} (before)"] = [f"{before}/convert_file", *args]
if os.environ.get("RAW"):
    cmds["quick_xml_raw"] = [f"{b}/raw_read"]

samples = {k: [] for k in cmds}
for _ in range(rounds):
    for name, argv in cmds.items():
        with open(inp, "rb") as f:
            r = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock,page-faults", "--", *argv],
                               stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"{name} failed: {r.stderr[-300:]}")
        got = {}
        for line in r.stderr.splitlines():
            parts = line.split(",")
            if len(parts) > 3 and parts[2] in ("task-clock", "page-faults"):
                got[parts[2]] = float(parts[0])
        samples[name].append((got["task-clock"], got["page-faults"]))

print(f"{rounds} rounds, load average {open('/proc/loadavg').read().split()[0]}")
peer_ms = statistics.median(t for t, _ in samples["xmltodict"]) if with_peer else None
for name, v in samples.items():
    ms = statistics.median(t for t, _ in v)
    faults = statistics.median(p for _, p in v)
    ratio = f"  {peer_ms / ms:5.1f}x" if peer_ms else ""
    print(f"{name:24s} task-clock {ms:8.1f} ms  page faults {faults:7.0f}{ratio}")
