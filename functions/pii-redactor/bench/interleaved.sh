#!/usr/bin/env bash
# Interleaved wall-clock runs: Python baseline, pii-redactor (examples/redact_file) and rg with
# our candidate patterns, one after the other in each round, so a busy minute on the shared
# machine slows all three alike. Prints the median of each (ms) and ours vs Python / rg.
#
# Usage: bench/interleaved.sh FILE [ROUNDS]      (run by hand; not CI)
#   RED=path   redact_file binary (default: target/release/examples/redact_file)
#   PY=0       skip the Python baseline (it takes ~80 s on 200 MB)
#   BASELINE=path  redact_regex_baseline.py (default: ../shared/bench next to the repo)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
file=$1
rounds=${2:-5}
red=${RED:-$repo/target/release/examples/redact_file}
baseline=${BASELINE:-$repo/../shared/bench/redact_regex_baseline.py}
pats=$(mktemp)
trap 'rm -f "$pats"' EXIT
"$red" --patterns > "$pats"

ms() { # command... -> wall milliseconds
    local t0 t1
    t0=$(date +%s%N)
    "$@" > /dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
py=() ours=() rgs=()
for _ in $(seq "$rounds"); do
    if [ "${PY:-1}" = 1 ]; then py+=("$(ms sh -c "python3 '$baseline' < '$file'")"); fi
    ours+=("$(ms "$red" "$file")")
    rgs+=("$(ms rg -j1 --no-unicode --count-matches -f "$pats" "$file")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
size=$(stat -c %s "$file")
o=$(median "${ours[@]}"); r=$(median "${rgs[@]}")
echo "file $file ($size bytes), $rounds rounds, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pii-redactor median ${o} ms ($(awk "BEGIN{printf \"%.1f\", $size/1e6/($o/1000)}") MB/s) runs: ${ours[*]}"
echo "rg           median ${r} ms ($(awk "BEGIN{printf \"%.1f\", $size/1e6/($r/1000)}") MB/s) runs: ${rgs[*]}"
if [ ${#py[@]} -gt 0 ]; then
    p=$(median "${py[@]}")
    echo "python       median ${p} ms ($(awk "BEGIN{printf \"%.2f\", $size/1e6/($p/1000)}") MB/s) runs: ${py[*]}"
    echo "ours vs python: $(awk "BEGIN{printf \"%.1f\", $p/$o}")x; ours vs rg: $(awk "BEGIN{printf \"%.2f\", $r/$o}")x"
fi
