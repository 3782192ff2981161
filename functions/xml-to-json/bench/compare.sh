#!/usr/bin/env bash
# Side-by-side benchmark of xml-to-json against the xmltodict peer (whole process),
# plus quick-xml's raw event reading and peak RSS. Prints a Markdown summary.
#
#   functions/xml-to-json/bench/compare.sh [WORKDIR]
#
# Environment:
#   RUNS=10              hyperfine runs on the ~6 MB input (3 on the 200 MB one)
#   PEER_200=1           also time xmltodict on the 200 MB input (slow: ~1-2 min, ~3 GB RSS)
#   PYTHON=python3       interpreter with xmltodict==1.0.4 installed
#   XMLTODICT_CONVERT=…  path of xmltodict_convert.py (default: ../shared/bench/ next to the repo)
#   SKIP_BUILD=1         use already built examples in $CARGO_TARGET_DIR/release/examples
# Needs: hyperfine, /usr/bin/time (apt-get install -y hyperfine time).
set -euo pipefail

CRATE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$CRATE/../.." && pwd)
PEER=${XMLTODICT_CONVERT:-$REPO/../shared/bench/xmltodict_convert.py}
PY=${PYTHON:-python3}
RUNS=${RUNS:-10}
WORK=${1:-$(mktemp -d /tmp/xml-bench.XXXXXX)}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-xml}
BIN=$CARGO_TARGET_DIR/release/examples
mkdir -p "$WORK"

