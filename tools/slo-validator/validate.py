#!/usr/bin/env python3
"""Evaluate the six service-level objectives against one k6 run.

    validate.py SUMMARY.json --out report.json [--scenario load] [--environment staging]

SUMMARY.json is what `k6 run --summary-export` writes (the handleSummary JSON
works too). The summary must carry p(99) of http_req_duration, so the k6
script has to set summaryTrendStats.

Each SLO has a target, a warning threshold and a priority:

    p95_latency       http_req_duration p(95)  < 3000 ms   warning 2400   P0
    p99_latency       http_req_duration p(99)  < 5000 ms   warning 4000   P1
    error_rate        http_req_failed rate     < 1.0 %     warning 0.8    P0
    throughput        http_reqs rate           > 10 req/s  warning 12     P2
    check_pass_rate   checks rate              > 99 %      warning 99.5   P1
    avg_latency       http_req_duration avg    < 1500 ms   warning 1200   P2

Status per SLO: PASS (on the good side of the warning threshold), WARNING
(between warning and target), FAIL (target missed), CRITICAL (target of a P0
SLO missed). The overall status is the worst one.

Exit code: 0 all passed, 1 warnings or non-P0 failures (review),
2 critical (deployment blocked), 3 the input could not be evaluated.
"""

import argparse
import datetime as dt
import json
import os
import sys

SLOS = [
    # name, title, metric, statistic, comparator, target, warning, unit, priority
    ("p95_latency", "P95 latency", "http_req_duration", "p95", "<", 3000, 2400, "ms", "P0"),
    ("p99_latency", "P99 latency", "http_req_duration", "p99", "<", 5000, 4000, "ms", "P1"),
    ("error_rate", "Error rate", "http_req_failed", "rate", "<", 1.0, 0.8, "%", "P0"),
    ("throughput", "Throughput", "http_reqs", "rate", ">", 10, 12, "req/s", "P2"),
    ("check_pass_rate", "Check pass rate", "checks", "rate", ">", 99.0, 99.5, "%", "P1"),
    ("avg_latency", "Average latency", "http_req_duration", "avg", "<", 1500, 1200, "ms", "P2"),
]

RECOMMENDATIONS = {
    "p95_latency": "Tail latency is high: profile the slowest endpoints, add caching for PMS "
                   "lookups and check database query plans on the reservation path.",
    "p99_latency": "Outliers are slow: look for lock contention, connection pool exhaustion "
                   "and slow upstream calls; set timeouts on the PMS client.",
    "error_rate": "Requests are failing: read the error breakdown by endpoint and status, "
                  "check upstream (PMS, WhatsApp) health and add retries with backoff.",
    "throughput": "Throughput is below target: scale out the API, raise worker/connection "
                  "pool sizes, or check whether the load generator was the bottleneck.",
    "check_pass_rate": "Functional checks fail under load: inspect failed checks per group "
                       "and the responses behind them before looking at performance.",
    "avg_latency": "Average latency is high: tune the slowest queries (indexes on "
                   "reservations), cache room types and availability, reduce payload sizes.",
}

STATUS_ORDER = ["PASS", "WARNING", "FAIL", "CRITICAL"]
EXIT_CODES = {"PASS": 0, "WARNING": 1, "FAIL": 1, "CRITICAL": 2}


def metric_values(summary, name):
    """Values of one metric from a summary export or a handleSummary JSON."""
    m = summary.get("metrics", {}).get(name)
    if m is None:
        return None
    return m.get("values", m)  # handleSummary nests values, the export does not


def actual_value(summary, metric, statistic):
    v = metric_values(summary, metric)
    if v is None:
        raise KeyError("metric %s is missing" % metric)
    if statistic in ("p95", "p99"):
        key = "p(%s)" % statistic[1:]
        if key not in v:
            raise KeyError("%s has no %s; set summaryTrendStats in the k6 script" % (metric, key))
        return v[key]
    if statistic == "avg":
        return v["avg"]
    if statistic == "rate":
        if metric == "http_reqs":
            return v["rate"]
        # Rate metrics: the export calls it "value", handleSummary "rate"; report in percent
        return 100.0 * v.get("value", v.get("rate"))
    raise ValueError(statistic)


def evaluate(actual, comparator, target, warning, priority):
    if comparator == "<":
        if actual < warning:
            return "PASS"
        if actual < target:
            return "WARNING"
    else:
        if actual > warning:
            return "PASS"
        if actual > target:
            return "WARNING"
    return "CRITICAL" if priority == "P0" else "FAIL"


def validate(summary, file_name, scenario, environment, now=None):
    slos = []
    for name, title, metric, stat, comp, target, warning, unit, prio in SLOS:
        actual = round(actual_value(summary, metric, stat), 3)
        status = evaluate(actual, comp, target, warning, prio)
        slos.append({
            "name": name, "title": title, "metric": metric, "statistic": stat,
            "comparator": comp, "target": target, "warning": warning, "unit": unit,
            "actual": actual, "status": status, "priority": prio,
            "recommendation": None if status == "PASS" else RECOMMENDATIONS[name],
        })
    overall = max((s["status"] for s in slos), key=STATUS_ORDER.index)
    now = now or dt.datetime.now(dt.timezone.utc)
    return {
        "format": "perfdb-slo-report",
        "version": 1,
        "generated_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": {"tool": "k6", "file": file_name, "scenario": scenario, "environment": environment},
        "slos": slos,
        "overall_status": overall,
        "exit_code": EXIT_CODES[overall],
    }


def print_report(report, out=sys.stdout):
    src = report["source"]
    print("SLO report for %s (scenario %s, environment %s)" % (src["file"], src["scenario"], src["environment"]), file=out)
    for s in report["slos"]:
        print("  %-9s %-3s %-16s %12.3f %-5s %s %g (warning %g)" % (
            s["status"], s["priority"], s["title"], s["actual"], s["unit"], s["comparator"], s["target"], s["warning"]), file=out)
    print("overall: %s (exit %d)" % (report["overall_status"], report["exit_code"]), file=out)
    for s in report["slos"]:
        if s["recommendation"]:
            print("  - %s: %s" % (s["title"], s["recommendation"]), file=out)


def main():
    p = argparse.ArgumentParser(description="evaluate the SLOs against a k6 summary")
    p.add_argument("summary", help="k6 --summary-export JSON (or handleSummary JSON)")
    p.add_argument("--out", help="write the JSON report here")
    p.add_argument("--scenario", default=None, help="k6 scenario name, e.g. load")
    p.add_argument("--environment", default="local")
    a = p.parse_args()

    try:
        with open(a.summary) as f:
            summary = json.load(f)
        report = validate(summary, os.path.basename(a.summary), a.scenario, a.environment)
    except (OSError, ValueError, KeyError) as e:
        print("validate.py: %s: %s" % (a.summary, e), file=sys.stderr)
        return 3
    print_report(report)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return report["exit_code"]


if __name__ == "__main__":
    sys.exit(main())
