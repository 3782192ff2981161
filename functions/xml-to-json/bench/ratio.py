#!/usr/bin/env python3
"""Interleaved whole-process wall times of any commands against xmltodict: medians, ratios.

    bench/ratio.py ROUNDS INPUT.xml NAME=COMMAND [NAME=COMMAND ...]

NAME must not contain `=`. COMMAND is split on spaces and may start with VAR=value settings, e.g.
`"binary, 1 thread=XML_TO_JSON_THREADS=1 target/release/xml-to-json"`. Each round runs the
peer (xmltodict, as in compare.sh; PEER=0 leaves it out) and then every command once, in
turn, stdin from INPUT and stdout to /dev/null, so load changes on a shared machine hit all
alike. The commands' order turns by one each round: on a VM that hands freed memory back to
its host (virtio-balloon free page reporting, about 2 s after it is freed), the command that
runs right after xmltodict finds the memory xmltodict freed still backed, which on 200 MB
made the first command of every round up to a fifth faster than the others. PERF=1 adds a second run of each command under `perf stat` for task-clock (CPU time
of all threads) and page faults (wall time is from the plain run: perf's start-up would be
in it). PYTHON and XMLTODICT_CONVERT as in compare.sh.
"""
import os
import statistics
import subprocess
import sys
import time

rounds, inp = int(sys.argv[1]), sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
peer = os.environ.get("XMLTODICT_CONVERT", os.path.join(here, "../../../../shared/bench/xmltodict_convert.py"))
perf = os.environ.get("PERF") == "1"


def parse(spec):
    name, _, command = spec.partition("=")
    words = command.split(" ")
    env = dict(os.environ)
    while words and "=" in words[0] and not words[0].startswith("/"):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if not words or not words[0]:
        sys.exit(f"no command in {spec!r} (a NAME must not contain '=')")
    return name, (words, env)


cmds = {}
if os.environ.get("PEER", "1") != "0":
    cmds["xmltodict"] = ([os.environ.get("PYTHON", "python3"), peer], dict(os.environ))
cmds.update(parse(s) for s in sys.argv[3:])

samples = {k: [] for k in cmds}
load = []
peer_first = [k for k in cmds if k == "xmltodict"]
others = [k for k in cmds if k != "xmltodict"]
for r in range(rounds):
    load.append(float(open("/proc/loadavg").read().split()[0]))
    turn = r % len(others) if others else 0
    for name in peer_first + others[turn:] + others[:turn]:
        argv, env = cmds[name]
        with open(inp, "rb") as f:
            t0 = time.perf_counter()
            subprocess.run(argv, stdin=f, stdout=subprocess.DEVNULL, env=env, check=True)
            wall = (time.perf_counter() - t0) * 1000
        got = {"task-clock": float("nan"), "page-faults": float("nan")}
        if perf and name != "xmltodict":
            with open(inp, "rb") as f:
                r = subprocess.run(["perf", "stat", "-x", ",", "-e", "task-clock,page-faults", "--", *argv],
                                   stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   env=env, check=True)
            for line in r.stderr.splitlines():
                parts = line.split(",")
                if len(parts) > 3 and parts[2] in got:
                    got[parts[2]] = float(parts[0])
        samples[name].append((wall, got["task-clock"], got["page-faults"]))

size = os.path.getsize(inp) / 1e6
print(f"input {size:.1f} MB, {rounds} rounds, load average (1 min) median {statistics.median(load):.1f}"
      f" (min {min(load):.1f}, max {max(load):.1f})\n")
print("| command | median wall | vs xmltodict | task-clock | page faults |")
print("|---|---:|---:|---:|---:|")
med = {k: [statistics.median(x[i] for x in v) for i in range(3)] for k, v in samples.items()}
peer_wall = med["xmltodict"][0] if "xmltodict" in med else None
for name, (wall, cpu, faults) in med.items():
    ratio = f"{peer_wall / wall:.1f}×" if peer_wall else "–"
    cpu_s = "–" if cpu != cpu else f"{cpu:.0f} ms"
    faults_s = "–" if faults != faults else f"{faults:.0f}"
    wall_s = f"{wall:,.0f}".replace(",", " ")
    print(f"| {name} | {wall_s} ms | {ratio} | {cpu_s} | {faults_s} |")
