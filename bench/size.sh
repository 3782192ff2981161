#!/usr/bin/env bash
# Deployed size of each function, as `sam build` makes it: `cargo lambda build --release`
# (our release profile plus cargo-lambda's `panic = "abort"`, stripped), for x86_64 and arm64,
# side by side with the 8 MB target that issue 13 sets for `passthrough` (the runtime alone;
# the other functions add their engines). By hand, not in CI.
#
# Needs (README, "Deploy"): pip install cargo-lambda==1.9.2 ziglang==0.17.1 (arm64 is
# cross-compiled with zig) and `rustup target add aarch64-unknown-linux-gnu`.
#
# Usage (repo root): bench/size.sh [FUNCTION...]          (default: all four)
#   TARGET_DIR=dir   cargo's target directory (default: target/size, so that the size builds
#                    do not replace the binaries of `cargo build --release`)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
functions=("$@")
[ ${#functions[@]} -eq 0 ] && functions=(passthrough pii-redactor xml-to-json image-transform)
target_dir=${TARGET_DIR:-$repo/target/size}
limit=$((8 * 1000 * 1000))
args=()
for f in "${functions[@]}"; do args+=(-p "$f"); done

# x86_64 with the host's compiler, arm64 with zig; one lambda directory each.
CARGO_TARGET_DIR=$target_dir cargo lambda build --release --compiler cargo \
    --lambda-dir "$target_dir/lambda-x86_64" "${args[@]}" >&2
CARGO_TARGET_DIR=$target_dir cargo lambda build --release --arm64 \
    --lambda-dir "$target_dir/lambda-arm64" "${args[@]}" >&2

# The target is for stripped binaries: cargo-lambda strips what it links with zig (arm64) but
# not what the host's compiler links (x86_64), so that one is stripped here first.
stripped() { # FILE -> bytes of FILE without symbols
    if file "$1" | grep -q 'not stripped'; then
        strip -o "$1.stripped" "$1" && stat -c %s "$1.stripped"
    else
        stat -c %s "$1"
    fi
}
echo "| function | x86_64 bootstrap, stripped | arm64 bootstrap, stripped | target |"
echo "|---|---:|---:|---|"
for f in "${functions[@]}"; do
    x=$(stripped "$target_dir/lambda-x86_64/$f/bootstrap")
    a=$(stripped "$target_dir/lambda-arm64/$f/bootstrap")
    verdict=-
    if [ "$f" = passthrough ]; then
        verdict=$([ "$x" -le $limit ] && [ "$a" -le $limit ] && echo "≤ 8 MB: met" || echo "≤ 8 MB: not met")
    fi
    printf '| %s | %s B | %s B | %s |\n' "$f" "$x" "$a" "$verdict"
done
