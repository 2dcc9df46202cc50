#!/usr/bin/env bash
# `make bench` (second part): how long `perfdb check latest` takes as the history grows. Builds
# the demo database, then copies its load runs (measurements, thresholds, checks, labels) back
# in time until the history holds RUNS load runs, and times `check latest` against it and
# against the 18-run demo history in the same run, and the check of a raw-stream run (a real
# k6 `--out json` file, a thousand series with distributions) ingested into a copy of the long
# history, and of the same run after sixty raw streams (a team that stores every CI run's
# stream). A benchmark, not a test. Usage:
#   tools/bench-check.sh PERFDB_BINARY [RUNS]   (default RUNS: 10000)
set -euo pipefail
perfdb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
data=${BENCH_DIR:-$root/bench-data}
repeat=${BENCH_REPEAT:-11}
mkdir -p "$data"
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; }

small=$data/history-demo.sqlite
large=$data/history-$runs.sqlite
# copy_db FROM TO: a database file copied over another, without the write-ahead log the other
# may have left (SQLite would replay it onto the copy).
copy_db() { rm -f "$2-wal" "$2-shm"; cp "$1" "$2"; }
"$root/tools/demo-db.sh" "$perfdb" "$small"
copy_db "$small" "$large"

# shellcheck source=tools/history-copy.sh
source "$root/tools/history-copy.sh"
table_columns() { sqlite3 "$large" "SELECT name FROM pragma_table_info('$1')"; }
columns() { sqlite3 "$large" "SELECT group_concat(name, ', ') FROM pragma_table_info('$1')"; }

# Copy n of the load runs, each copy 7·n days earlier than its original, with its own digest.
sqlite3 -bail "$large" <<SQL
PRAGMA foreign_keys = ON;
BEGIN;
-- Runs made under a fault stay out: a copy would lose its link and pass for a normal run.
CREATE TEMP TABLE source AS
    SELECT id FROM run WHERE kind = 'load' AND id NOT IN (SELECT run_id FROM chaos_link) ORDER BY id;
CREATE TEMP TABLE copy_map AS
    WITH RECURSIVE copies(n) AS (
        SELECT 1 UNION ALL SELECT n + 1 FROM copies
        WHERE n * (SELECT count(*) FROM source) < $runs
    )
    SELECT s.id AS old, c.n AS n,
        (SELECT max(id) FROM run) + row_number() OVER (ORDER BY c.n, s.id) AS new
    FROM source s, copies c;
DELETE FROM copy_map
    WHERE new > (SELECT max(id) FROM run) + $runs - (SELECT count(*) FROM source);
INSERT INTO run ($(columns run))
    SELECT $(select_list run "id=m.new" "ended_at=NULL" \
        "started_at=strftime('%Y-%m-%dT%H:%M:%fZ', x.started_at, '-' || (7 * m.n) || ' days')" \
        "content_digest=x.content_digest || '#' || m.n")
    FROM copy_map m JOIN run x ON x.id = m.old;
INSERT INTO measurement ($(columns measurement))
    SELECT $(select_list measurement) FROM copy_map m JOIN measurement x ON x.run_id = m.old;
INSERT INTO threshold_result ($(columns threshold_result))
    SELECT $(select_list threshold_result)
    FROM copy_map m JOIN threshold_result x ON x.run_id = m.old;
INSERT INTO check_result ($(columns check_result))
    SELECT $(select_list check_result) FROM copy_map m JOIN check_result x ON x.run_id = m.old;
INSERT INTO run_label ($(columns run_label))
    SELECT $(select_list run_label) FROM copy_map m JOIN run_label x ON x.run_id = m.old;
COMMIT;
SQL
load_runs=$(sqlite3 "$large" "SELECT count(*) FROM run WHERE kind = 'load'")
rows=$(sqlite3 "$large" "SELECT count(*) FROM measurement")

# A raw stream of the same scenario in a copy of the long history: the real k6 run of
# Tests/Fixtures/k6-ndjson/load.ndjson.gz, a thousand series with their distributions.
streamed=$data/history-$runs-stream.sqlite
copy_db "$large" "$streamed"
"$perfdb" ingest --db "$streamed" --quiet --scenario load --environment staging --branch main \
    --commit bench-stream "$root/Tests/Fixtures/k6-ndjson/load.ndjson.gz"
