#!/usr/bin/env python3
"""Interleaved whole-process timing: medians of CPU (user+sys) and wall per command.

    bench/interleaved.py ROUNDS INPUT.xml [SKIP,NAMES]

Each round runs every command once, in turn, so load changes on a shared machine hit all
commands alike (hyperfine runs each command's batch in its own time window). CPU comes
from wait4 (user + sys of the process). Environment:
  BIN=...        directory with convert_file and raw_read (default:
                 $CARGO_TARGET_DIR/release/examples, CARGO_TARGET_DIR=/work/target-xml)
  BEFORE=...     optional second directory with convert_file: adds "(before)" rows
  PYTHON, XMLTODICT_CONVERT  as in compare.sh
"""
import os
import statistics
import sys
import time

rounds, inp = int(sys.argv[1]), sys.argv[2]
skip = set(filter(None, sys.argv[3].split(","))) if len(sys.argv) > 3 else set()
here = os.path.dirname(os.path.abspath(__file__))
peer = os.environ.get("XMLTODICT_CONVERT", os.path.join(here, "../../../../shared/bench/xmltodict_convert.py"))
target = os.environ.get("CARGO_TARGET_DIR", "/work/target-xml")
b = os.environ.get("BIN", os.path.join(target, "release/examples"))
before = os.environ.get("BEFORE")
modes = {"tree": [], "item_depth_2": ['{"item_depth":2}'], "ordered": ['{"ordered":true}']}
cmds = {"xmltodict": [os.environ.get("PYTHON", "python3"), peer]}
for name, args in modes.items():
    cmds[name] = [f"{b}/convert_file", *args]
    if before:
        cmds[f"{name} (before)"] = [f"{before}/convert_file", *args]
cmds["quick_xml_raw"] = [f"{b}/raw_read"]
cmds = {k: v for k, v in cmds.items() if k not in skip}

samples = {k: [] for k in cmds}
devnull = os.open(os.devnull, os.O_WRONLY)
for _ in range(rounds):
    for name, argv in cmds.items():
        fd = os.open(inp, os.O_RDONLY)
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.dup2(fd, 0)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            os.execvp(argv[0], argv)
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        os.close(fd)
        if status != 0:
            sys.exit(f"{name} failed with status {status}")
        samples[name].append((wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_utime * 1000, ru.ru_stime * 1000))

size = os.path.getsize(inp) / 1e6
med = {k: [statistics.median(s[i] for s in v) for i in range(4)] for k, v in samples.items()}
print(f"input {size:.1f} MB, {rounds} rounds, load average {open('/proc/loadavg').read().split()[0]}\n")
print("| input | command | median wall | MB/s (wall) | vs xmltodict (wall) | CPU user+sys | vs xmltodict (CPU) |")
print("|---|---|---:|---:|---:|---:|---:|")
peer_med = med.get("xmltodict")
for name, (wall, cpu, _, _) in med.items():
    rw = f"{peer_med[0] / wall:.1f}x" if peer_med else "-"
    rc = f"{peer_med[1] / cpu:.1f}x" if peer_med else "-"
    print(f"| {size:.1f} MB | {name} | {wall:.0f} ms | {size / wall * 1000:.0f} | {rw} | {cpu:.0f} ms | {rc} |")
print()
for name, (_, cpu, user, system) in med.items():
    print(f"{name}: user {user:.1f} ms, sys {system:.1f} ms (medians)")
