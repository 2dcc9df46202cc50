#!/usr/bin/env bash
# Renders reports/examples/ from the demo data: every line of reports/examples/COMMANDS.tsv is
# a file and the perfdb arguments that print it. A test renders them again and fails when a
# file here is stale. Usage: tools/make-reports.sh PERFDB_BINARY
set -euo pipefail
perfdb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/tools/demo-db.sh" "$perfdb" "$work/demo.sqlite"
# The reports judge with the demo team's configuration (its SLOs, advice and chaos targets).
cp "$root/demo/perfdb.yml" "$work/perfdb.yml"
tab=$(printf '\t')
tail -n +2 "$root/reports/examples/COMMANDS.tsv" | while IFS="$tab" read -r file arguments; do
    # Word splitting is wanted: the arguments contain no spaces inside a word.
    # shellcheck disable=SC2086
    (cd "$work" && "$perfdb" $arguments --db demo.sqlite > "$root/reports/examples/$file") || true
    echo "reports/examples/$file"
done
