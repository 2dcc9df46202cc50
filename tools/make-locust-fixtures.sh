#!/usr/bin/env bash
# Re-make the Locust fixtures under Tests/Fixtures/locust/ with real Locust runs
# (tools/locust/locustfile.py) against tools/hotel-api/server.py on 127.0.0.1.
#
#   tools/make-locust-fixtures.sh [baseline] [slow-endpoint] [errors] [full-history]
#                                 (default: all)
#
# Needs python3, curl and Locust 2.47 (pip install locust). LOCUST (default: locust)
# is the Locust command; LOCUST_PYTHON (default: python3) a Python that imports locust, for
# tools/locust/figures.py (Locust's own figures of each report, locust-figures.json). Every case is one headless run of USERS users for RUN_TIME
# (5 users, 15 s) against a fresh server; the whole set takes about a minute.
# Each case folder holds every output of its one run -- the JSON report
# (--json-file, Locust adds the .json) and the CSV files of --csv -- and a
# COMMANDS.md with the exact command, Locust version, server flags and exit code.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18085}
BASE_URL="http://127.0.0.1:$PORT"
LOCUST=${LOCUST:-locust}
LOCUST_PYTHON=${LOCUST_PYTHON:-python3}
USERS=${USERS:-5}
RUN_TIME=${RUN_TIME:-15s}
FIX=Tests/Fixtures/locust
WORK=$(mktemp -d)
SERVER_PID=
# same settings as the CI target: 5 ms default, PMS 25 ms, reservations 40 ms, +/-20 % jitter
BASE_FLAGS=(--latency default=5 --latency pms=25 --latency reservations=40 --jitter 0.2)
# "locust 2.47.0 from /path/to/site-packages/locust (Python 3.11.7)" without the path
LOCUST_VERSION=$("$LOCUST" --version | head -1 | sed -E 's/ from [^ ]+//')
TODAY=$(date -u +%Y-%m-%d)

cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server FLAGS...: a fresh server for each case (clean counters, RNG)
start_server() {
  SERVER_CMD="python3 tools/hotel-api/server.py --port $PORT $*"
  python3 tools/hotel-api/server.py --port "$PORT" --pid-file "$WORK/server.pid" "$@" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do
    curl -sf "$BASE_URL/health/live" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start" >&2; cat "$WORK/server.log" >&2; return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

quote() { printf '%q ' "$@" | sed 's/ $//'; }

if curl -s -o /dev/null "$BASE_URL/health/live" 2>/dev/null; then
  echo "something already listens on $BASE_URL; set PORT=" >&2
  exit 1
fi

# locust_case NAME SEED "SERVER FLAGS" "EXTRA LOCUST FLAGS" WHY
locust_case() {
  local name=$1 seed=$2 sflags=$3 lflags=$4 why=$5
  local dir="$FIX/$name" rc cmd
  rm -rf "$dir"; mkdir -p "$dir"
  # shellcheck disable=SC2206
  local args=(locust -f tools/locust/locustfile.py --headless -u "$USERS" -r "$USERS" -t "$RUN_TIME"
              --host "$BASE_URL" --only-summary --json-file "$dir/report" --csv "$dir/report" $lflags)
  # shellcheck disable=SC2086
  start_server --seed "$seed" "${BASE_FLAGS[@]}" $sflags
  cmd=$(quote "${args[@]}")
  echo "== locust $name: $cmd"
  set +e
  "$LOCUST" "${args[@]:1}" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  set -e
  stop_server
  echo "   exit code $rc"
  [ -s "$dir/report.json" ] || { echo "$name: no report.json" >&2; cat "$WORK/$name.err" >&2; exit 1; }

  {
    printf '# Locust, case `%s`\n\n%s\n\n' "$name" "$why"
    printf 'Made by `tools/make-locust-fixtures.sh %s` on %s, from the repository root, against\n' "$name" "$TODAY"
    printf '`tools/hotel-api/server.py` on 127.0.0.1:%s, started fresh for this case. Every file here\n' "$PORT"
    printf 'is an output of this one run: `--json-file …/report` writes `report.json` (Locust adds the\n'
    printf '`.json` itself) and `--csv …/report` the `report_*.csv` files.\n\n'
    printf -- '- command: `%s`\n' "$cmd"
    printf -- '- locust: %s\n' "$LOCUST_VERSION"
    printf -- '- server: `%s`\n' "$SERVER_CMD"
    printf -- '- locust exit code: **%s**\n' "$rc"
    printf -- '- locust said: `%s`\n' "$(grep -o 'Shutting down.*' "$WORK/$name.err" | head -1)"
    python3 - "$dir" <<'EOF'
import csv, json, os, sys
d = sys.argv[1]
entries = json.load(open(os.path.join(d, "report.json")))
req = sum(e["num_requests"] for e in entries)
fail = sum(e["num_failures"] for e in entries)
rows = list(csv.DictReader(open(os.path.join(d, "report_stats.csv"), newline="")))
agg = [r for r in rows if r["Name"] == "Aggregated"][0]
print("- report.json: %d entries, %d requests, %d failures (no Aggregated entry)" % (len(entries), req, fail))
print("- report_stats.csv: %d rows + Aggregated, Aggregated %s requests, %s failures%s" % (
    len(rows) - 1, agg["Request Count"], agg["Failure Count"],
    "" if int(agg["Request Count"]) == req else " (written about a second before the end: it trails the JSON)"))
failures = list(csv.DictReader(open(os.path.join(d, "report_failures.csv"), newline="")))
if failures:
    print("- report_failures.csv: " + "; ".join(
        "%s %s `%s` x%s" % (f["Method"], f["Name"], f["Error"], f["Occurrences"]) for f in failures))
EOF
    "$LOCUST_PYTHON" tools/locust/figures.py "$dir/report.json" >"$dir/locust-figures.json"
    printf -- '- locust-figures.json: Locust'"'"'s own figures of `report.json` (every entry and the Aggregated row: counts, avg/min/max, median, percentiles, total_rps, fail_ratio), computed by Locust %s'"'"'s stats code with `python3 tools/locust/figures.py %s`\n' \
      "$("$LOCUST_PYTHON" -c 'import locust; print(locust.__version__)')" "$dir/report.json"
  } >"$dir/COMMANDS.md"
}

run_case() {
  case $1 in
    baseline)
      locust_case baseline 501 "" "" \
        "The CI target's settings; no failures." ;;
    slow-endpoint)
      locust_case slow-endpoint 502 "--latency reservations=120" "" \
        "\`/api/v1/reservations\` (GET and POST) answers in about 120 ms instead of 40 ms (3x slower); everything else as in \`baseline\`." ;;
    errors)
      locust_case errors 503 "--error-rate pms=0.2" "" \
        "The server fails 20 % of the PMS requests (\`/api/v1/pms/availability\`, \`/api/v1/pms/room-types\`) with 503; Locust counts them as failures, lists them in \`report_failures.csv\` and exits 1." ;;
    full-history)
      locust_case full-history 504 "" "--csv-full-history" \
        "As \`baseline\`, with \`--csv-full-history\`: \`report_stats_history.csv\` gets a row per request name every second, not only the Aggregated row, and the percentile columns of every row (the Aggregated row's too) then cover only about the last 10 s; without the flag the Aggregated row's are those of the whole run so far." ;;
    *) echo "unknown case $1" >&2; exit 2 ;;
  esac
}

CASES=("$@")
[ ${#CASES[@]} -eq 0 ] && CASES=(baseline slow-endpoint errors full-history)
for c in "${CASES[@]}"; do
  run_case "$c"
done
echo "done"
