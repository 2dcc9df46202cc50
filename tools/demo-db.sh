#!/usr/bin/env bash
# Builds a fresh demo database from the bundled history: 18 k6 load runs (demo/history),
# 16 chaos experiments (demo/chaos), 12 Locust runs (demo/locust, scenario locust: each run's
# JSON report and stats CSV, stored once) and 6 chaos runs with the k6 run made under each fault
# (demo/chaos-load: the raw stream, in one-second buckets, linked to its chaos run by time), each
# with its made-up CI context.
# Usage: tools/demo-db.sh PERFDB_BINARY DATABASE
set -euo pipefail
perfdb=$1
db=$2
root=$(cd "$(dirname "$0")/.." && pwd)
rm -f "$db" "$db-wal" "$db-shm"
tab=$(printf '\t')
tail -n +2 "$root/demo/history/runs.tsv" | while IFS="$tab" read -r file commit build branch started exit_code; do
    "$perfdb" ingest --db "$db" --quiet --scenario load --environment staging \
        --branch "$branch" --commit "$commit" --build "$build" \
        --build-url "https://ci.example.com/hotel-api/builds/$build" \
        --started-at "$started" --exit-code "$exit_code" "$root/demo/history/$file"
done
tail -n +2 "$root/demo/chaos/runs.tsv" | while IFS="$tab" read -r file commit build started; do
    "$perfdb" ingest --db "$db" --quiet --environment staging --branch main \
        --commit "$commit" --build "$build" \
        --build-url "https://ci.example.com/hotel-api/builds/$build" \
        --started-at "$started" "$root/demo/chaos/$file"
done
tail -n +2 "$root/demo/locust/runs.tsv" | while IFS="$tab" read -r file commit build branch started exit_code; do
    "$perfdb" ingest --db "$db" --quiet --scenario locust --environment staging \
        --branch "$branch" --commit "$commit" --build "$build" \
        --build-url "https://ci.example.com/hotel-api/builds/$build" \
        --started-at "$started" --exit-code "$exit_code" \
        "$root/demo/locust/$file" "$root/demo/locust/${file%.json}_stats.csv"
done
tail -n +2 "$root/demo/chaos-load/runs.tsv" | while IFS="$tab" read -r file pair commit build branch scenario started exit_code; do
    case $file in
    *.chaos.json) load=() ;;
    *.k6.ndjson.gz) load=(--scenario "$scenario" --exit-code "$exit_code" --bucket 1) ;;
    *) continue ;;
    esac
    "$perfdb" ingest --db "$db" --quiet --environment staging --branch "$branch" \
        --commit "$commit" --build "$build" \
        --build-url "https://ci.example.com/hotel-api/builds/$build" \
        --started-at "$started" "${load[@]}" "$root/demo/chaos-load/$file"
done
