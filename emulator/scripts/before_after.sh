#!/usr/bin/env bash
# The before/after picture of the root README: the sample photo as stored in bucket `demo`, and
# the same key read through the zero-config emulator's `image-transform` Object Lambda Access
# Point (the payload of template.yaml: resized to a width, watermarked with the caller's user
# name and the date). Uses the emulator binary and the aws CLI, as a user would.
#
# Usage (from the repository root):
#   emulator/scripts/before_after.sh [OUT_DIR]        # default docs/img
#   EMULATOR=target/debug/object-lambda-emulator emulator/scripts/before_after.sh   # no build
# Needs: cargo, the aws CLI. Writes OUT_DIR/photo-original.jpg and OUT_DIR/photo-image-transform.jpg.
set -euo pipefail
out=${1:-docs/img}
mkdir -p "$out"
# A debug build is enough: the picture does not depend on speed. EMULATOR=path skips the build.
if [ -z "${EMULATOR:-}" ]; then
  cargo build -p object-lambda-emulator --bin object-lambda-emulator
fi
emu=${EMULATOR:-${CARGO_TARGET_DIR:-target}/debug/object-lambda-emulator}
# The emulator's default credential, set for both the emulator and the CLI; the user name it
# stands for (`emulator-user`) is what the watermark shows.
export AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator-secret-key AWS_DEFAULT_REGION=us-east-1
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
"$emu" --listen "127.0.0.1:$port" --data-dir "$work/data" > "$work/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$work/log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/log" >&2; exit 1; }
  sleep 0.1
done
grep -q "listening on" "$work/log" || { echo "the emulator did not start" >&2; cat "$work/log" >&2; exit 1; }

s3api() { aws --endpoint-url "http://127.0.0.1:$port" s3api "$@" > /dev/null; }
s3api get-object --bucket demo --key photo.jpg "$out/photo-original.jpg"
s3api get-object --bucket image-transform --key photo.jpg "$out/photo-image-transform.jpg"
ls -l "$out/photo-original.jpg" "$out/photo-image-transform.jpg"
