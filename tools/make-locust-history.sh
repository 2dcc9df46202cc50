#!/usr/bin/env bash
# Re-make demo/locust/: 12 real Locust runs (tools/locust/locustfile.py, 5 users,
# 15 s each) against tools/hotel-api/server.py, with a latency regression on
# /api/v1/reservations from run 8 on, plus a runs.tsv holding a made-up CI context
# (commit, build, branch, time) per run and the "Locust history" section of
# demo/README.md.
#
#   tools/make-locust-history.sh          (about 3 minutes; one Locust at a time)
#
# Each run keeps its JSON report (run-NN.json, from --json-file) and its stats CSV
# (run-NN_stats.csv, from --csv; the other CSV files of the run are dropped).
# Needs python3, curl and Locust 2.47 (pip install locust); LOCUST (default: locust)
# is the Locust command. The server listens on 127.0.0.1:$PORT (18085), a fresh one
# with its own seed for every run, and is stopped by its PID after every run.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-12}
REGRESSION_FROM=${REGRESSION_FROM:-8}
PORT=${PORT:-18085}
BASE_URL="http://127.0.0.1:$PORT"
LOCUST=${LOCUST:-locust}
USERS=5
RUN_TIME=15s
OUT=demo/locust
README=demo/README.md
WORK=$(mktemp -d)
SERVER_PID=
# identical for every run; only the reservations latency changes at the regression
COMMON_FLAGS=(--latency default=5 --latency pms=25 --jitter 0.2)
GOOD_RESERVATIONS=40
SLOW_RESERVATIONS=70
FIRST_START=2026-11-12T11:00:00Z
LOCUST_VERSION=$("$LOCUST" --version | head -1 | cut -d' ' -f2)

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

if curl -s -o /dev/null "$BASE_URL/health/live" 2>/dev/null; then
  echo "something already listens on $BASE_URL; set PORT=" >&2
  exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
printf 'file\tcommit\tbuild\tbranch\tstarted_at\texit_code\n' >"$OUT/runs.tsv"
: >"$WORK/details.tsv"

for i in $(seq 1 "$RUNS"); do
  n=$(printf '%02d' "$i")
  file="run-$n.json"
  reservations=$GOOD_RESERVATIONS
  [ "$i" -ge "$REGRESSION_FROM" ] && reservations=$SLOW_RESERVATIONS
  seed=$((3000 + i))

  python3 tools/hotel-api/server.py --port "$PORT" --pid-file "$WORK/server.pid" --seed "$seed" \
    "${COMMON_FLAGS[@]}" --latency "reservations=$reservations" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  up=
  for _ in $(seq 50); do
    curl -sf "$BASE_URL/health/live" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.1
  done
  [ -n "$up" ] || { echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }

  set +e
  "$LOCUST" -f tools/locust/locustfile.py --headless -u "$USERS" -r "$USERS" -t "$RUN_TIME" \
    --host "$BASE_URL" --only-summary --json-file "$OUT/run-$n" --csv "$WORK/run-$n" \
    >"$WORK/locust.out" 2>"$WORK/locust.err"
  rc=$?
  set -e
  stop_server
  [ -s "$OUT/$file" ] || { echo "$file: no report (exit $rc)" >&2; cat "$WORK/locust.err" >&2; exit 1; }
  cp "$WORK/run-${n}_stats.csv" "$OUT/run-${n}_stats.csv"

  # made-up CI context: two runs a day, 11:00 and 23:00 UTC, from FIRST_START on
  commit=$(printf 'locust-commit-%d' "$i" | sha1sum | cut -c1-40)
  build=$((3000 + i))
  started_at=$(date -u -d "$FIRST_START +$(( (i - 1) * 12 )) hours" +%Y-%m-%dT%H:%M:%SZ)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$commit" "$build" main "$started_at" "$rc" >>"$OUT/runs.tsv"
  printf '%s\t%s\t%s\n' "$file" "$seed" "$reservations" >>"$WORK/details.tsv"
  echo "$file seed=$seed reservations=${reservations}ms exit=$rc"
