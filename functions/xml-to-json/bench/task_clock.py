#!/usr/bin/env python3
"""Interleaved whole-process timing: medians of wall time (a plain run) and, with `perf
stat` (a second run), task-clock (CPU time of all threads) and page faults.

    bench/task_clock.py ROUNDS INPUT.xml [peer]

Like interleaved.py (every command once per round, in turn), but CPU time is perf's
task-clock, measured exactly instead of in scheduler ticks (wait4's user/sys come in 4 ms
steps here, as much as a whole conversion's system time). `peer` adds xmltodict. Each
mode runs three times: as shipped (two threads when there is a second core and the input
is at least 8 MiB), and with XML_TO_JSON_THREADS=1 and 2.
Environment: BIN (default $CARGO_TARGET_DIR/release/examples, CARGO_TARGET_DIR=
/work/target-xml), BEFORE (a directory with an older convert_file: "(before)" rows),
RAW=1 (adds raw_read), PYTHON, XMLTODICT_CONVERT as in compare.sh.
"""
import os
import statistics
import subprocess
import sys
import time

rounds, inp = int(sys.argv[1]), sys.argv[2]
with_peer = len(sys.argv) > 3 and sys.argv[3] == "peer"
here = os.path.dirname(os.path.abspath(__file__))
peer = os.environ.get("XMLTODICT_CONVERT", os.path.join(here, "../../../../shared/bench/xmltodict_convert.py"))
target = os.environ.get("CARGO_TARGET_DIR", "/work/target-xml")
b = os.environ.get("BIN", os.path.join(target, "release/examples"))
before = os.environ.get("BEFORE")
cmds = {}
one = dict(os.environ, XML_TO_JSON_THREADS="1")
two = dict(os.environ, XML_TO_JSON_THREADS="2")
if with_peer:
    cmds["xmltodict"] = ([os.environ.get("PYTHON", "python3"), peer], None)
for name, args in [("tree", []), ("item_depth_2", ['{"item_depth":2}']), ("ordered", ['{"ordered":true}'])]:
    cmds[name] = ([f"{b}/convert_file", *args], None)
    cmds[f"{name}, 1 thread"] = ([f"{b}/convert_file", *args], one)
    cmds[f"{name}, 2 threads"] = ([f"{b}/convert_file", *args], two)
    if before:
        cmds[f"{name} (before)"] = ([f"{before}/convert_file", *args], one)
if os.environ.get("RAW"):
    cmds["quick_xml_raw"] = ([f"{b}/raw_read"], None)

samples = {k: [] for k in cmds}
for _ in range(rounds):
    for name, (argv, env) in cmds.items():
        # Wall time from a run of its own: perf's start-up (~10 ms) would be in it.
        with open(inp, "rb") as f:
            t0 = time.perf_counter()
            subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, env=env, check=True)
            wall = (time.perf_counter() - t0) * 1000
        with open(inp, "rb") as f:
            r = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock,page-faults", "--", *argv],
                               stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"{name} failed: {r.stderr[-300:]}")
        got = {}
        for line in r.stderr.splitlines():
            parts = line.split(",")
            if len(parts) > 3 and parts[2] in ("task-clock", "page-faults"):
                got[parts[2]] = float(parts[0])
        samples[name].append((wall, got["task-clock"], got["page-faults"]))

print(f"{rounds} rounds, load average {open('/proc/loadavg').read().split()[0]}")
med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in samples.items()}
peer_wall, peer_cpu = (med["xmltodict"][0], med["xmltodict"][1]) if with_peer else (None, None)
for name, (wall, cpu, faults) in med.items():
    ratio = f"  {peer_wall / wall:5.1f}x wall {peer_cpu / cpu:5.1f}x cpu" if with_peer else ""
    print(f"{name:26s} wall {wall:8.1f} ms  task-clock {cpu:8.1f} ms  page faults {faults:7.0f}{ratio}")
