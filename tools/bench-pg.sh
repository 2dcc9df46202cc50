#!/usr/bin/env bash
# `make bench-pg`: perfdb on PostgreSQL against perfdb on a SQLite file, in the same run on the
# same machine (a benchmark, not a test; docs/scaling.md). A throw-away PostgreSQL cluster on
# loopback (tools/pg-cluster.sh; durable settings: fsync and synchronous_commit on), then:
#   1. single summary ingest: the median wall time of one `perfdb ingest` process;
#   2. 8 clients ingesting summaries at once: one process per file, and one process per client;
#   3. a raw k6 stream of STREAM_MB (300) MB ingested into each engine;
#   4. `check latest` and `trend` on a history of RUNS (100,000) load runs: the demo history
#      copied back in time on the server, then pulled into a file with `perfdb backup`;
#   5. bytes per stored summary run on each engine.
# Usage: tools/bench-pg.sh PERFDB_BINARY [RUNS]
set -euo pipefail
perfdb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
runs=${2:-100000}
stream_mb=${STREAM_MB:-300}
repeat=${BENCH_REPEAT:-11}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared/bench
data=${BENCH_DIR:-$root/bench-data}
work=$(mktemp -d)
chmod 755 "$work"  # the server runs as nobody and must reach its folder inside
mkdir -p "$data"
# As a CI job that gives its context (CI variables or flags): no git work tree to ask.
cd "$work"
command -v sqlite3 > /dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; }
# shellcheck source=tools/pg-cluster.sh
source "$root/tools/pg-cluster.sh"
trap 'pg_cluster_stop; rm -rf "$work"' EXIT
PG_SETTINGS="-c shared_buffers=256MB -c max_connections=100 -c max_wal_size=4GB" \
    pg_cluster_start "$work/pg"
newdb() { echo "CREATE DATABASE $1" | pg_cluster_psql postgres; pg_cluster_url "$1"; }
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }

# Distinct k6 summaries: the smoke fixture with its own trailing whitespace each.
mkdir -p "$work/files"
for i in $(seq 830); do
    { cat "$root/Tests/Fixtures/k6-summary-export/smoke.json"; printf '%*s' "$i" ''; } \
        > "$work/files/s$i.json"
done

echo "## perfdb on PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') and on a SQLite file, $(nproc) cores"
echo

# 1. One ingest, one process, 30 times.
latency() {
    local db=$1 first=$2 times=()
    for i in $(seq "$first" $((first + 29))); do
        local start; start=$(date +%s%N)
        "$perfdb" ingest "$work/files/s$i.json" --db "$db" --quiet --scenario smoke \
            --branch main --commit "c$i"
        times+=("$(ms "$start")")
    done
    printf '%s\n' "${times[@]}" | median
}
pg_latency=$(latency "$(newdb latency)" 1)
sqlite_latency=$(latency "$work/latency.sqlite" 1)

# 2. Eight clients at once: 50 files each, one process a file, or all 50 in one process.
clients() {
    local db=$1 first=$2 mode=$3 start pids=()
    start=$(date +%s%N)
    for c in $(seq 0 7); do
        local from=$((first + c * 50)) to=$((first + c * 50 + 49))
        if [ "$mode" = process-a-file ]; then
            ( for i in $(seq "$from" "$to"); do
                "$perfdb" ingest "$work/files/s$i.json" --db "$db" --quiet --scenario smoke \
                    --branch main --commit "c$i"
            done ) &
        else
            ( files=(); for i in $(seq "$from" "$to"); do files+=("$work/files/s$i.json"); done
              "$perfdb" ingest "${files[@]}" --db "$db" --quiet --scenario smoke --branch main \
                  --commit "c$c" ) &
        fi
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid"; done
    python3 -c "print(round(400 / ($(ms "$start") / 1000)))"
}
pg_clients_db=$(newdb clients)
pg_rate=$(clients "$pg_clients_db" 31 process-a-file)
sqlite_rate=$(clients "$work/clients.sqlite" 31 process-a-file)
pg_batch=$(clients "$pg_clients_db" 431 process-a-client)
sqlite_batch=$(clients "$work/clients.sqlite" 431 process-a-client)
stored=$("$perfdb" query "SELECT count(*) AS n FROM run" --db "$pg_clients_db" --format csv | tail -1)
[ "$stored" = 800 ] || { echo "8 clients: $stored runs stored on the server, 800 expected" >&2; exit 1; }

