#!/usr/bin/env python3
"""Interleaved whole-process comparison: ours, vips, ours, vips, ... on one core.

The vips script's time drifts a lot between runs on a shared VM, so back-to-back batches
(hyperfine) can put ours in a quiet minute and vips in a busy one. Alternating pairs see the same
conditions; the ratio of the medians is what the README quotes.

Also printed: the ratio of median CPU times (user + sys of the child, both pinned to the same
core). On a machine loaded by other work, wall time mostly measures how long each process waited
for the core; CPU time is what it would take on an idle core (both sides run on one core, so
vips's threads add up on it as they would in wall time).

Usage (repo root): functions/image-transform/bench/interleaved.py CORE PAIRS
Env: OURS     our binary (default target/release/image-transform)
     PYTHON   python with pyvips (default python3). libvips comes from the pyvips-binary wheel,
              so no system package is needed:
                python3 -m venv /tmp/img-peers-venv
                /tmp/img-peers-venv/bin/pip install pillow==13.0.0 pyvips==3.2.0 pyvips-binary==8.18.7
                PYTHON=/tmp/img-peers-venv/bin/python functions/image-transform/bench/interleaved.py 1 15
     BENCH    folder of the peer scripts (default ../shared/bench)
     INPUT    the 12 MP JPEG (default /tmp/image-transform-bench/photo-12mp.jpg)
"""
import os
import resource
import statistics
import subprocess
import sys
import time

core, pairs = sys.argv[1], int(sys.argv[2])
root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ours_bin = os.environ.get("OURS", os.path.join(root, "target/release/image-transform"))
python = os.environ.get("PYTHON", "python3")
bench = os.environ.get("BENCH", os.path.join(root, "..", "shared", "bench"))
src = os.environ.get("INPUT", "/tmp/image-transform-bench/photo-12mp.jpg")
out_dir = os.path.dirname(src)
payload = ('{"width":1024,"height":1024,"quality":85,'
           '"watermark":{"text":"{user_name}@example.com","opacity":0.8}}')
ours = ["taskset", "-c", core, ours_bin, "--payload", payload,
        "--principal", "arn:aws:iam::123456789012:user/alice", "--content-type", "image/jpeg"]
vips = ["taskset", "-c", core, python, os.path.join(bench, "vips_transform.py"), src,
        os.path.join(out_dir, "out-vips.jpg"), "--width", "1024", "--text", "alice@example.com"]

if subprocess.run([python, "-c", "import pyvips"], capture_output=True).returncode != 0:
    sys.exit(f"{python} cannot import pyvips: set PYTHON to a python with pyvips + pyvips-binary "
             "(see the header of this script)")

times = {"ours": [], "vips": []}
cpu = {"ours": [], "vips": []}
for i in range(pairs + 2):  # two warm-up pairs
    for name, cmd in (("ours", ours), ("vips", vips)):
        with open(src, "rb") as stdin, open(os.path.join(out_dir, "out-ours.jpg"), "wb") as stdout:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, check=True, stdin=stdin if name == "ours" else None,
                           stdout=stdout if name == "ours" else None)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if i >= 2:
            times[name].append(elapsed)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
o, v = statistics.median(times["ours"]), statistics.median(times["vips"])
co, cv = statistics.median(cpu["ours"]), statistics.median(cpu["vips"])
print(f"core {core}, {pairs} pairs, load {os.getloadavg()[0]:.2f}: wall ours {o * 1000:.1f} ms, "
      f"vips {v * 1000:.1f} ms, ratio {o / v:.3f}; CPU ours {co * 1000:.1f} ms, "
      f"vips {cv * 1000:.1f} ms, ratio {co / cv:.3f}")