for tool in hyperfine /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y hyperfine time)" >&2; exit 1; }
done
[ -f "$PEER" ] || { echo "peer script not found: $PEER" >&2; exit 1; }
"$PY" -c 'import xmltodict' || { echo "pip install xmltodict==1.0.4" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
    (cd "$REPO" && cargo build --release -p xml-to-json --no-default-features --example convert_file --example raw_read --example gen_osm)
fi

SMALL=$WORK/osm-6mb.xml
BIG=$WORK/osm-200mb.xml
[ -f "$SMALL" ] || "$BIN/gen_osm" 6 > "$SMALL"
[ -f "$BIG" ] || "$BIN/gen_osm" 200 > "$BIG"

echo "== checking that outputs are equal on the 6 MB input" >&2
"$PY" "$PEER" < "$SMALL" > "$WORK/peer.json"
"$BIN/convert_file" < "$SMALL" > "$WORK/ours.json"
"$PY" - "$WORK/peer.json" "$WORK/ours.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
assert a == b, "outputs differ"
print("outputs are equal as JSON values", file=sys.stderr)
PYEOF

CONV=$BIN/convert_file
RAW=$BIN/raw_read
# convert_file, like the Lambda function, converts on two threads when there is a second
# core; "1 thread" rows force one.
ONE="XML_TO_JSON_THREADS=1"
echo "== timing (hyperfine)" >&2
hyperfine --style basic --warmup 2 --runs "$RUNS" --export-json "$WORK/small.json" \
    -n xmltodict "$PY $PEER < $SMALL > /dev/null" \
    -n tree "$CONV < $SMALL > /dev/null" \
    -n "tree, 1 thread" "$ONE $CONV < $SMALL > /dev/null" \
    -n item_depth_2 "$CONV '{\"item_depth\":2}' < $SMALL > /dev/null" \
    -n "item_depth_2, 1 thread" "$ONE $CONV '{\"item_depth\":2}' < $SMALL > /dev/null" \
    -n ordered "$CONV '{\"ordered\":true}' < $SMALL > /dev/null" \
    -n quick_xml_raw "$RAW < $SMALL 2> /dev/null" >&2
BIG_CMDS=(-n tree "$CONV < $BIG > /dev/null" -n "tree, 1 thread" "$ONE $CONV < $BIG > /dev/null"
          -n item_depth_2 "$CONV '{\"item_depth\":2}' < $BIG > /dev/null"
          -n "item_depth_2, 1 thread" "$ONE $CONV '{\"item_depth\":2}' < $BIG > /dev/null"
          -n quick_xml_raw "$RAW < $BIG 2> /dev/null")
if [ -n "${PEER_200:-}" ]; then
    hyperfine --style basic --runs 1 --export-json "$WORK/big-peer.json" \
        -n xmltodict "$PY $PEER < $BIG > /dev/null" >&2
fi
hyperfine --style basic --warmup 1 --runs 3 --export-json "$WORK/big.json" "${BIG_CMDS[@]}" >&2

echo "== peak RSS (/usr/bin/time -v)" >&2
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
RSS_PEER_SMALL=$(rss sh -c "$PY $PEER < $SMALL")
RSS_TREE_SMALL=$(rss sh -c "$CONV < $SMALL")
RSS_TREE_BIG=$(rss sh -c "$CONV < $BIG")
RSS_ITEM_BIG=$(rss sh -c "$CONV '{\"item_depth\":2}' < $BIG")

"$PY" - "$WORK" "$SMALL" "$BIG" "$RSS_PEER_SMALL" "$RSS_TREE_SMALL" "$RSS_TREE_BIG" "$RSS_ITEM_BIG" <<'PYEOF'
import json, os, platform, sys
work, small, big = sys.argv[1:4]
rss_peer_small, rss_tree_small, rss_tree_big, rss_item_big = (int(x) / 1024 for x in sys.argv[4:8])
def medians(path):
    """command -> (median wall, mean user+system CPU) in seconds."""
    if not os.path.exists(path):
        return {}
    return {r["command"]: (r["median"], r["user"] + r["system"]) for r in json.load(open(path))["results"]}
s = medians(f"{work}/small.json")
b = medians(f"{work}/big.json")
b.update(medians(f"{work}/big-peer.json"))
ss, bs = os.path.getsize(small) / 1e6, os.path.getsize(big) / 1e6
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}\n")
load = open("/proc/loadavg").read().split()[0]
print(f"Load average (1 min) at the end: {load}\n")
print("| input | command | median wall | MB/s (wall) | vs xmltodict (wall) | CPU user+sys | vs xmltodict (CPU) |")
print("|---|---|---:|---:|---:|---:|---:|")
for label, size, res in ((f"{ss:.1f} MB", ss, s), (f"{bs:.0f} MB", bs, b)):
    peer = res.get("xmltodict")
    for name, (t, cpu) in res.items():
        ratio = f"{peer[0] / t:.1f}x" if peer else "-"
        cratio = f"{peer[1] / cpu:.1f}x" if peer else "-"
        print(f"| {label} | {name} | {t * 1000:.0f} ms | {size / t:.0f} | {ratio} | {cpu * 1000:.0f} ms | {cratio} |")
for label, res in (("6 MB", s), ("200 MB", b)):
    if "tree" in res and "quick_xml_raw" in res:
        print(f"\ntree throughput / raw quick-xml throughput ({label}): wall {res['quick_xml_raw'][0] / res['tree'][0]:.2f},"
              f" CPU {res['quick_xml_raw'][1] / res['tree'][1]:.2f}")
print(f"\n| peak RSS | MiB | x input |")
print(f"|---|---:|---:|")
print(f"| xmltodict, {ss:.1f} MB | {rss_peer_small:.0f} | {rss_peer_small / (ss / 1.048576):.1f} |")
print(f"| tree mode, {ss:.1f} MB | {rss_tree_small:.0f} | {rss_tree_small / (ss / 1.048576):.1f} |")
print(f"| tree mode, {bs:.0f} MB | {rss_tree_big:.0f} | {rss_tree_big / (bs / 1.048576):.2f} |")
print(f"| item_depth=2, {bs:.0f} MB | {rss_item_big:.1f} | {rss_item_big / (bs / 1.048576):.3f} |")
PYEOF
