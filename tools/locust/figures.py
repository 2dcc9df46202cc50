#!/usr/bin/env python3
"""Locust's own figures of a Locust `--json-file` report, computed by Locust's stats code.

    python3 tools/locust/figures.py REPORT.json > locust-figures.json

Needs Locust installed (`pip install locust==2.47.0`). Nothing is reimplemented: every entry
of the report is loaded into a `locust.stats.RequestStats` with `StatsEntry.unserialize` and
`stats.total` is extended with each one (`StatsEntry.extend`), as Locust's master merges the
stats its workers report; the figures are then read from Locust's own properties and
`get_response_time_percentile`. The one step Locust does not do itself: JSON turns the integer
keys of `response_times`, `num_reqs_per_sec` and `num_fail_per_sec` into strings (the master
gets them as integers through msgpack), so they are turned back into numbers first; with
string keys Locust would sort the response-time buckets as text.

Output (sorted keys, indent 2): {"locust": version, "made_by": this command line,
"entries": [one object per report entry, in the report's order, then Locust's Aggregated
row (stats.total, "method": null)]}. Floats are written as Python writes them (repr).
"""

import json
import os
import shlex
import sys

import locust
from locust.stats import PERCENTILES_TO_REPORT, RequestStats, StatsEntry

# PERCENTILES_TO_REPORT = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0]
PERCENTILE_NAMES = ["p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99.9", "p99.99", "p100"]
assert len(PERCENTILE_NAMES) == len(PERCENTILES_TO_REPORT)

NUMBER_KEYED = ("response_times", "num_reqs_per_sec", "num_fail_per_sec")


def number(key):
    """A JSON object key back to the number Locust used ("27" -> 27, "2.5" -> 2.5)."""
    try:
        return int(key)
    except ValueError:
        return float(key)


def figures(entry, method):
    row = {
        "method": method,
        "name": entry.name,
        "num_requests": entry.num_requests,
        "num_none_requests": entry.num_none_requests,
        "num_failures": entry.num_failures,
        "avg_response_time": entry.avg_response_time,
        "min_response_time": entry.min_response_time,
        "max_response_time": entry.max_response_time,
        "median_response_time": entry.median_response_time,
        "total_rps": entry.total_rps,
        "fail_ratio": entry.fail_ratio,
        "start_time": entry.start_time,
        "last_request_timestamp": entry.last_request_timestamp,
    }
    for name, percent in zip(PERCENTILE_NAMES, PERCENTILES_TO_REPORT):
        row[name] = entry.get_response_time_percentile(percent)
    return row


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: figures.py REPORT.json > locust-figures.json")
    with open(argv[1], encoding="utf-8") as file:
        report = json.load(file)
    if not isinstance(report, list):
        sys.exit(f"{argv[1]}: not a Locust --json-file report (a JSON array of stats entries)")

    stats = RequestStats()
    order = []
    for data in report:
        data = dict(data)
        for key in NUMBER_KEYED:
            if isinstance(data.get(key), dict):
                data[key] = {number(k): v for k, v in data[key].items()}
        entry = StatsEntry.unserialize(data, stats)
        request_key = (entry.name, entry.method)
        if request_key in stats.entries:
            # a name and method twice: merged as the master merges two workers' reports
            stats.entries[request_key].extend(entry)
        else:
            stats.entries[request_key] = entry
            order.append(request_key)
        stats.total.extend(entry)

    entries = [figures(stats.entries[key], stats.entries[key].method) for key in order]
    entries.append(figures(stats.total, None))
    made_by = shlex.join([os.path.basename(sys.executable)] + argv)
    out = {"locust": locust.__version__, "made_by": made_by, "entries": entries}
    json.dump(out, sys.stdout, sort_keys=True, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
