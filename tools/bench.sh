#!/usr/bin/env bash
# `make bench`: perfdb ingest against a user's own script (orjson) and DuckDB on the same k6
# NDJSON files, in the same run: throughput (MB/s), peak RSS, the ratios, and whether the
# figures agree (percentiles within 0.1 %). A benchmark, not a test. Usage:
#   tools/bench.sh PERFDB_BINARY [SIZES_MB…]   (default sizes: 300 2000)
set -euo pipefail
perfdb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
if [ $# -eq 0 ]; then sizes=(300 2000); else sizes=("$@"); fi
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root/../shared/bench" 2>/dev/null && pwd || true)
[ -n "$shared" ] || { echo "../shared/bench is missing" >&2; exit 66; }
data=${BENCH_DIR:-$root/bench-data}
mkdir -p "$data"
python3 -c "import orjson" 2>/dev/null || pip install -q orjson
python3 -c "import duckdb" 2>/dev/null || pip install -q duckdb
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

repeat=${BENCH_REPEAT:-3}

# run NAME COMMAND…: runs the command $repeat times and prints "seconds peak_rss_kib": the
# median time and the largest peak RSS (output to $data/NAME.out).
run() {
    local name=$1
    shift
    local times=() peak=0
    for _ in $(seq "$repeat"); do
        [ -n "${BEFORE:-}" ] && eval "$BEFORE"
        # CI passes its context (flags or CI variables): no git lookup is timed.
    /usr/bin/time -f "%e %M" -o "$data/$name.time" "$@" > "$data/$name.out" 2> "$data/$name.err" \
            || { echo "$name failed:" >&2; cat "$data/$name.err" >&2; exit 70; }
        read -r t m < "$data/$name.time"
        times+=("$t")
        [ "$m" -gt "$peak" ] && peak=$m
    done
    printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (repeat + 1) / 2 ))p")" "$peak"
}

printf '%-8s %-22s %10s %10s %12s\n' size tool seconds MB/s "peak RSS MiB"
for mb in "${sizes[@]}"; do
    file="$data/k6-$mb.ndjson"
    [ -f "$file" ] || python3 "$shared/gen_k6_ndjson.py" --mb "$mb" --out "$file"
    [ -f "$file.gz" ] || gzip -1 -k -f "$file"
    bytes=$(stat -c %s "$file")
    cat "$file" > /dev/null  # warm the page cache for every tool alike
    declare -A secs rss
    for tool in perfdb duckdb orjson; do
        case $tool in
            perfdb)
                # A CI job ingests into an existing database: create it first, untimed, and
                # start every repetition from it.
                rm -f "$data/empty.sqlite"*
                "$perfdb" ingest --db "$data/empty.sqlite" --quiet "$root/Tests/Fixtures/k6-summary-export/smoke.json"
                read -r s r < <(BEFORE="rm -f '$data/bench.sqlite'*; cp '$data/empty.sqlite' '$data/bench.sqlite'" run "perfdb-$mb" "$perfdb" ingest --db "$data/bench.sqlite" --quiet --commit bench --branch bench "$file") ;;
            duckdb) read -r s r < <(run "duckdb-$mb" python3 "$shared/peer_duckdb.py" "$file") ;;
            orjson) read -r s r < <(run "orjson-$mb" python3 "$shared/peer_python.py" "$file" --lib orjson) ;;
        esac
        secs[$tool]=$s
        rss[$tool]=$r
        printf '%-8s %-22s %10.2f %10.0f %12.1f\n' "${mb}MB" "$tool" "$s" \
            "$(python3 -c "print($bytes / 1048576 / $s)")" "$(python3 -c "print($r / 1024)")"
    done
    # Keep the plain-file run's figures for the agreement check before the gzip run replaces it.
    "$perfdb" query --db "$data/bench.sqlite" --format json \
        "SELECT s.name AS series, m.statistic, m.value FROM measurement m JOIN series s ON s.id = m.series_id WHERE m.run_id = (SELECT id FROM run WHERE source_file = 'k6-$mb.ndjson')" \
        > "$data/perfdb-$mb.json"
    read -r gs gr < <(BEFORE="rm -f '$data/bench.sqlite'*; cp '$data/empty.sqlite' '$data/bench.sqlite'" run "perfdb-gz-$mb" "$perfdb" ingest --db "$data/bench.sqlite" --quiet --commit bench --branch bench "$file.gz")
    read -r zs zr < <(run "gzip-$mb" sh -c "gzip -dc '$file.gz' > /dev/null")
    printf '%-8s %-22s %10.2f %10.0f %12.1f\n' "${mb}MB" "perfdb (gzip input)" "$gs" \
        "$(python3 -c "print($bytes / 1048576 / $gs)")" "$(python3 -c "print($gr / 1024)")"
    printf '%-8s %-22s %10.2f %10.0f\n' "${mb}MB" "gzip -dc > /dev/null" "$zs" \
        "$(python3 -c "print($bytes / 1048576 / $zs)")"
    printf 'ratios %s: perfdb/DuckDB %.2fx, perfdb/orjson %.2fx, gzip input %.2fx of gzip -dc; peak RSS %.1f MiB\n' \
        "${mb}MB" "$(python3 -c "print(${secs[duckdb]} / ${secs[perfdb]})")" \
        "$(python3 -c "print(${secs[orjson]} / ${secs[perfdb]})")" "$(python3 -c "print($zs / $gs)")" \
        "$(python3 -c "print(${rss[perfdb]} / 1024)")"
    # The figures must agree: perfdb's per-metric and per-name statistics against DuckDB's.
    python3 "$root/tools/bench_compare.py" "$data/perfdb-$mb.json" "$data/duckdb-$mb.out"
    rm -f "$data/bench.sqlite"*
done
