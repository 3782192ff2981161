#!/usr/bin/env bash
# Side-by-side: pii-redactor (examples/redact_file, streaming, one thread) vs the naive Python
# `re` baseline (shared/bench/redact_regex_baseline.py) vs ripgrep searching our candidate
# patterns (`rg -j1 --count-matches -f`, i.e. the raw engine with no validation and no output).
#
# Usage: functions/pii-redactor/bench/compare.sh [WORKDIR]
#   RUNS=5         hyperfine runs per command (median reported)
#   PY_LARGE=1     also run the Python baseline on the 200 MB corpus (~1-2 min per run)
#   BASELINE=path  redact_regex_baseline.py (default: ../shared/bench next to the repo)
# Needs: cargo, python3, hyperfine, rg (Debian: ripgrep), /usr/bin/time (Debian: time).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=${1:-/tmp/pii-bench}
runs=${RUNS:-5}
target=${CARGO_TARGET_DIR:-/work/target-pii}
baseline=${BASELINE:-$repo/../shared/bench/redact_regex_baseline.py}
mkdir -p "$work"

(cd "$repo" && CARGO_TARGET_DIR=$target cargo build --quiet --release -p pii-redactor --no-default-features --examples)
gen=$target/release/examples/gen_corpus
red=$target/release/examples/redact_file

for mb in 5 200; do
    [ -s "$work/corpus-$mb.txt" ] || "$gen" "$mb" 1 > "$work/corpus-$mb.txt"
done
"$red" --patterns > "$work/patterns.txt"
cd "$work"

echo "== machine"
{ uname -srm; nproc; grep -m1 'model name' /proc/cpuinfo || true; uptime; } | tee machine.txt

bench() { # name file commands...
    local name=$1; shift
    hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$name.json" "$@"
}

echo "== 5 MiB"
bench 5mb \
    -n python "python3 $baseline < corpus-5.txt > /dev/null" \
    -n pii-redactor "$red corpus-5.txt > /dev/null" \
    -n rg "rg -j1 --no-unicode --count-matches -f patterns.txt corpus-5.txt > /dev/null"

echo "== 200 MiB"
cmds=(-n pii-redactor "$red corpus-200.txt > /dev/null"
      -n rg "rg -j1 --no-unicode --count-matches -f patterns.txt corpus-200.txt > /dev/null")
if [ "${PY_LARGE:-0}" = 1 ]; then
    cmds+=(-n python "python3 $baseline < corpus-200.txt > /dev/null")
fi
RUNS_SAVE=$runs; runs=$(( runs < 3 ? runs : 3 )); bench 200mb "${cmds[@]}"; runs=$RUNS_SAVE

echo "== peak RSS, 200 MiB"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
echo "pii-redactor $(rss "$red" corpus-200.txt) KB" | tee rss.txt
echo "rg           $(rss rg -j1 --no-unicode --count-matches -f patterns.txt corpus-200.txt) KB" | tee -a rss.txt
if [ "${PY_LARGE:-0}" = 1 ]; then
    echo "python       $(/usr/bin/time -v python3 "$baseline" < corpus-200.txt 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}') KB" | tee -a rss.txt
fi

echo "== summary (MB = 10^6 bytes; cpu = mean user+sys, robust on a shared machine)"
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
for name, file in (("5mb", "corpus-5.txt"), ("200mb", "corpus-200.txt")):
    size = os.path.getsize(os.path.join(work, file)) / 1e6
    res = {r["command"]: r for r in json.load(open(os.path.join(work, name + ".json")))["results"]}
    print(f"{name}: {size:.1f} MB")
    for cmd, r in res.items():
        cpu = r["user"] + r["system"]
        print(f"  {cmd:13s} median {r['median']:8.3f} s  {size / r['median']:8.1f} MB/s wall   cpu {cpu:8.3f} s  {size / cpu:8.1f} MB/s cpu")
    ours = res["pii-redactor"]
    for other in ("python", "rg"):
        if other in res:
            o = res[other]
            print(f"  pii-redactor vs {other}: {o['median'] / ours['median']:.1f}x wall, "
                  f"{(o['user'] + o['system']) / (ours['user'] + ours['system']):.1f}x cpu")
PY
