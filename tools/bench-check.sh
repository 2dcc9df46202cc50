#!/usr/bin/env bash
# `make bench` (second part): how long `perfdb check latest` takes as the history grows. Builds
# the demo database, then copies its load runs (measurements, thresholds, checks, labels) back
# in time until the history holds RUNS load runs, and times `check latest` against it and
# against the 18-run demo history in the same run. A benchmark, not a test. Usage:
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
"$root/tools/demo-db.sh" "$perfdb" "$small"
cp "$small" "$large"

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

# time DATABASE: the median wall time of `check latest` in milliseconds over $repeat runs.
time_check() {
    local times=()
    for _ in $(seq "$repeat"); do
        local start end
        start=$(date +%s%N)
        "$perfdb" check latest --db "$1" --format json > "$data/check.out" 2> "$data/check.err" \
            || [ $? -le 2 ] || { cat "$data/check.err" >&2; exit 70; }
        end=$(date +%s%N)
        times+=("$(( (end - start) / 1000000 ))")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p"
}

small_ms=$(time_check "$small")
large_ms=$(time_check "$large")
printf '%-26s %10s %14s %14s\n' history "load runs" "measurements" "check ms"
printf '%-26s %10s %14s %14s\n' "demo" 18 "$(sqlite3 "$small" "SELECT count(*) FROM measurement")" \
    "$small_ms"
printf '%-26s %10s %14s %14s\n' "demo copied back in time" "$load_runs" "$rows" "$large_ms"
echo "check latest: ${large_ms} ms on $load_runs load runs (median of $repeat), \
$(awk -v a="$large_ms" -v b="$small_ms" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x the demo's"
