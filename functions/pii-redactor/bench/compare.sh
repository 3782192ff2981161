#!/usr/bin/env bash
# Side-by-side: pii-redactor (examples/redact_file, streaming, one thread) vs the naive Python
# `re` baseline (shared/bench/redact_regex_baseline.py) vs ripgrep searching our candidate
# patterns (`rg -j1 --count-matches -f`, i.e. the raw engine with no validation and no output).
#
# Two corpus classes from examples/gen_corpus: `dense` (the default generator: a PII value or
# look-alike every ~57 bytes, the worst case for match-then-validate) and `typical`
# (`--typical`: the same documents padded with PII-free text of their kind, one planted PII
# value per KiB).
#
# Usage: functions/pii-redactor/bench/compare.sh [WORKDIR]
#   RUNS=5         hyperfine runs per command (median reported)
#   CLASSES="dense typical"   corpus classes to run
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

classes=${CLASSES:-dense typical}
file() { # class size_mb -> corpus file name
    if [ "$1" = dense ]; then echo "corpus-$2.txt"; else echo "$1-$2.txt"; fi
}
for class in $classes; do
    for mb in 5 200; do
        f=$work/$(file "$class" "$mb")
        [ -s "$f" ] || "$gen" "--$class" "$mb" 1 > "$f"
    done
done
"$red" --patterns > "$work/patterns.txt"
cd "$work"

echo "== machine"
{ uname -srm; nproc; grep -m1 'model name' /proc/cpuinfo || true; uptime; } | tee machine.txt

bench() { # name file commands...
    local name=$1; shift
    hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$name.json" "$@"
}

for class in $classes; do
    c5=$(file "$class" 5); c200=$(file "$class" 200)
    echo "== $class, 5 MiB"
    bench "$class-5mb" \
        -n python "python3 $baseline < $c5 > /dev/null" \
        -n pii-redactor "$red $c5 > /dev/null" \
        -n rg "rg -j1 --no-unicode --count-matches -f patterns.txt $c5 > /dev/null"

    echo "== $class, 200 MiB"
    cmds=(-n pii-redactor "$red $c200 > /dev/null"
          -n rg "rg -j1 --no-unicode --count-matches -f patterns.txt $c200 > /dev/null")
    if [ "${PY_LARGE:-0}" = 1 ]; then
        cmds+=(-n python "python3 $baseline < $c200 > /dev/null")
    fi
    RUNS_SAVE=$runs; runs=$(( runs < 3 ? runs : 3 )); bench "$class-200mb" "${cmds[@]}"; runs=$RUNS_SAVE

    echo "== $class, peak RSS, 200 MiB"
    rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }
    echo "pii-redactor $(rss "$red" "$c200") KB" | tee "$class-rss.txt"
    echo "rg           $(rss rg -j1 --no-unicode --count-matches -f patterns.txt "$c200") KB" | tee -a "$class-rss.txt"
    if [ "${PY_LARGE:-0}" = 1 ]; then
        echo "python       $(/usr/bin/time -v python3 "$baseline" < "$c200" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}') KB" | tee -a "$class-rss.txt"
    fi
done

echo "== summary (MB = 10^6 bytes; cpu = mean user+sys, robust on a shared machine)"
python3 - "$work" $classes <<'PY'
import json, os, sys
work, classes = sys.argv[1], sys.argv[2:]
for cls in classes:
    for mb in (5, 200):
        name = f"{cls}-{mb}mb"
        file = f"corpus-{mb}.txt" if cls == "dense" else f"{cls}-{mb}.txt"
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
