#!/usr/bin/env bash
# Re-make demo/chaos/: a history of real chaos-orchestrator runs against
# tools/hotel-api/server.py, as a CI pipeline would have produced them over
# eight days, plus a runs.tsv holding a made-up CI context per run and the
# "Chaos experiment history" section of demo/README.md.
#
#   tools/make-chaos-history.sh          (about 3.5 minutes; one run at a time)
#
# Two experiments, RUNS runs each, alternating (pms-01, network-01, pms-02, ...):
#   pms-NN.json      tools/chaos-orchestrator/experiments/pms-failure-recovery.json
#                    (family pms, MTTR target 90 s), shortened to a 5 s fault and
#                    a 3 s recovery_s so that a run stays under 15 s
#   network-NN.json  tools/chaos-orchestrator/experiments/network-latency.json
#                    (family network, MTTR target 120 s), as defined
# From pms run SLOW_FROM on, the server is started with --recovery-extra-s
# EXTRA_RECOVERY_S: it needs that much longer to come back after the PMS fault
# is cleared, so the MTTR of the PMS experiment rises while its availability
# does not change. The network runs use the same server settings throughout.
#
# Needs python3 and curl. The server listens on 127.0.0.1:$PORT (18090) and is
# stopped by its PID after every run.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-8}
SLOW_FROM=${SLOW_FROM:-6}
EXTRA_RECOVERY_S=${EXTRA_RECOVERY_S:-4}
PORT=${PORT:-18090}
BASE_URL="http://127.0.0.1:$PORT"
OUT=demo/chaos
README=demo/README.md
EXPERIMENTS=tools/chaos-orchestrator/experiments
WORK=$(mktemp -d)
SERVER_PID=
# the CI target's settings (same as tools/make-fixtures.sh)
BASE_FLAGS=(--latency default=5 --latency pms=25 --latency reservations=40 --jitter 0.2)
PMS_OVERRIDES='{"fault_duration_s": 5, "recovery_s": 3}'
NETWORK_OVERRIDES='{}'
FIRST_DAY=2026-11-10

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

# experiment NAME FILE OVERRIDES: the experiment definition with OVERRIDES applied
experiment() {
  python3 - "$2" "$3" >"$WORK/$1.json" <<'EOF'
import json, sys
exp = json.load(open(sys.argv[1]))
exp.update(json.loads(sys.argv[2]))
print(json.dumps(exp, indent=2))
EOF
}
experiment pms "$EXPERIMENTS/pms-failure-recovery.json" "$PMS_OVERRIDES"
experiment network "$EXPERIMENTS/network-latency.json" "$NETWORK_OVERRIDES"

rm -rf "$OUT"
mkdir -p "$OUT"
printf 'file\tcommit\tbuild\tstarted_at\n' >"$OUT/runs.tsv"
: >"$WORK/details.tsv"

n=0
for i in $(seq 1 "$RUNS"); do
  day=$(date -u -d "$FIRST_DAY +$((i - 1)) days" +%Y-%m-%d)
  for kind in pms network; do
    n=$((n + 1))
    file=$(printf '%s-%02d.json' "$kind" "$i")
    seed=$((2000 + n))
    extra=0
    [ "$kind" = pms ] && [ "$i" -ge "$SLOW_FROM" ] && extra=$EXTRA_RECOVERY_S
    minute=$([ "$kind" = pms ] && echo 00 || echo 30)

    python3 tools/hotel-api/server.py --port "$PORT" --pid-file "$WORK/server.pid" --seed "$seed" \
      "${BASE_FLAGS[@]}" --recovery-extra-s "$extra" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    up=
    for _ in $(seq 50); do
      curl -sf "$BASE_URL/health/live" >/dev/null 2>&1 && { up=1; break; }
      sleep 0.1
    done
    [ -n "$up" ] || { echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }

    set +e
    python3 tools/chaos-orchestrator/run.py "$WORK/$kind.json" --base-url "$BASE_URL" \
      --out "$OUT/$file" 2>"$WORK/run.log"
    rc=$?
    set -e
    stop_server
    [ -s "$OUT/$file" ] || { echo "$file: no result (exit $rc)" >&2; cat "$WORK/run.log" >&2; exit 1; }

    # made-up CI context: one pms run at 12:00Z and one network run at 12:30Z a day
    commit=$(printf 'chaos-commit-%d' "$n" | sha1sum | cut -c1-40)
    build=$((2000 + n))
    printf '%s\t%s\t%s\t%s\n' "$file" "$commit" "$build" "${day}T12:$minute:00Z" >>"$OUT/runs.tsv"
    printf '%s\t%s\t%s\t%s\n' "$file" "$seed" "$extra" "$rc" >>"$WORK/details.tsv"
    echo "$file seed=$seed recovery-extra-s=$extra exit=$rc"
  done
