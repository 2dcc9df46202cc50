#!/usr/bin/env python3
"""Compares perfdb's figures of a raw stream with a peer's (peer_duckdb.py output): counts and
rates exactly, avg/min/max to 1e-9 relative, percentiles within 0.1 %. Exit 1 on disagreement."""
import json, sys

ours = {}
for row in json.load(open(sys.argv[1])):
    ours[(row["series"], row["statistic"])] = row["value"]
peer = json.load(open(sys.argv[2]))
checked = worst = 0
bad = []
for row in peer:
    name = row["metric"] if not row["name"] else "%s{name:%s}" % (row["metric"], row["name"])
    kind = row["type"]
    wanted = {}
    if kind == "trend":
        wanted = {"count": (row["count"], 0), "avg": (row["avg"], 1e-9), "min": (row["min"], 1e-9),
                  "max": (row["max"], 1e-9), "med": (row["med"], 1e-3), "p90": (row["p90"], 1e-3),
                  "p95": (row["p95"], 1e-3), "p99": (row["p99"], 1e-3)}
    elif kind == "rate":
        wanted = {"rate": (row["rate"], 1e-12)}
    elif kind == "counter":
        wanted = {"count": (row["sum"], 1e-12)}
    for stat, (value, tolerance) in wanted.items():
        got = ours.get((name, stat))
        if got is None:
            bad.append("%s %s missing" % (name, stat))
            continue
        error = abs(got - value) / max(abs(value), 1e-300) if value else abs(got)
        worst = max(worst, error) if stat.startswith("p") or stat == "med" else worst
        if error > tolerance:
            bad.append("%s %s: perfdb %r, peer %r (%.2e)" % (name, stat, got, value, error))
        checked += 1
print("agreement: %d figures checked, %d differ; worst percentile difference %.4f %%" % (checked, len(bad), worst * 100))
for line in bad[:10]:
    print("  " + line)
sys.exit(1 if bad else 0)