echo "| ingest of one k6 summary | PostgreSQL | SQLite file |"
echo "|---|---:|---:|"
echo "| single ingest, one process (median of 30) | ${pg_latency} ms | ${sqlite_latency} ms |"
echo "| 8 clients at once, one process a file | ${pg_rate} runs/s | ${sqlite_rate} runs/s |"
echo "| 8 clients at once, one process a client (50 files) | ${pg_batch} runs/s | ${sqlite_batch} runs/s |"
echo

# 3. A raw k6 stream.
stream=$data/k6-$stream_mb.ndjson
[ -f "$stream" ] || python3 "$shared/gen_k6_ndjson.py" --mb "$stream_mb" --out "$stream"
bytes=$(stat -c %s "$stream")
stream_pg=() stream_sqlite=()
for n in 1 2; do
    # Each engine's schema made first (as in a warehouse in use), so only the run is timed.
    db=$(newdb "stream$n")
    "$perfdb" ingest "$work/files/s830.json" --db "$db" --quiet
    "$perfdb" ingest "$work/files/s830.json" --db "$work/stream$n.sqlite" --quiet
    start=$(date +%s%N); "$perfdb" ingest "$stream" --db "$db" --quiet; stream_pg+=("$(ms "$start")")
    start=$(date +%s%N); "$perfdb" ingest "$stream" --db "$work/stream$n.sqlite" --quiet
    stream_sqlite+=("$(ms "$start")")
done
best_pg=$(printf '%s\n' "${stream_pg[@]}" | sort -n | head -1)
best_sqlite=$(printf '%s\n' "${stream_sqlite[@]}" | sort -n | head -1)
mbs() { python3 -c "print(f'{$bytes / 1048576 / ($1 / 1000):.1f}')"; }
echo "| raw k6 stream, $((bytes / 1048576)) MB (best of 2) | PostgreSQL | SQLite file | PostgreSQL / SQLite |"
echo "|---|---:|---:|---:|"
echo "| seconds | $(python3 -c "print($best_pg / 1000)") | $(python3 -c "print($best_sqlite / 1000)") | |"
echo "| MB/s | $(mbs "$best_pg") | $(mbs "$best_sqlite") | $(ratio "$best_sqlite" "$best_pg")x |"
echo

# RUNS 0: the ingest figures only.
[ "$runs" -gt 0 ] || exit 0

# 4. A long history: the demo copied back in time on the server, then pulled into a file.
history=$(newdb history)
"$root/tools/demo-db.sh" "$perfdb" "$work/demo.sqlite"
"$perfdb" merge "$work/demo.sqlite" --db "$history" > /dev/null
cols() {
    echo "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = '$1'" | pg_cluster_psql history
}
# shellcheck source=tools/history-copy.sh
source "$root/tools/history-copy.sh"
table_columns() {
    echo "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'
          AND table_name = '$1' ORDER BY ordinal_position" | pg_cluster_psql history
}
start=$(date +%s%N)
pg_cluster_psql history > /dev/null <<SQL
BEGIN;
-- A copy of rows already checked: the foreign-key triggers are skipped while it is made.
SET LOCAL session_replication_role = replica;
-- Runs made under a fault stay out: a copy would lose its link and pass for a normal run.
CREATE TEMP TABLE source AS
    SELECT id FROM run WHERE kind = 'load' AND id NOT IN (SELECT run_id FROM chaos_link) ORDER BY id;
CREATE TEMP TABLE copy_map AS
    SELECT s.id AS old, c.n AS n,
        (SELECT max(id) FROM run) + row_number() OVER (ORDER BY c.n, s.id) AS new
    FROM source s,
        generate_series(1, ceil($runs::numeric / (SELECT count(*) FROM source))::int) AS c(n);
