#!/usr/bin/env python3
"""Passthrough through object-lambda-gateway in front of moto vs GET straight from moto.

By hand, not in CI. Needs release binaries and moto's server:

    cargo build --release -p object-lambda-emulator --no-default-features --features cli --bin object-lambda-gateway
    cargo build --release -p passthrough
    pip install 'moto[server]' boto3
    python3 emulator/bench/gateway.py [--target-dir target] [--runs 15]

Every GET is `curl -o /dev/null` of a presigned URL (the client costs the same on both sides),
interleaved: direct, through one gateway, through replica A whose function sends its WGOR to
replica B (every WGOR forwarded). Prints medians in milliseconds.
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

AK, SK = "AKIDGATEWAY", "gateway-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what):
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start on {port}")


def gateway(bin_dir, moto_url, port, workdir, public_url=None):
    public = f'public_url = "{public_url}"\n' if public_url else ""
    config = f"""listen = "127.0.0.1:{port}"
{public}route_secret = "bench"
[backend]
endpoint = "{moto_url}"
region = "us-east-1"
force_path_style = true
[[credentials]]
access_key_id = "{AK}"
secret_access_key = "{SK}"
[[access_points]]
name = "data-ap"
bucket = "data"
[[object_lambda_access_points]]
name = "pass"
supporting_access_point = "data-ap"
function = "passthrough"
payload = '{{}}'
[functions.passthrough]
binary = "{os.path.join(bin_dir, 'passthrough')}"
"""
    path = os.path.join(workdir, f"gateway-{port}.toml")
    with open(path, "w") as f:
        f.write(config)
    env = dict(os.environ, AWS_ACCESS_KEY_ID="moto", AWS_SECRET_ACCESS_KEY="moto", RUST_LOG="warn")
    p = subprocess.Popen(
        [os.path.join(bin_dir, "object-lambda-gateway"), "--config", path],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_port(port, "gateway")
    return p


def client(endpoint, ak, sk):
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
        region_name="us-east-1", config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def curl_ms(url):
    out = subprocess.run(
        ["curl", "-s", "-f", "-o", "/dev/null", "-w", "%{time_total}", url],
        check=True, capture_output=True, text=True,
    ).stdout
    return float(out) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-dir", default="target")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--profile", default="release")
    args = ap.parse_args()
    bin_dir = os.path.abspath(os.path.join(args.target_dir, args.profile))
    moto_bin = os.environ.get("MOTO_SERVER") or shutil.which("moto_server")
    if not moto_bin:
        sys.exit("moto_server not found (pip install 'moto[server]')")
    work = tempfile.mkdtemp()
    procs = []
    try:
        mport = free_port()
        procs.append(subprocess.Popen([moto_bin, "-H", "127.0.0.1", "-p", str(mport)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_port(mport, "moto")
        moto_url = f"http://127.0.0.1:{mport}"
        m = client(moto_url, "moto", "moto")
        m.create_bucket(Bucket="data")
        sizes = {"1 KB": 1024, "100 MB": 100 * 1024 * 1024}
        for name, n in sizes.items():
            m.put_object(Bucket="data", Key=name.replace(" ", ""), Body=os.urandom(n))
        gport, bport, aport = free_port(), free_port(), free_port()
        procs.append(gateway(bin_dir, moto_url, gport, work))
        procs.append(gateway(bin_dir, moto_url, bport, work))
        procs.append(gateway(bin_dir, moto_url, aport, work, public_url=f"http://127.0.0.1:{bport}"))
        one = client(f"http://127.0.0.1:{gport}", AK, SK)
        fwd = client(f"http://127.0.0.1:{aport}", AK, SK)
        print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; runs {args.runs}, curl, medians")
        print("| object | direct from moto | through the gateway | ratio / extra | through replica A, WGOR forwarded by B | ratio / extra |")
        print("|---|---|---|---|---|---|")
        for name in sizes:
            key = name.replace(" ", "")
            urls = {
                "direct": m.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": key}),
                "gateway": one.generate_presigned_url("get_object", Params={"Bucket": "pass", "Key": key}),
                "forwarded": fwd.generate_presigned_url("get_object", Params={"Bucket": "pass", "Key": key}),
            }
            for u in urls.values():  # warm: processes started, connections made
                curl_ms(u)
            times = {k: [] for k in urls}
            for _ in range(args.runs):
                for k, u in urls.items():
                    times[k].append(curl_ms(u))
            med = {k: statistics.median(v) for k, v in times.items()}
            d, g, f = med["direct"], med["gateway"], med["forwarded"]
            print(f"| {name} | {d:.1f} ms | {g:.1f} ms | {g / d:.2f}× / +{g - d:.1f} ms | {f:.1f} ms | {f / d:.2f}× / +{f - d:.1f} ms |")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=15)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
