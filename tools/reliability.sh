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
        for command in "runs list --last 5" "trend --series http_req_duration --scenario load --last 5" "check latest --no-store"; do
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

# 3. Parallel CI jobs: 4 job files of 80 runs each (made concurrently) merged into a main file
#    while another job ingests into it, readers read it and backups are taken; merging again
#    adds nothing.
main=$work/main.sqlite
"$perfdb" ingest --db "$main" --quiet --scenario load --commit seed --branch main \
    "$root/Tests/Fixtures/k6-summary-export/load.json"
pids=()
for job in 1 2 3 4; do
    (for writer in $(seq $((job * 4 - 3)) $((job * 4))); do
        "$perfdb" ingest --db "$work/job$job.sqlite" --quiet --scenario smoke --commit "w$writer" \
            --branch main "$work/w$writer"/*.json || exit 1
    done) &
    pids+=($!)
done
job_errors=0
for pid in "${pids[@]}"; do wait "$pid" || job_errors=$((job_errors + 1)); done
for file in $(seq 10); do
    { cat "$root/Tests/Fixtures/k6-summary-export/load.json"; printf '%*s' "$file" ''; } > "$work/late-$file.json"
done
touch "$work/readers-on"
(
    while [ -f "$work/readers-on" ]; do
        "$perfdb" runs list --db "$main" --last 5 > /dev/null 2> "$work/reader.err" \
            || echo "reader: $(cat "$work/reader.err")" >> "$work/merge-reader-failures"
    done
) &
readers=$!
"$perfdb" ingest --db "$main" --quiet --scenario load --commit late --branch main "$work"/late-*.json \
    2> "$work/late.err" & late=$!
(
    # Backups taken while the merge runs: each must be sound and hold all of it or none of it.
    for copy in $(seq 5); do
        "$perfdb" backup --db "$main" "$work/backup-$copy.sqlite" 2>> "$work/backup.err" \
            || echo "backup $copy failed" >> "$work/backup-failures"
        sleep 0.1
    done
) & backups=$!
start=$(date +%s.%N)
"$perfdb" merge --db "$main" "$work"/job[1-4].sqlite > "$work/merge.out" 2> "$work/merge.err"
merge_status=$?
merge_time=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
wait "$backups"
backup_problems=0
[ -f "$work/backup-failures" ] && backup_problems=$(wc -l < "$work/backup-failures")
backup_smoke=""
for copy in $(seq 5); do
    "$perfdb" doctor --db "$work/backup-$copy.sqlite" > /dev/null 2>&1 || backup_problems=$((backup_problems + 1))
    smoke=$("$perfdb" query --db "$work/backup-$copy.sqlite" "SELECT count(*) AS n FROM run WHERE scenario = 'smoke'" --format csv | tail -1)
    backup_smoke="$backup_smoke $smoke"
    [ "$smoke" = 0 ] || [ "$smoke" = 320 ] || backup_problems=$((backup_problems + 1))
done
wait "$late" || job_errors=$((job_errors + 1))
rm -f "$work/readers-on"
wait "$readers"
merge_reader_failures=0
[ -f "$work/merge-reader-failures" ] && merge_reader_failures=$(wc -l < "$work/merge-reader-failures")
runs=$(count_runs "$main")
digests() { "$perfdb" query --db "$1" "SELECT content_digest FROM run WHERE scenario = 'smoke' ORDER BY 1" --format csv; }
[ "$(digests "$main")" = "$(digests "$work/concurrent.sqlite")" ] && same=yes || same=no
"$perfdb" merge --db "$main" "$work"/job[1-4].sqlite > "$work/again.out" 2>&1
again=$(grep -c ": 0 runs added, 80 here already" "$work/again.out")
"$perfdb" doctor --db "$main" > /dev/null 2>&1 && healthy=yes || healthy=no
checks=$((checks + 1))
echo "merge: 4 job files x 80 runs merged in ${merge_time}s (exit $merge_status) beside a writer of 10 runs and readers: $runs runs (331 expected), the same digests as one database fed by all jobs: $same, merging again added nothing: $again of 4 files, $job_errors job errors, $merge_reader_failures reader failures, doctor clean: $healthy; 5 backups taken meanwhile hold${backup_smoke} of the 320 merged runs (all or none), $backup_problems problems"
[ "$merge_status" = 0 ] && [ "$runs" = 331 ] && [ "$same" = yes ] && [ "$again" = 4 ] \
    && [ "$job_errors" = 0 ] && [ "$merge_reader_failures" = 0 ] && [ "$healthy" = yes ] \
    && [ "$backup_problems" = 0 ] \
    || { fail "merge"; cat "$work/merge.err" "$work/late.err" "$work/backup.err" "$work/backup-failures" "$work/merge-reader-failures" 2>/dev/null | head -5; }

# 4. Disk full and a read-only database, on a small filesystem made here.
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
    "$perfdb" merge --db "$db" "$main" > /dev/null 2> "$work/full-merge.err"
    status=$?
    after=$(count_runs "$db")
    "$perfdb" doctor --db "$db" > /dev/null 2>&1 && healthy=yes || healthy=no
    checks=$((checks + 1))
    echo "disk full while merging $(du -k "$main" | cut -f1) KiB: exit $status ($(head -1 "$work/full-merge.err")), runs $before -> $after, doctor clean: $healthy"
    [ "$status" = 74 ] && [ "$before" = "$after" ] && [ "$healthy" = yes ] || fail "disk full while merging"
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

# 5. Several hosts for real: perfdb on PostgreSQL, a server and four client hosts in network
#    namespaces, with a link cut and a server restart (tools/reliability-pg.sh).
if [ "$(id -u)" = 0 ] && command -v ip > /dev/null && ip netns add "pdb$$probe" 2> /dev/null; then
    ip netns del "pdb$$probe"
    checks=$((checks + 1))
    "$root/tools/reliability-pg.sh" "$perfdb" || fail "postgresql across hosts"
else
    echo "postgresql across hosts: skipped: not root / no ip netns"
fi

echo "reliability: $((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ] || exit 1