DELETE FROM copy_map WHERE new > (SELECT max(id) FROM run) + $runs - (SELECT count(*) FROM source);
INSERT INTO run ($(cols run))
    SELECT $(select_list run "id=m.new" "ended_at=NULL" \
        "started_at=to_char((x.started_at::timestamptz - 7 * m.n * interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" \
        "content_digest=x.content_digest || '#' || m.n")
    FROM copy_map m JOIN run x ON x.id = m.old;
INSERT INTO measurement ($(cols measurement))
    SELECT $(select_list measurement) FROM copy_map m JOIN measurement x ON x.run_id = m.old;
INSERT INTO threshold_result ($(cols threshold_result))
    SELECT $(select_list threshold_result) FROM copy_map m JOIN threshold_result x ON x.run_id = m.old;
INSERT INTO check_result ($(cols check_result))
    SELECT $(select_list check_result) FROM copy_map m JOIN check_result x ON x.run_id = m.old;
INSERT INTO run_label ($(cols run_label))
    SELECT $(select_list run_label) FROM copy_map m JOIN run_label x ON x.run_id = m.old;
SELECT setval(pg_get_serial_sequence('run', 'id'), (SELECT max(id) FROM run));
COMMIT;
VACUUM ANALYZE;
SQL

build_s=$(python3 -c "print(round($(ms "$start") / 1000))")
start=$(date +%s%N)
/usr/bin/time -f "%M" -o "$work/backup.rss" \
    "$perfdb" backup "$work/history.sqlite" --db "$history" --quiet
backup_s=$(python3 -c "print(round($(ms "$start") / 1000, 1))")
backup_mib=$(( $(cat "$work/backup.rss") / 1024 ))
load_runs=$("$perfdb" query "SELECT count(*) AS n FROM run WHERE kind = 'load'" --db "$history" --format csv | tail -1)
measurements=$("$perfdb" query "SELECT count(*) AS n FROM measurement" --db "$history" --format csv | tail -1)

# time COMMAND…: the median wall time in ms over $repeat runs (exit 0–3 are answers).
time_command() {
    local times=()
    for _ in $(seq "$repeat"); do
        local start; start=$(date +%s%N)
        "$perfdb" "$@" > "$work/out" 2> "$work/err" || [ $? -le 3 ] || { cat "$work/err" >&2; exit 70; }
        times+=("$(ms "$start")")
    done
    printf '%s\n' "${times[@]}" | median
}
series='http_req_duration{endpoint:reservations}'
echo "| on $load_runs load runs ($measurements measurements; median of $repeat) | PostgreSQL | SQLite file |"
echo "|---|---:|---:|"
echo "| check latest (judged and recorded) | $(time_command check latest --format json --db "$history") ms | $(time_command check latest --format json --db "$work/history.sqlite") ms |"
echo "| check latest --no-store | $(time_command check latest --no-store --format json --db "$history") ms | $(time_command check latest --no-store --format json --db "$work/history.sqlite") ms |"
echo "| trend --series '$series' | $(time_command trend --series "$series" --format json --db "$history") ms | $(time_command trend --series "$series" --format json --db "$work/history.sqlite") ms |"
echo "| report | $(time_command report --format json --db "$history") ms | $(time_command report --format json --db "$work/history.sqlite") ms |"
echo

# 5. Bytes per stored summary run.
pg_bytes=$(echo "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n
    ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'" | pg_cluster_psql history)
sqlite3 "$work/history.sqlite" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
sqlite_bytes=$(stat -c %s "$work/history.sqlite")
all_runs=$("$perfdb" query "SELECT count(*) AS n FROM run" --db "$history" --format csv | tail -1)
echo "| stored history of $all_runs runs | PostgreSQL | SQLite file |"
echo "|---|---:|---:|"
echo "| bytes (tables and indexes; the file) | $pg_bytes | $sqlite_bytes |"
echo "| bytes per run | $((pg_bytes / all_runs)) | $((sqlite_bytes / all_runs)) |"
echo
echo "History built on the server in ${build_s} s; \`perfdb backup\` pulled it into the file in ${backup_s} s (peak RSS ${backup_mib} MiB)."

