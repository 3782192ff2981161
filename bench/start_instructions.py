#!/usr/bin/env python3
"""Instructions a function binary runs before its first Runtime API `next` (callgrind), and the
functions that take them: a load-independent view of cold start on a noisy machine.

A minimal Runtime API holds `next` open; once it arrives the process gets SIGTERM and callgrind
writes its profile. Threads still working at that moment (a client built in the background) are
counted up to that point.

Usage (repository root): python3 bench/start_instructions.py BINARY [TOP]
"""
import http.server
import os
import subprocess
import sys
import tempfile
import threading

binary, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25
arrived = threading.Event()


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802
        if self.path.endswith("/runtime/invocation/next"):
            arrived.set()
            threading.Event().wait(600)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RuntimeApi)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
out = os.path.join(tempfile.mkdtemp(), "callgrind.out")
env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
           AWS_LAMBDA_FUNCTION_NAME="cold-start", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
           AWS_LAMBDA_FUNCTION_VERSION="$LATEST", AWS_REGION="us-east-1",
           AWS_ACCESS_KEY_ID="cold", AWS_SECRET_ACCESS_KEY="start", RUST_LOG="warn")
proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary],
                        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL, start_new_session=True)
if not arrived.wait(120):
    proc.kill()
    sys.exit("no `next` within 120 s")
proc.terminate()
proc.wait()
report = subprocess.run(["callgrind_annotate", "--inclusive=yes", out], capture_output=True,
                        text=True).stdout.splitlines()
total = next(line for line in report if "PROGRAM TOTALS" in line)
print(f"{os.path.basename(binary)}: {total.split()[0]} instructions before the first `next`")
rows = [line for line in report if ":" in line and "(" in line and "PROGRAM" not in line]
for line in rows[:top]:
    print("  " + line[:170])
