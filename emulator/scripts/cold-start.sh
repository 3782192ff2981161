#!/usr/bin/env bash
# Cold start of each function binary under the emulator's Runtime API: the time from process
# start to its first `GET /2018-06-01/runtime/invocation/next`, as the emulator logs it
# (`cold_start_ms`), median of RUNS fresh processes; plus the binary's size.
#
# Usage (from the repository root):
#   cargo build --release -p object-lambda-emulator -p passthrough -p pii-redactor -p xml-to-json -p image-transform
#   emulator/scripts/cold-start.sh target/release [RUNS]      # or target/lambda (cargo lambda)
set -euo pipefail
dir=${1:?usage: cold-start.sh FUNCTIONS_DIR [RUNS]}
runs=${2:-7}
emu=${EMULATOR:-$dir/object-lambda-emulator}
[ -x "$emu" ] || emu=target/release/object-lambda-emulator
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))

printf '%-16s %12s %14s %s\n' function size_bytes cold_start_ms "samples (ms)"
for name in passthrough pii-redactor xml-to-json image-transform; do
  if [ -f "$dir/$name/bootstrap" ]; then bin="$dir/$name/bootstrap"
  elif [ -f "$dir/$name" ]; then bin="$dir/$name"
  else printf '%-16s %12s\n' "$name" "(no binary)"; continue; fi
  cat > "$work/template.yaml" <<YAML
Resources:
  Store: {Type: AWS::S3::Bucket}
  Ap:
    Type: AWS::S3::AccessPoint
    Properties: {Bucket: !Ref Store, Name: store-ap}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/$name, Timeout: 30}
  Olap:
    Type: AWS::S3ObjectLambda::AccessPoint
    Properties:
      Name: cold-start
      ObjectLambdaConfiguration:
        SupportingAccessPoint: !GetAtt Ap.Arn
        TransformationConfigurations:
          - Actions: [GetObject]
            ContentTransformation: {AwsLambda: {FunctionArn: !GetAtt Fn.Arn, FunctionPayload: "{}"}}
YAML
  samples=()
  for _ in $(seq "$runs"); do
    rm -rf "$work/data" "$work/log"
    NO_COLOR=1 RUST_LOG=warn,object_lambda_emulator::process=info \
      AWS_ACCESS_KEY_ID=emulator AWS_SECRET_ACCESS_KEY=emulator-secret-key \
      "$emu" --template "$work/template.yaml" --functions-dir "$dir" \
      --listen "127.0.0.1:$port" --data-dir "$work/data" >/dev/null 2>"$work/log" &
    pid=$!
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port/" && break
      sleep 0.05
    done
    curl -s -o /dev/null --aws-sigv4 aws:amz:us-east-1:s3 --user emulator:emulator-secret-key \
      -H x-amz-content-sha256:UNSIGNED-PAYLOAD "http://127.0.0.1:$port/cold-start/report.csv" || true
    ms=
    for _ in $(seq 100); do   # logged once the function has returned
      ms=$(sed 's/\x1b\[[0-9;]*m//g' "$work/log" | grep -o 'cold_start_ms=[0-9.]*' | head -1 | cut -d= -f2 || true)
      [ -n "$ms" ] && break
      sleep 0.05
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    samples+=("${ms:-nan}")
  done
  median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-16s %12s %14.1f %s\n' "$name" "$(stat -c %s "$bin")" "$median" "$(printf '%.1f ' "${samples[@]}")"
  port=$((port + 1))
done