stream_run=$(sqlite3 "$streamed" "SELECT max(id) FROM run")
# And a history of raw streams: the 60 newest runs before it made copies of it (each figure
# moved by up to ±3 %, the same distributions), as when every CI run stores its stream.
streams=$data/history-$runs-streams.sqlite
copy_db "$streamed" "$streams"
sqlite3 -bail "$streams" <<SQL
PRAGMA foreign_keys = ON;
BEGIN;
CREATE TEMP TABLE target AS
    SELECT id FROM run
    WHERE kind = 'load' AND scenario = 'load' AND environment = 'staging' AND branch = 'main'
      AND id <> $stream_run AND invalidated = 0 AND status <> 'aborted'
    ORDER BY started_at DESC LIMIT 60;
DELETE FROM verdict WHERE run_id IN (SELECT id FROM target);
DELETE FROM measurement WHERE run_id IN (SELECT id FROM target);
DELETE FROM distribution WHERE run_id IN (SELECT id FROM target);
INSERT INTO measurement (run_id, series_id, statistic, value)
    SELECT t.id, m.series_id, m.statistic,
        m.value * (0.97 + 0.06 * ((t.id * 7919 + m.series_id * 104729) % 1000) / 1000.0)
    FROM target t, measurement m WHERE m.run_id = $stream_run;
INSERT INTO distribution ($(columns distribution))
    SELECT $(select_list distribution "run_id=t.id")
    FROM target t JOIN distribution x ON x.run_id = $stream_run;
COMMIT;
SQL
stream_series=$(sqlite3 "$streamed" "SELECT count(DISTINCT series_id) FROM measurement WHERE run_id = $stream_run")
# The newest summary run, checked by its id as the stream runs are (no `latest` to resolve).
summary_run=$(sqlite3 "$large" \
    "SELECT id FROM run WHERE kind = 'load' ORDER BY started_at DESC, id DESC LIMIT 1")
summary_series=$(sqlite3 "$large" \
    "SELECT count(DISTINCT series_id) FROM measurement WHERE run_id = $summary_run")

# time DATABASE RUN: the wall time of `check RUN` in milliseconds, once.
time_check() {
    local start end
    # The writes of the check before flushed first: each check waits for its own, not for
    # those a raw stream's thousand verdicts left behind.
    sync
    start=$(date +%s%N)
    # To /dev/null: rewriting one output file each time makes the file system flush it on
    # close (a megabyte for a raw stream), which would be timed with the check.
    "$perfdb" check "$2" --db "$1" --format json > /dev/null 2> "$data/check.err" \
        || [ $? -le 2 ] || { cat "$data/check.err" >&2; exit 70; }
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 ))"
}
# median FILE: the median of the numbers in FILE, one a line.
median() { sort -n "$1" | sed -n "$(( ($(wc -l < "$1") + 1) / 2 ))p"; }

# The three checks in turn, $repeat times, so that a busy moment of a shared machine falls on
# all of them alike.
: > "$data/small.ms"; : > "$data/large.ms"; : > "$data/summary.ms"; : > "$data/stream.ms"
: > "$data/streams.ms"
for _ in $(seq "$repeat"); do
    time_check "$small" latest >> "$data/small.ms"
    time_check "$large" latest >> "$data/large.ms"
    time_check "$large" "$summary_run" >> "$data/summary.ms"
    time_check "$streamed" "$stream_run" >> "$data/stream.ms"
    time_check "$streams" "$stream_run" >> "$data/streams.ms"
done
small_ms=$(median "$data/small.ms")
large_ms=$(median "$data/large.ms")
summary_ms=$(median "$data/summary.ms")
stream_ms=$(median "$data/stream.ms")
streams_ms=$(median "$data/streams.ms")
printf '%-26s %10s %14s %14s\n' history "load runs" "measurements" "check ms"
printf '%-26s %10s %14s %14s\n' "demo" 18 "$(sqlite3 "$small" "SELECT count(*) FROM measurement")" \
    "$small_ms"
printf '%-26s %10s %14s %14s\n' "demo copied back in time" "$load_runs" "$rows" "$large_ms"
echo "check latest: ${large_ms} ms on $load_runs load runs (median of $repeat), \
$(awk -v a="$large_ms" -v b="$small_ms" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x the demo's"
# range FILE: the fastest and the slowest time in FILE.
range() { echo "$(sort -n "$1" | head -1)-$(sort -n "$1" | tail -1)"; }
# ratio A B: A / B to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "check $summary_run (the newest summary run, $summary_series series): ${summary_ms} ms \
(range $(range "$data/summary.ms"))"
echo "check of a raw stream ($stream_series series) on the same history: ${stream_ms} ms \
(range $(range "$data/stream.ms")), $(ratio "$stream_ms" "$summary_ms")x the summary run's"
echo "the same raw stream after 60 raw streams: ${streams_ms} ms \
(range $(range "$data/streams.ms")), $(ratio "$streams_ms" "$summary_ms")x the summary run's"
