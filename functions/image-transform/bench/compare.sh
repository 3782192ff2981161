#!/usr/bin/env bash
# Side-by-side benchmark: image-transform vs the peers (../shared/bench/vips_transform.py and
# pillow_transform.py) on a 12 MP JPEG -> fit 1024x1024 + text watermark, JPEG q85, ONE core
# (taskset -c 0). Reports whole-process median wall time (hyperfine), peak RSS (/usr/bin/time -v)
# and the peers' in-process median (main() timed inside one Python process, 7 runs).
#
# Usage (from the repo root):  functions/image-transform/bench/compare.sh
# Env: PYTHON   python with pillow==13.0.0 pyvips==3.2.0 pyvips-binary==8.18.7 (default python3);
#               the pyvips-binary wheel bundles libvips, no system package needed:
#                 python3 -m venv /tmp/img-peers-venv
#                 /tmp/img-peers-venv/bin/pip install pillow==13.0.0 pyvips==3.2.0 pyvips-binary==8.18.7
#      BENCH    folder of the peer scripts (default ../shared/bench)
#      OUT_DIR  scratch folder (default /tmp/image-transform-bench)
#      RUNS     hyperfine runs per command (default 15)
#      OURS     our command reading stdin -> stdout; default: the release binary in local mode,
#               built if missing (or set OURS=example to time examples/transform_file instead)
set -euo pipefail

ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
PYTHON=${PYTHON:-python3}
BENCH=${BENCH:-$ROOT/../shared/bench}
OUT_DIR=${OUT_DIR:-/tmp/image-transform-bench}
RUNS=${RUNS:-15}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TEXT=alice@example.com
"$PYTHON" -c "import pyvips, PIL" 2>/dev/null || {
  echo "$PYTHON cannot import pyvips and PIL: set PYTHON (see the header of this script)" >&2; exit 1; }
mkdir -p "$OUT_DIR"
IN=$OUT_DIR/photo-12mp.jpg
[ -f "$IN" ] || "$PYTHON" "$BENCH/gen_12mp_jpeg.py" "$IN"

PAYLOAD='{"width":1024,"height":1024,"quality":85,"watermark":{"text":"{user_name}@example.com","opacity":0.8}}'
if [ "${OURS:-}" = example ]; then
  (cd "$ROOT" && cargo build --release -q -p image-transform --example transform_file)
  OURS_CMD="$TARGET/release/examples/transform_file $IN $OUT_DIR/out-ours.jpg --width 1024 --quality 85 --text $TEXT"
else
  [ -x "$TARGET/release/image-transform" ] || (cd "$ROOT" && cargo build --release -q -p image-transform --bin image-transform)
  OURS_CMD="$TARGET/release/image-transform --payload '$PAYLOAD' --principal arn:aws:iam::123456789012:user/alice --content-type image/jpeg < $IN > $OUT_DIR/out-ours.jpg"
fi
VIPS_CMD="$PYTHON $BENCH/vips_transform.py $IN $OUT_DIR/out-vips.jpg --width 1024 --text $TEXT"
PILLOW_CMD="$PYTHON $BENCH/pillow_transform.py $IN $OUT_DIR/out-pillow.jpg --width 1024 --text $TEXT"

names=(ours vips vips-1thread pillow)
cmds=("taskset -c 0 $OURS_CMD" "taskset -c 0 $VIPS_CMD" "VIPS_CONCURRENCY=1 taskset -c 0 $VIPS_CMD" "taskset -c 0 $PILLOW_CMD")

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# input: $IN ($(stat -c %s "$IN") bytes)"
hyperfine --style basic --warmup 2 --runs "$RUNS" --export-json "$OUT_DIR/hyperfine.json" \
  -n "${names[0]}" "${cmds[0]}" -n "${names[1]}" "${cmds[1]}" \
  -n "${names[2]}" "${cmds[2]}" -n "${names[3]}" "${cmds[3]}" > "$OUT_DIR/hyperfine.txt"

peak_rss_mib() { # median of 3 runs of "Maximum resident set size"
  for _ in 1 2 3; do
    /usr/bin/time -v bash -c "$1" 2>&1 >/dev/null | awk -F: '/Maximum resident/ {print $2}'
  done | sort -n | sed -n 2p | awk '{printf "%.1f", $1/1024}'
}

in_process_ms() { # peer main() timed in-process, median of 7 after one warm-up
  taskset -c 0 env ${2:-} "$PYTHON" - "$1" "$IN" "$OUT_DIR/out-inproc.jpg" <<'PY'
import importlib.util, statistics, sys, time
path, src, dst = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("peer", path)
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)
sys.argv = [path, src, dst, "--width", "1024", "--text", "alice@example.com"]
peer.main()
times = []
for _ in range(7):
    t = time.perf_counter(); peer.main(); times.append(time.perf_counter() - t)
print(f"{statistics.median(times) * 1000:.0f}")
PY
}

median_of() {
  "$PYTHON" -c "import json,sys; r=[x for x in json.load(open(sys.argv[1]))['results'] if x['command']==sys.argv[2]][0]; print(f\"{r['median']:.3f}\")" "$OUT_DIR/hyperfine.json" "$1"
}

vips_median=$(median_of vips)
printf '\n| command | whole-process median (s) | vs vips | peak RSS (MiB) | in-process median (ms) |\n|---|---:|---:|---:|---:|\n'
for i in "${!names[@]}"; do
  n=${names[$i]}
  m=$(median_of "$n")
  ratio=$("$PYTHON" -c "print(f'{$m/$vips_median:.2f}x')")
  rss=$(peak_rss_mib "${cmds[$i]}")
  case $n in
    vips) inproc=$(in_process_ms "$BENCH/vips_transform.py") ;;
    vips-1thread) inproc=$(in_process_ms "$BENCH/vips_transform.py" VIPS_CONCURRENCY=1) ;;
    pillow) inproc=$(in_process_ms "$BENCH/pillow_transform.py") ;;
    *) inproc="see cargo bench" ;;
  esac
  printf '| %s | %s | %s | %s | %s |\n' "$n" "$m" "$ratio" "$rss" "$inproc"
done
echo
echo "commands:"
for i in "${!names[@]}"; do echo "  ${names[$i]}: ${cmds[$i]}"; done
