#!/usr/bin/env bash
# Interleaved wall-clock runs: Python baseline, pii-redactor (examples/redact_file) and rg with
# our candidate patterns, one after the other in each round, so a busy minute on the shared
# machine slows all three alike. Prints the median wall and CPU (task-clock, from `perf stat`)
# time of each, in ms (wall: perf's elapsed time, without perf's own start-up), and ours vs
# Python / rg. On a busy machine compare the CPU figures.
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

run() { # command... -> "wall_ms cpu_ms" (perf's own elapsed time: without perf's start-up)
    perf stat -e task-clock "$@" 2>&1 >/dev/null |
        awk '/task-clock/ {c = $1} /seconds time elapsed/ {w = $1 * 1000} END {printf "%.1f %.1f", w, c}'
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A wall cpu
names=(pii-redactor rg)
[ "${PY:-1}" = 1 ] && names+=(python)
for _ in $(seq "$rounds"); do
    for n in "${names[@]}"; do
        case $n in
            python) r=$(run sh -c "python3 '$baseline' < '$file'") ;;
            pii-redactor) r=$(run "$red" "$file") ;;
            rg) r=$(run rg -j1 --no-unicode --count-matches -f "$pats" "$file") ;;
        esac
        wall[$n]="${wall[$n]:-} ${r% *}"
        cpu[$n]="${cpu[$n]:-} ${r#* }"
    done
done
size=$(stat -c %s "$file")
echo "file $file ($size bytes), $rounds rounds, load after: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A mc
for n in "${names[@]}"; do
    # shellcheck disable=SC2086
    mw=$(median ${wall[$n]}); mc[$n]=$(median ${cpu[$n]})
    printf '%-13s wall %6s ms  cpu %6s ms (%s MB/s cpu)  wall runs:%s  cpu runs:%s\n' "$n" "$mw" \
        "${mc[$n]}" "$(awk "BEGIN{printf \"%.1f\", $size/1e6/(${mc[$n]}/1000)}")" "${wall[$n]}" "${cpu[$n]}"
done
echo "wall: ours vs rg $(awk "BEGIN{printf \"%.2f\", $(median ${wall[rg]})/$(median ${wall[pii-redactor]})}")x"
echo "cpu: ours vs rg $(awk "BEGIN{printf \"%.2f\", ${mc[rg]}/${mc[pii-redactor]}}")x"
if [ -n "${mc[python]:-}" ]; then
    # shellcheck disable=SC2086
    echo "wall: ours vs python $(awk "BEGIN{printf \"%.1f\", $(median ${wall[python]})/$(median ${wall[pii-redactor]})}")x"
    echo "cpu: ours vs python $(awk "BEGIN{printf \"%.1f\", ${mc[python]}/${mc[pii-redactor]}}")x"
fi
