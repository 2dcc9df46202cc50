#!/usr/bin/env bash
# Runs the libFuzzer target over each input adapter for a fixed number of executions.
# Usage: tools/fuzz.sh FUZZ_BINARY RUNS
# Seeds come from the real fixtures; the growing corpus lives in .build-fuzz/corpus/<adapter>.
# A crash or a hang stops the run and leaves the input in Tests/Fixtures/fuzz/<adapter>/,
# which FuzzRegressionTests then ingests on every `make test`.
set -euo pipefail
fuzzer=$1
runs=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=$root/Tests/Fixtures
corpus=$root/.build-fuzz/corpus
failed=0

seed() {  # seed ADAPTER FILES...
    local dir=$corpus/$1
    shift
    mkdir -p "$dir"
    for file in "$@"; do
        case $file in
        *.gz) { gzip -dc "$file" 2>/dev/null || true; } | head -c 16384 >"$dir/$(basename "$file" .gz)" ;;
        *) head -c 65536 "$file" >"$dir/$(basename "$file")" ;;
        esac
    done
}

seed k6-summary-export "$fixtures"/k6-summary-export/*.json
seed k6-handle-summary "$fixtures"/k6-handle-summary/*.json
seed slo-report "$fixtures"/slo-report/*.json
seed chaos-result "$fixtures"/chaos-result/*.json
seed chaostoolkit-journal "$fixtures"/chaostoolkit/*.json
seed k6-ndjson "$fixtures"/k6-ndjson/*.ndjson.gz
seed k6-csv "$fixtures"/k6-csv/smoke.csv "$fixtures"/k6-csv/load.csv.gz
seed locust-json "$fixtures"/locust/*/report.json
seed locust-csv "$fixtures"/locust/baseline/report_stats.csv "$fixtures"/locust/errors/report_stats.csv
seed locust-siblings "$fixtures"/locust/full-history/report_stats_history.csv \
    "$fixtures"/locust/errors/report_failures.csv "$fixtures"/locust/errors/report_exceptions.csv
seed detect "$fixtures"/k6-summary-export/smoke.json "$fixtures"/slo-report/smoke.json \
    "$fixtures"/chaostoolkit/pms-latency.json "$fixtures"/k6-ndjson/smoke.ndjson.gz

for adapter in detect k6-summary-export k6-handle-summary slo-report chaos-result \
    chaostoolkit-journal k6-ndjson k6-csv locust-json locust-csv locust-siblings; do
    findings=$fixtures/fuzz/$adapter
    mkdir -p "$findings"
    start=$(date +%s)
    if SWIFT_BACKTRACE=enable=no PERFDB_FUZZ_FORMAT=$adapter "$fuzzer" -runs="$runs" -timeout=10 -max_len=65536 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" \
        "$corpus/$adapter" >"$corpus/$adapter.log" 2>&1; then
        execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$corpus/$adapter.log" | grep -o '[0-9]*$')
        cov=$(grep -o 'cov: [0-9]*' "$corpus/$adapter.log" | tail -1 | grep -o '[0-9]*')
        echo "fuzz $adapter: $execs executions in $(($(date +%s) - start)) s, coverage $cov edges, corpus $(ls "$corpus/$adapter" | wc -l) inputs, no crash, no hang"
    else
        failed=1
        echo "fuzz $adapter: FOUND A PROBLEM (input kept in Tests/Fixtures/fuzz/$adapter/):"
        grep -E 'ERROR|Test unit written|deadly signal|timeout' "$corpus/$adapter.log" | head -5
    fi
done
exit $failed
