#!/usr/bin/env python3
"""Change points found by Apache Otava on the demo history and on synthetic series.

    python3 -m venv /tmp/otava-venv
    /tmp/otava-venv/bin/pip install apache-otava==0.8.0
    /tmp/otava-venv/bin/python tools/reference/make-otava-reference.py

Writes Tests/Fixtures/otava/reference.json. Every series is stored with its
values, the change points planted in it (where known) and Otava's answer, so the
Swift tests can compare perfdb's detector against Otava without Python.

Otava is called exactly as its own `otava analyze` does with default options:
    otava.analysis.compute_change_points(values, window_len=50, max_pvalue=0.001, min_magnitude=0.0)
with `values` a plain Python list of floats (not a numpy array: with an ndarray
otava 0.8.0's ChangePointDetector ignores the window bounds, which gives wrong
indexes or a ValueError).

A change point's `index` is the index of the FIRST value after the change,
`mean_before`/`mean_after` are the means of the segments on either side (between
the neighbouring change points), `std_*` are population standard deviations
(numpy ddof=0) and `pvalue` is otava's two-sided Student t-test p-value.

`weak_change_points` are the candidates of otava's split step (first-pass
threshold 10 x max_pvalue) before the merge step; computed by calling
otava.analysis.split on a separate copy, because compute_change_points returns
the same (already merged) list object for both of its results.

If otava cannot be imported, the series and planted change points are still
written and every `otava` field is null.
"""

import csv
import json
import os
import sys

import numpy as np
import scipy

try:
    import otava.analysis as otava_analysis
    from importlib.metadata import version as _pkg_version
    OTAVA_VERSION = _pkg_version("apache-otava")
except Exception as e:  # pragma: no cover - fallback when otava is missing
    otava_analysis = None
    OTAVA_VERSION = None
    print(f"warning: apache-otava not importable ({e}); otava results will be null", file=sys.stderr)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "otava", "reference.json")
HISTORY = os.path.join(ROOT, "demo", "history")

WINDOW_LEN = 50
MAX_PVALUE = 0.001
MIN_MAGNITUDE = 0.0
CALL = (f"otava.analysis.compute_change_points(values, window_len={WINDOW_LEN}, "
        f"max_pvalue={MAX_PVALUE}, min_magnitude={MIN_MAGNITUDE})")
FIRST_PASS_PVALUE = MAX_PVALUE * 10 if MAX_PVALUE < 0.05 else (MAX_PVALUE * 2 if MAX_PVALUE < 0.5 else MAX_PVALUE)

# tools/make-demo-history.sh: runs 1..18, reservations latency 40 ms -> 100 ms from run 12 on
DEMO_REGRESSION_FROM_RUN = 12


def cp_json(cp):
    s = cp.stats
    return {
        "index": int(cp.index),
        "mean_before": float(s.mean_1),
        "mean_after": float(s.mean_2),
        "std_before": float(s.std_1),
        "std_after": float(s.std_2),
        "pvalue": float(s.pvalue),
        "forward_change_percent": float(s.forward_change_percent()),
        "qhat": float(cp.qhat),
    }


def run_otava(values):
    if otava_analysis is None:
        return None
    values = [float(v) for v in values]
    cps, _ = otava_analysis.compute_change_points(
        list(values), window_len=WINDOW_LEN, max_pvalue=MAX_PVALUE, min_magnitude=MIN_MAGNITUDE)
    weak = otava_analysis.split(list(values), WINDOW_LEN, FIRST_PASS_PVALUE)
    return {
        "change_points": [cp_json(c) for c in cps],
        "weak_change_points": [cp_json(c) for c in weak],
    }


# ---------------------------------------------------------------- demo history
def demo_series():
    tsv = os.path.join(HISTORY, "runs.tsv")
    with open(tsv, newline="") as f:
        files = [row["file"] for row in csv.DictReader(f, delimiter="\t")]
    if len(files) < 18:
        print(f"warning: {tsv} lists only {len(files)} runs (18 expected)", file=sys.stderr)
    metrics = [
        ("demo-reservations-p95", "http_req_duration{endpoint:reservations}",
         [DEMO_REGRESSION_FROM_RUN - 1],
         "reservations endpoint 40 ms -> 100 ms from run 12 (index 11)"),
        ("demo-overall-p95", "http_req_duration",
         [DEMO_REGRESSION_FROM_RUN - 1],
         "all requests; only the reservations endpoint slows down from run 12 (index 11)"),
        ("demo-health-p95", "http_req_duration{endpoint:health}", [],
         "health endpoint; unchanged server settings over all runs"),
    ]
    docs = [json.load(open(os.path.join(HISTORY, name))) for name in files]
    out = []
    for name, metric, planted, desc in metrics:
        values = [float(d["metrics"][metric]["p(95)"]) for d in docs]
        planted = [i for i in planted if i < len(values)]
        out.append({
            "name": name,
            "description": desc,
            "source": {"runs_tsv": "demo/history/runs.tsv", "files": files,
                       "metric": metric, "field": "p(95)"},
            "values": values,
            "planted_change_points": planted,
            "otava": run_otava(values),
        })
    return out


