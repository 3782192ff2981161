#!/usr/bin/env python3
"""The emulator as a file server: GET and PUT of one object, side by side with the yardsticks.

By hand, not in CI. Needs the release emulator and boto3 (for presigned URLs):

    cargo build --release -p object-lambda-emulator
    pip install boto3
    python3 emulator/bench/serve.py [--target-dir target] [--size-mb 100] [--runs 11]

Interleaved rounds, medians; every transfer is `curl` of a presigned URL so the client costs the
same on every side:
- GET straight from the emulator vs `python3 -m http.server` serving the same bytes from a file
  (target: the emulator >= 0.8x its throughput);
- GET through the `passthrough` Object Lambda Access Point (in-process function) vs the direct
  GET (target: <= 1.2x the direct time);
- PutObject vs `cp` of the file on the same disk (target: >= 0.5x cp's throughput).
Also prints the emulator's peak RSS (VmHWM) before and after, which must stay flat.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

AK, SK = "emulator", "emulator-secret-key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what):
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start on {port}")


def curl_s(args):
    out = subprocess.run(
        ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{time_total}", *args],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(out)


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-dir", default="target")
    ap.add_argument("--profile", default="release")
    ap.add_argument("--size-mb", type=int, default=100)
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    emulator = os.path.abspath(os.path.join(args.target_dir, args.profile, "object-lambda-emulator"))
    if not os.path.exists(emulator):
        sys.exit(f"{emulator} not built: cargo build --release -p object-lambda-emulator")
    size = args.size_mb * 1024 * 1024
    # Everything on one disk: the emulator's data, the served file and cp's source and target.
    work = tempfile.mkdtemp(dir=os.path.abspath(args.target_dir))
    procs = []
    try:
        src = os.path.join(work, "www", "object.bin")
        os.makedirs(os.path.dirname(src))
        with open(src, "wb") as f:
            f.write(os.urandom(size))
        eport, hport = free_port(), free_port()
        emu = subprocess.Popen(
            [emulator, "--listen", f"127.0.0.1:{eport}", "--data-dir", os.path.join(work, "data")],
            env=dict(os.environ, RUST_LOG="warn"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        procs.append(emu)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "http.server", "-b", "127.0.0.1", str(hport)],
            cwd=os.path.dirname(src), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        wait_port(eport, "emulator")
        wait_port(hport, "http.server")
        s3 = boto3.client(
            "s3", endpoint_url=f"http://127.0.0.1:{eport}", aws_access_key_id=AK,
            aws_secret_access_key=SK, region_name="us-east-1",
            config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "demo", "Key": "bench.bin"}, ExpiresIn=3600)
        get_url = s3.generate_presigned_url("get_object", Params={"Bucket": "demo", "Key": "bench.bin"}, ExpiresIn=3600)
        olap_url = s3.generate_presigned_url("get_object", Params={"Bucket": "passthrough", "Key": "bench.bin"}, ExpiresIn=3600)
        file_url = f"http://127.0.0.1:{hport}/object.bin"
        put = ["-X", "PUT", "-T", src, put_url]
        curl_s(put)
        rss_before = peak_rss_mib(emu.pid)
        for u in (get_url, olap_url, file_url):  # warm: page cache, connections, first invocation
            curl_s([u])
        cp_target = os.path.join(work, "copy.bin")
        t = {k: [] for k in ("get", "olap", "file", "put", "cp")}
        for _ in range(args.runs):
            t["get"].append(curl_s([get_url]))
            t["file"].append(curl_s([file_url]))
            t["olap"].append(curl_s([olap_url]))
            t["put"].append(curl_s(put))
            t["cp"].append(timed(["cp", src, cp_target]))
            os.remove(cp_target)
        rss_after = peak_rss_mib(emu.pid)
        m = {k: statistics.median(v) for k, v in t.items()}
        mb = size / 1e6
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} CPUs, load {load:.1f}; {args.size_mb} MiB object; {args.runs} interleaved rounds; medians")
        print("| what | ours | yardstick | ratio | target |")
        print("|---|---|---|---|---|")
        print(f"| GET direct vs `python3 -m http.server` | {m['get'] * 1000:.0f} ms ({mb / m['get']:.0f} MB/s) | {m['file'] * 1000:.0f} ms ({mb / m['file']:.0f} MB/s) | {m['file'] / m['get']:.2f}× its throughput | ≥ 0.8× |")
        print(f"| GET through `passthrough` vs GET direct | {m['olap'] * 1000:.0f} ms | {m['get'] * 1000:.0f} ms | {m['olap'] / m['get']:.2f}× the time | ≤ 1.2× |")
        print(f"| PutObject vs `cp` | {m['put'] * 1000:.0f} ms ({mb / m['put']:.0f} MB/s) | {m['cp'] * 1000:.0f} ms ({mb / m['cp']:.0f} MB/s) | {m['cp'] / m['put']:.2f}× its throughput | ≥ 0.5× |")
        print(f"emulator peak RSS: {rss_before:.1f} MiB after the first PUT, {rss_after:.1f} MiB after all rounds")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