done

# check the results and write the README section
python3 - "$OUT" "$WORK/details.tsv" "$README" "$SLOW_FROM" "$EXTRA_RECOVERY_S" "$RUNS" <<'EOF'
import csv, json, re, sys
out, details, readme, slow_from, extra, runs = sys.argv[1:7]
rows = list(csv.DictReader(open(out + "/runs.tsv"), delimiter="\t"))
more = {r[0]: r[1:] for r in csv.reader(open(details), delimiter="\t")}
table = ["| file | started_at | build | server seed | extra recovery (s) | MTTR (s) | availability (%) | error rate (%) | probes (failed) | outcome |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for r in rows:
    doc = json.load(open(out + "/" + r["file"]))
    if doc.get("format") != "perfdb-chaos-result" or doc.get("version") != 1:
        sys.exit("%s: not a perfdb-chaos-result v1 file" % r["file"])
    m = doc["metrics"]
    seed, x, rc = more[r["file"]]
    table.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s |" % (
        r["file"], r["started_at"], r["build"], seed, x, m["mttr_s"], m["availability_pct"],
        m["error_rate_pct"], m["requests_total"], m["requests_failed"], doc["outcome"]))
last = "%02d" % int(runs)
section = """## Chaos experiment history

`chaos/` holds {runs} runs each of two chaos experiments, made with the real orchestrator
(tools/chaos-orchestrator/run.py, `perfdb-chaos-result` v1) against the hotel-booking API stand-in,
one PMS run at 12:00Z and one network run at 12:30Z a day from 2026-11-10 on:

- `pms-01.json` … `pms-{last}.json`: *PMS struggling* (`pms-failure-recovery`, family `pms`,
  EXCEPTION on `/api/v1/pms/availability`, 2 % errors and 400 ms latency, MTTR target 90 s),
  shortened to a 5 s fault with `recovery_s` 3.
- `network-01.json` … `network-{last}.json`: *400 ms network latency* (`network-latency-400ms`,
  family `network`, LATENCY on every group, target `/api/v1/reservations`, MTTR target 120 s),
  as defined in tools/chaos-orchestrator/experiments/network-latency.json.

`runs.tsv` gives each file a made-up CI context (commit = sha1 of `chaos-commit-N`, build 2001+,
start time) to ingest it with; the `started_at` inside each JSON is the real time of the run.

**The PMS experiment's MTTR regresses from pms-{slow:02d}.json on**: from there the server runs with
`--recovery-extra-s {extra}`, so it needs {extra} s more to come back after the PMS fault is cleared (MTTR
about 3 s before, about {after} s after), while availability and error rate stay where they were.
The network experiment stays stable. Each run has its own server seed (2000 + N), so run-to-run
noise is real; the PMS fault fails 2 % of calls at random, so a run now and then sees one failed
probe and misses the 95 % availability target.

{table}

Re-made by `tools/make-chaos-history.sh` (about 3.5 minutes; the numbers change a little each
time), which also rewrites this section. `tools/make-demo-history.sh` rewrites the whole README,
so run the chaos script after it.
""".format(runs=runs, last=last, slow=int(slow_from), extra=extra,
           after=round(3 + float(extra)), table="\n".join(table))
text = open(readme).read()
text = re.sub(r"\n## Chaos experiment history\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip("\n")
open(readme, "w").write(text + "\n\n" + section)
print("\n".join(table))
EOF
echo "done: $OUT, $README"
