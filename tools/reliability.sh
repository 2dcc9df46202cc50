#!/usr/bin/env bash
# `make reliability`: the longer reliability proofs (docs/reliability.md). Prints its figures;
# exits non-zero when a promise is broken. Usage: tools/reliability.sh PERFDB_BINARY
set -uo pipefail
perfdb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'umount "$work/small" 2>/dev/null; rm -rf "$work"' EXIT
failures=0
checks=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
count_runs() { "$perfdb" query --db "$1" "SELECT count(*) AS n FROM run" --format csv | tail -1; }

# 1. Concurrency: 16 processes ingest 20 distinct files each while readers run.
db=$work/concurrent.sqlite
"$perfdb" ingest --db "$db" --quiet --scenario load --commit seed --branch main \
    "$root/Tests/Fixtures/k6-summary-export/load.json"
for writer in $(seq 16); do
    mkdir -p "$work/w$writer"
    for file in $(seq 20); do
        { cat "$root/Tests/Fixtures/k6-summary-export/smoke.json"; printf '%*s' "$((writer * 100 + file))" ''; } \
            > "$work/w$writer/run-$file.json"
    done
done
touch "$work/readers-on"
reader_failures=0
(
    while [ -f "$work/readers-on" ]; do
        for command in "runs list --limit 5" "trend --series http_req_duration --scenario load --last 5" "check latest --no-store"; do
            # shellcheck disable=SC2086
            "$perfdb" $command --db "$db" > /dev/null 2> "$work/reader.err"
            status=$?
            if [ $status -ge 64 ]; then echo "reader: $command exited $status: $(cat "$work/reader.err")" >> "$work/reader-failures"; fi
        done
    done
) &
readers=$!
started=$(date +%s.%N)
pids=()
for writer in $(seq 16); do
    "$perfdb" ingest --db "$db" --quiet --scenario smoke --commit "w$writer" --branch main "$work/w$writer"/*.json \
        > "$work/w$writer.out" 2> "$work/w$writer.err" &
    pids+=($!)
done
writer_errors=0
for pid in "${pids[@]}"; do wait "$pid" || writer_errors=$((writer_errors + 1)); done
elapsed=$(python3 -c "print(round($(date +%s.%N) - $started, 2))")
rm -f "$work/readers-on"
wait "$readers"
[ -f "$work/reader-failures" ] && reader_failures=$(wc -l < "$work/reader-failures")
runs=$(count_runs "$db")
duplicates=$("$perfdb" query --db "$db" "SELECT count(*) - count(DISTINCT content_digest) AS d FROM run" --format csv | tail -1)
checks=$((checks + 1))
echo "concurrency: 16 writers x 20 files in ${elapsed}s: $((runs - 1)) runs stored (320 expected), $writer_errors writer errors, $duplicates duplicates, $reader_failures reader failures"
[ "$runs" = 321 ] && [ "$writer_errors" = 0 ] && [ "$duplicates" = 0 ] && [ "$reader_failures" = 0 ] \
    || { fail "concurrency"; cat "$work"/w*.err "$work/reader-failures" 2>/dev/null | head -5; }

# 2. kill -9 at 20 random moments of a large raw-stream ingest.
big=$work/big.ndjson
for _ in $(seq 60); do gzip -dc "$root/Tests/Fixtures/k6-ndjson/load.ndjson.gz"; done > "$big"
db=$work/killed.sqlite
"$perfdb" ingest --db "$db" --quiet "$root/Tests/Fixtures/k6-summary-export/smoke.json"
start=$(date +%s.%N)
"$perfdb" ingest --db "$work/timing.sqlite" --quiet "$big"
full=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
partial=0
for attempt in $(seq 20); do
    before=$(count_runs "$db")
    delay=$(python3 -c "import random; print(round(random.uniform(0.01, $full), 3))")
    "$perfdb" ingest --db "$db" --quiet --replace "$big" & pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    "$perfdb" doctor --db "$db" > /dev/null 2> "$work/doctor.err" || { fail "doctor after kill $attempt: $(cat "$work/doctor.err")"; }
    after=$(count_runs "$db")
    orphans=$("$perfdb" query --db "$db" "SELECT count(*) AS o FROM measurement WHERE run_id NOT IN (SELECT id FROM run)" --format csv | tail -1)
    if [ "$orphans" != 0 ] || [ $((after - before)) -gt 1 ]; then partial=$((partial + 1)); fi
done
"$perfdb" ingest --db "$db" --quiet --replace "$big" || fail "ingest after the kills"
checks=$((checks + 1))
echo "kill -9: 20 kills within a ${full}s ingest of $(du -m "$big" | cut -f1) MB: $partial partial runs, doctor clean after each, next ingest succeeded"
[ "$partial" = 0 ] || fail "partial runs after kill -9"

# 3. Disk full and a read-only database, on a small filesystem made here.
mkdir -p "$work/small"
if mount -t tmpfs -o size=512k tmpfs "$work/small" 2>/dev/null; then
    db=$work/small/full.sqlite
    "$perfdb" ingest --db "$db" --quiet "$root/Tests/Fixtures/k6-summary-export/smoke.json"
    before=$(count_runs "$db")
    "$perfdb" ingest --db "$db" --quiet "$big" 2> "$work/full.err"
    status=$?
    after=$(count_runs "$db")
    "$perfdb" doctor --db "$db" > /dev/null 2>&1 && healthy=yes || healthy=no
    checks=$((checks + 1))
    echo "disk full: exit $status ($(head -1 "$work/full.err")), runs $before -> $after, doctor clean: $healthy"
    [ "$status" = 74 ] && [ "$before" = "$after" ] && [ "$healthy" = yes ] || fail "disk full"
    rm -f "$db"-wal "$db"-shm
    mount -o remount,ro "$work/small"
    "$perfdb" ingest --db "$db" --quiet "$root/Tests/Fixtures/k6-summary-export/load.json" 2> "$work/ro.err"
    status=$?
    "$perfdb" runs list --db "$db" > /dev/null 2>&1 && readable=yes || readable=no
    checks=$((checks + 1))
    echo "read-only filesystem: ingest exit $status ($(head -1 "$work/ro.err")); reading it: $readable (WAL needs a writable directory)"
    [ "$status" = 74 ] || fail "read-only database"
    umount "$work/small"
else
    echo "disk full / read-only: skipped (this environment cannot mount a tmpfs)"
fi

echo "reliability: $((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ] || exit 1