done

# the README section: numbers from the JSON reports (exact) and the stats CSVs (bucketed)
python3 - "$OUT" "$WORK/details.tsv" "$README" "$REGRESSION_FROM" "$RUNS" \
  "$GOOD_RESERVATIONS" "$SLOW_RESERVATIONS" "$LOCUST_VERSION" "${COMMON_FLAGS[*]}" <<'EOF'
import csv, json, re, sys
out, details, readme, reg_from, runs, good, slow, version, common = sys.argv[1:10]
rows = list(csv.DictReader(open(out + "/runs.tsv"), delimiter="\t"))
more = {r[0]: r[1:] for r in csv.reader(open(details), delimiter="\t")}
table = ["| file | started_at | build | server seed | reservations base (ms) | mean reservations (ms) | p95 POST / GET reservations (ms) | p95 all (ms) | requests | exit |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    entries = json.load(open(out + "/" + r["file"]))
    res = [e for e in entries if e["name"] == "/api/v1/reservations"]
    mean = sum(e["total_response_time"] for e in res) / sum(e["num_requests"] for e in res)
    stats = {(s["Type"], s["Name"]): s for s in csv.DictReader(
        open(out + "/" + r["file"].replace(".json", "_stats.csv"), newline=""))}
    seed, base = more[r["file"]]
    table.append("| %s | %s | %s | %s | %s | %.1f | %s / %s | %s | %d | %s |" % (
        r["file"], r["started_at"], r["build"], seed, base, mean,
        stats[("POST", "/api/v1/reservations")]["95%"], stats[("GET", "/api/v1/reservations")]["95%"],
        stats[("", "Aggregated")]["95%"], sum(e["num_requests"] for e in entries), r["exit_code"]))
last = "%02d" % int(runs)
section = """## Locust history

`locust/` holds {runs} Locust runs (tools/locust/locustfile.py: 5 users, 15 s, every user going
through the same endpoints as the k6 script with half a second between rounds) against the
hotel-booking API stand-in, as a CI pipeline would have produced them over six days, two a day
at 11:00Z and 23:00Z from 2026-11-12 on (before the k6 history's last run, so `latest`
without a scenario is still the k6 run). For each run `run-01` … `run-{last}`, `run-NN.json` is
the real `--json-file` report and `run-NN_stats.csv` the real `--csv` stats file of the same run
(Locust {version}); `runs.tsv` gives each one a made-up CI context (commit = sha1 of
`locust-commit-N`, build 3001+, branch `main`, start time, Locust exit code) to ingest it with.

**The slowdown starts at run-{reg:02d}.json** (build {reg_build}): from there on the server answers
`/api/v1/reservations` (GET and POST) with a base latency of {slow} ms instead of {good} ms. Every
other setting is the same in all runs (`{common}`,
default 5 ms for health, WhatsApp and metrics); each run has its own server seed (3000 + run
number), so run-to-run noise is real.
The mean comes from the JSON report (exact times); the p95 columns from the stats CSV, where
Locust rounds times to whole milliseconds below 100 ms and to tens of milliseconds above. The
stats CSV is last written about a second before Locust stops, so its counts trail the JSON's a
little; the request counts below are the JSON's.

{table}

Re-made by `tools/make-locust-history.sh` (about three minutes; the numbers change a little each
time), which also rewrites this section. `tools/make-demo-history.sh` keeps it.
""".format(runs=runs, last=last, version=version, reg=int(reg_from), reg_build=3000 + int(reg_from),
           slow=slow, good=good, common=common, table="\n".join(table))
text = open(readme).read()
text = re.sub(r"\n## Locust history\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip("\n")
open(readme, "w").write(text + "\n\n" + section)
print("\n".join(table))
EOF
echo "done: $OUT, $README"