# ---------------------------------------------------------------- synthetic
def noisy(levels, noise_pct, seed):
    """levels: per-point true value; multiplicative Gaussian noise; rounded to 3 decimals."""
    rng = np.random.default_rng(seed)
    levels = np.asarray(levels, dtype=float)
    v = levels * (1.0 + rng.normal(0.0, noise_pct / 100.0, len(levels)))
    return [round(float(x), 3) for x in v]


def steps(n, base, changes):
    """changes: list of (index, new_level)."""
    lv = [base] * n
    for idx, level in changes:
        for i in range(idx, n):
            lv[i] = level
    return lv


def synthetic_series():
    specs = []

    def add(name, desc, seed, noise_pct, levels, planted, post=None):
        values = noisy(levels, noise_pct, seed)
        if post:
            values = post(values)
        specs.append({
            "name": name,
            "description": desc,
            "generator": {"numpy_default_rng_seed": seed, "noise_pct": noise_pct,
                          "noise": "value = level * (1 + N(0, noise_pct/100)), rounded to 3 decimals"},
            "values": values,
            "planted_change_points": planted,
        })

    add("step-up-50pct", "20 points, 50 ms -> 75 ms (+50 %) at index 12, 3 % noise",
        42, 3.0, steps(20, 50.0, [(12, 75.0)]), [12])
    add("step-down-40pct", "20 points, 100 ms -> 60 ms (-40 %) at index 10, 3 % noise",
        43, 3.0, steps(20, 100.0, [(10, 60.0)]), [10])
    add("two-steps", "30 points, 50 ms -> 70 ms at index 10 -> 45 ms at index 20, 3 % noise",
        44, 3.0, steps(30, 50.0, [(10, 70.0), (20, 45.0)]), [10, 20])
    add("two-steps-up", "30 points, 50 ms -> 65 ms at index 10 -> 80 ms at index 20, 3 % noise",
        51, 3.0, steps(30, 50.0, [(10, 65.0), (20, 80.0)]), [10, 20])

    def outlier(values):
        values = list(values)
        values[8] = round(values[8] * 1.8, 3)
        return values
    add("stable-one-outlier", "15 points at 50 ms, 3 % noise, index 8 multiplied by 1.8 (an outlier, not a change)",
        45, 3.0, [50.0] * 15, [], post=outlier)
    add("stable-noise", "30 points at 50 ms, 3 % noise, no change",
        46, 3.0, [50.0] * 30, [])
    add("linear-drift", "30 points, 50 ms growing +0.5 % per point (50*(1+0.005 i)), 1 % noise, no step",
        47, 1.0, [50.0 * (1.0 + 0.005 * i) for i in range(30)], [])
    add("short-step", "6 points, 50 ms -> 75 ms at index 3, 2 % noise",
        48, 2.0, steps(6, 50.0, [(3, 75.0)]), [3])
    add("small-step-5pct", "30 points, 50 ms -> 52.5 ms (+5 %) at index 15, 1 % noise",
        49, 1.0, steps(30, 50.0, [(15, 52.5)]), [15])
    add("long-step-60", "60 points, 50 ms -> 65 ms (+30 %) at index 40, 3 % noise (longer than the 50-point window)",
        50, 3.0, steps(60, 50.0, [(40, 65.0)]), [40])

    for s in specs:
        s["otava"] = run_otava(s["values"])
    return specs


def main():
    import importlib.metadata as md
    doc = {
        "generated_by": "tools/reference/make-otava-reference.py",
        "otava": {
            "package": "apache-otava",
            "version": OTAVA_VERSION,
            "installed": OTAVA_VERSION is not None,
            "call": CALL,
            "window_len": WINDOW_LEN,
            "max_pvalue": MAX_PVALUE,
            "min_magnitude": MIN_MAGNITUDE,
            "weak_change_points_call": f"otava.analysis.split(values, {WINDOW_LEN}, {FIRST_PASS_PVALUE})",
            "index_meaning": "index of the first value after the change",
        },
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "series": demo_series() + synthetic_series(),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT, ROOT)} (otava {OTAVA_VERSION})")
    for s in doc["series"]:
        found = None if s["otava"] is None else [c["index"] for c in s["otava"]["change_points"]]
        print(f"  {s['name']:<24} n={len(s['values']):<3} planted={s['planted_change_points']} otava={found}")


if __name__ == "__main__":
    main()
