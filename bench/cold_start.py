#!/usr/bin/env python3
"""Cold start without the emulator: process start -> first Runtime API `next`, side by side with
a floor (curl sending the same GET, i.e. what starting any process and making one HTTP request
costs on this machine), interleaved, median of N rounds. Also prints each binary's size.

A minimal Runtime API answers here: `next` is held open until the process is killed, so only the
time to the first `next` is measured (the emulator's `emulator/scripts/cold-start.sh` measures
the same interval through the real emulator; this script needs no emulator build).

Usage (repository root, after `cargo build --release -p passthrough ...`):
  python3 bench/cold_start.py [ROUNDS] [BINARY ...]
  default: 21 rounds of target/release/{passthrough,pii-redactor,xml-to-json,image-transform}
           (those that exist)
"""
import http.server
import os
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 21
binaries = sys.argv[2:] or [
    p for p in (os.path.join(ROOT, "target/release", n)
                for n in ("passthrough", "pii-redactor", "xml-to-json", "image-transform"))
    if os.path.exists(p)
]

first_next = threading.Event()
arrived = [0.0]


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.endswith("/runtime/invocation/next"):
            arrived[0] = time.perf_counter()
            first_next.set()
            time.sleep(3600)  # hold the long poll; the process is killed meanwhile

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
           AWS_LAMBDA_FUNCTION_NAME="cold-start", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
           AWS_LAMBDA_FUNCTION_VERSION="$LATEST", AWS_REGION="us-east-1",
           AWS_ACCESS_KEY_ID="cold", AWS_SECRET_ACCESS_KEY="start", RUST_LOG="warn")
curl = ["curl", "-s", "-o", "/dev/null", "--max-time", "5",
        f"http://127.0.0.1:{port}/2018-06-01/runtime/invocation/next"]


def once(cmd):
    first_next.clear()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    ok = first_next.wait(10)
    proc.kill()
    proc.wait()
    return (arrived[0] - start) * 1000 if ok else float("nan")


names = ["curl (floor)"] + [os.path.basename(b) for b in binaries]
cmds = [curl] + [[b] for b in binaries]
samples = {n: [] for n in names}
for i in range(rounds + 2):  # two warm-up rounds
    for name, cmd in zip(names, cmds):
        ms = once(cmd)
        if i >= 2:
            samples[name].append(ms)
load = os.getloadavg()
print(f"# {rounds} interleaved rounds, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
      f"{os.cpu_count()} cores")
print(f"{'command':<16} {'size_bytes':>11} {'median_ms':>10} {'min_ms':>8} {'max_ms':>8}")
for name, cmd in zip(names, cmds):
    s = samples[name]
    size = os.path.getsize(cmd[0]) if os.path.exists(cmd[0]) else 0
    print(f"{name:<16} {size:>11} {statistics.median(s):>10.2f} {min(s):>8.2f} {max(s):>8.2f}")
server.shutdown()
