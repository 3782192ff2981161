#!/usr/bin/env python3
"""CPU time per 100 MiB GET of every process on the path: moto, curl, the gateway, the function.

By hand, not in CI (same set-up as gateway.py, whose helpers it uses):

    MOTO_SERVER=$(which moto_server) python3 emulator/bench/gateway_cpu.py target/release

Prints, for GETs straight from moto and through the gateway (passthrough as a local binary),
the median wall time of 7 curl GETs and each process's CPU time per GET (utime + stime from
/proc; curl's from RUSAGE_CHILDREN). The sum against 2 x the direct wall time says whether a
ratio can be reached on a machine with that many cores at all.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gateway as g  # noqa: E402

GETS = 7


def cpu_ms(pid):
    """utime + stime of one process, in ms."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def descendants(pid):
    """`pid` and every process below it (the gateway and the functions it started)."""
    out = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    for child in children.split():
        out += descendants(int(child))
    return out


def children_ms():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r.ru_utime + r.ru_stime) * 1000


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else "target/release"
    mport = g.free_port()
    moto = subprocess.Popen([os.environ.get("MOTO_SERVER", "moto_server"), "-H", "127.0.0.1", "-p", str(mport)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    g.wait_port(mport, "moto")
    murl = f"http://127.0.0.1:{mport}"
    m = g.client(murl, "moto", "moto")
    m.create_bucket(Bucket="data")
    m.put_object(Bucket="data", Key="100MB", Body=os.urandom(100 << 20))
    direct = m.generate_presigned_url("get_object", Params={"Bucket": "data", "Key": "100MB"})
    port = g.free_port()
    gw = g.gateway(os.path.abspath(target), murl, port, tempfile.mkdtemp())
    try:
        g.wait_port(port, "gateway")
        c = g.client(f"http://127.0.0.1:{port}", g.AK, g.SK)
        through = c.generate_presigned_url("get_object", Params={"Bucket": "pass", "Key": "100MB"})
        g.curl_ms(through)
        g.curl_ms(direct)
        for _ in range(3):
            for name, url in (("direct", direct), ("gateway", through)):
                pids = descendants(gw.pid)
                before = {p: cpu_ms(p) for p in pids}
                m0, k0 = cpu_ms(moto.pid), children_ms()
                walls = [g.curl_ms(url) for _ in range(GETS)]
                after = {p: cpu_ms(p) for p in pids}
                m1, k1 = cpu_ms(moto.pid), children_ms()
                gateway = (after[gw.pid] - before[gw.pid]) / GETS
                function = sum(after[p] - before[p] for p in pids if p != gw.pid) / GETS
                print(f"{name}: wall {statistics.median(walls):.0f} ms; CPU per GET: moto {(m1 - m0) / GETS:.0f}, "
                      f"curl {(k1 - k0) / GETS:.0f}, gateway {gateway:.0f}, function {function:.0f} ms", flush=True)
    finally:
        gw.terminate()
        moto.terminate()


if __name__ == "__main__":
    main()
