#!/usr/bin/env python3
"""How well perfdb's gate judges: false alarms, recall, detection delay and change points on
synthetic histories built from real k6 samples (a benchmark, not a test).

  tools/judge-bench.py [--perfdb PATH] [--histories N] [--runs N] [--cases a,b,...]
                       [--formats summary,stream] [--stream-histories N] [--jobs N] [--seed N]
                       [--quick] [--requests N] [--out FILE] [--workdir DIR] [--keep]
                       [--no-otava] [--noise demo|calm] [--calm-cv PCT] [--smooth]

Cost: a summary history (40 runs: 120 perfdb calls) takes about 3 s with a release build; a
raw-stream history 20-50 s, as a stream check of its ~100 series takes 0.3-1 s (whatever the
request count), against a few hundredths for a summary. So every history is judged from its
summaries and the first --stream-histories (3; --quick: 2) of each case from its streams too:
the default bench (13 cases x 20 histories) takes 15-20 minutes on 2 cores; --quick (4
histories of 7 cases) a few minutes (15-20 with a debug build). The databases go to /dev/shm
when there is one: judgment is measured, not fsync.

Samples. Every `http_req_duration` point of the real k6 v1.1.0 streams under
Tests/Fixtures/k6-ndjson/ (all but thresholds-crossed, whose server injected 400 ms and 15 %
errors), pooled per request kind (name, method, group): seven `name`s, /api/v1/reservations
with a POST and a GET.

Noise. demo/history holds 18 real `--summary-export` files of one scenario; over the stable
runs 1-11 the run-to-run CV of p95 per endpoint is measured (the `endpoint` tag: health is
/health/live + /health/ready). Part of it is the sampling noise of a p95 over a run's 131
requests per kind; the rest is a per-run lognormal factor per endpoint, exp(s Z), with
s = sqrt(CV_observed^2 - CV_sampling^2) (CV_sampling by bootstrap at the real run's request
count; 0 when sampling alone explains the CV). The endpoints share part of it as the demo's do:
Z = sqrt(rho) Z_run + sqrt(1 - rho) Z_endpoint, rho the mean correlation between endpoints of
log p95 over the same runs. The fit is checked by simulation and written to the result.

A history: --runs runs (40) of one scenario, 8 h apart. Per run and request kind, --requests
(250) requests resampled from the pool (bootstrap; with --smooth each drawn value times
exp(s Z), s the kind's Silverman bandwidth of log latency, 0.03-0.04: with more requests a run
than the pool holds, a plain bootstrap's p95 hops between a few pool values), times the
endpoint's factor of that run, times the case's change. Cases (each --histories times,
seeded; r0 drawn in [15, 30); history h changes the (h mod 7)-th name of an order that takes
the slowest and the fastest p95 in turn, so every case has the same mix of slow and ~7 ms
endpoints):
  none              no change
  step+5 ... +50    one endpoint x1.05 / 1.10 / 1.20 / 1.50 from r0 on
  step-20           one endpoint x0.80 from r0 on (an improvement)
  creep+1           one endpoint x(1 + 0.01 (i - r0 + 1)) from r0 on
  outlier           run r0: every endpoint x1.3; the runs after it are normal
  noise4            the fitted factor's s times 4, no change
  noise4-step+10    the same with a +10 % step
  tail10x3 / tail5x3 / tail10x2   from r0 on, 10 % (5 %) of one endpoint's requests x3 (x2)

Each run is written as k6 writes it, twice: a `--summary-export` JSON (avg/min/med/max/p(90)/
p(95), percentiles at rank p(n-1); the `http_req_duration{name:...}` submetrics a threshold
names; http_reqs, http_req_failed, checks, iterations, vus, vus_max; root_group) and a gzip
NDJSON stream (Metric lines, then Point lines tagged expected_response, group, method, name,
proto, scenario, status, url). Per history and format, a fresh SQLite file; per run
`perfdb ingest` (with --exit-code 0 and --output-format json, as docs/ci/'s recipes call it),
`perfdb check ID --format json` (verdicts stored) and `perfdb baseline drift --fail-on drift`; after the last run `perfdb trend --series 'http_req_duration{name:E}' --stat
p95 --change-points` of the changed endpoint E. The p95 perfdb stores per endpoint must equal
the summary's within 0.1 % (from the streams: HdrHistogram buckets); the result says how close.

Peers on the same per-run p95 series of E: a naive rule (p95 > 1.10 x the mean of the previous
10 runs) and Apache Otava 0.8.0 (`compute_change_points(values, window_len=50,
max_pvalue=0.001, min_magnitude=0.0)`, a plain list, as tools/reference/make-otava-reference.py
calls it) on the prefix after every run: it alarms when a change point in the bad direction
appears that was not there one run before. Otava lives in .build/judge-bench-venv (made with
pip when missing).

The bound: for each step case, the recall within 2 and within 5 bad runs of an oracle that
knows the changed endpoint, its true noise, the level before and r0, and alarms at 10^-4 false
alarms per run when the bad runs' mean change stands out (oracle_recall): no gate can expect to
find more, so a target above it cannot be met at that noise.

Noise profiles: --noise demo (above) or --noise calm, where every endpoint's p95 moves
--calm-cv % (1 %) between identical runs: the factor's s fills what sampling at --requests
requests a kind leaves (with 250, the ~7 ms endpoints' sampling alone moves p95 2-4 %; with
1,000 or more, about a calm service measured over a longer run).

Measured per case and tool: false-alarm runs (exit 2 before r0, all runs of a stable history;
warnings, exit 1 with a series' warning, counted apart; an exit 1 that an SLO alone causes is
reported apart and counts as a pass); the same for check with only the changed endpoint's
series (in the result); recall (flagged with exit 2 within 2 / 5 bad runs / at all)
and the median delay from r0; improvements called regressions; after an outlier, the runs
flagged; change points of E after the last run (exactly at r0, within +-1, missed, spurious);
drift's false alarms and whether a creep is flagged before +8 %.

Prints progress lines and a Markdown table; writes every number to --out
(.build/judge-bench/result.json)."""

import argparse
import concurrent.futures
import datetime
import gzip
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STREAMS = os.path.join(ROOT, "Tests", "Fixtures", "k6-ndjson")
HISTORY = os.path.join(ROOT, "demo", "history")
VENV = os.path.join(ROOT, ".build", "judge-bench-venv")
OTAVA_VERSION = "0.8.0"

# Streams whose server ran with the demo's settings (latency default=5, pms=25, reservations=40,
# jitter 0.2); thresholds-crossed ran with reservations=400 ms and 15 % PMS errors.
POOL_STREAMS = ["load", "spike", "interrupted", "smoke", "default-stats"]
STABLE_DEMO_RUNS = range(1, 12)  # demo/history: the regression starts at run 12
DEMO_REQUESTS_PER_KIND = 131  # requests per kind in each demo run (131 iterations)
ITERATIONS_PER_SECOND = 6.35  # the demo runs' iteration rate (131 in 20.6 s)
SCENARIO = "load"
T0 = datetime.datetime(2026, 1, 5, 9, 0, 0, tzinfo=datetime.timezone.utc)
RUN_SPACING = datetime.timedelta(hours=8)
NAIVE_WINDOW, NAIVE_FACTOR = 10, 1.10
GATE_FIRST_RUN = 5  # the gate needs 5 baseline runs: run index 5 is the first it can judge
CREEP_LIMIT_PCT = 8

# name -> (kind, parameters); the order is the table's.
CASES = {
    "none": ("none", {}),
    "step+5": ("step", {"factor": 1.05}),
    "step+10": ("step", {"factor": 1.10}),
    "step+20": ("step", {"factor": 1.20}),
    "step+50": ("step", {"factor": 1.50}),
    "step-20": ("step", {"factor": 0.80}),
    "creep+1": ("creep", {"per_run": 0.01}),
    "outlier": ("outlier", {"factor": 1.3}),
    "noise4": ("none", {"noise": 4.0}),
    "noise4-step+10": ("step", {"factor": 1.10, "noise": 4.0}),
    "tail10x3": ("tail", {"share": 0.10, "factor": 3.0}),
    "tail5x3": ("tail", {"share": 0.05, "factor": 3.0}),
    "tail10x2": ("tail", {"share": 0.10, "factor": 2.0}),
}
QUICK_CASES = ["none", "step+10", "step+50", "step-20", "creep+1", "outlier", "tail10x3"]
FORMATS = ["summary", "stream"]
PLURAL = {"summary": "summaries", "stream": "streams"}


def log(message):
    print(message, flush=True)


# ------------------------------------------------------------------------------ real data


def load_pool():
    """Every http_req_duration sample of the real streams, per request kind, in the order of a
    k6 iteration. Returns (kinds, values): kinds a list of dicts, values a list of arrays."""
    order, values = [], {}
    for stem in POOL_STREAMS:
        with gzip.open(os.path.join(STREAMS, stem + ".ndjson.gz"), "rt") as f:
            for line in f:
                if '"metric":"http_req_duration","type":"Point"' not in line:
                    continue
                data = json.loads(line)["data"]
                tags = data["tags"]
                key = (tags["name"], tags["method"], tags["group"])
                if key not in values:
                    order.append(key)
                    values[key] = {"endpoint": tags.get("endpoint", tags["name"]),
                                   "url": tags.get("url", tags["name"]), "samples": []}
                values[key]["samples"].append(float(data["value"]))
    kinds = [{"name": k[0], "method": k[1], "group": k[2], "endpoint": values[k]["endpoint"],
              "url": values[k]["url"], "pool": len(values[k]["samples"])} for k in order]
    return kinds, [np.asarray(values[k]["samples"]) for k in order]


def demo_cv():
    """Run-to-run CV (%) of p95 per endpoint tag over the demo's stable runs, and the mean
    correlation between endpoints of log p95 (how much of a run's noise the endpoints share)."""
    per = {}
    for number in STABLE_DEMO_RUNS:
        with open(os.path.join(HISTORY, "run-%02d.json" % number)) as f:
            metrics = json.load(f)["metrics"]
        for key, stats in metrics.items():
            if key.startswith("http_req_duration{endpoint:"):
                per.setdefault(key[len("http_req_duration{endpoint:"):-1], []).append(stats["p(95)"])
    names = sorted(per)
    corr = np.corrcoef(np.log([per[e] for e in names]))
    shared = float(np.mean(corr[np.triu_indices(len(names), 1)]))
    return {e: {"runs": len(v), "mean_p95": float(np.mean(v)),
                "cv_pct": float(np.std(v, ddof=1) / np.mean(v) * 100)} for e, v in per.items()}, \
        min(1.0, max(0.0, shared))


def run_factors(rng, sigmas, shared, noise=1.0):
    """One run's lognormal factor per endpoint: exp(s_e (sqrt(rho) Z + sqrt(1 - rho) Z_e))."""
    common = rng.normal()
    return {e: math.exp(noise * sigmas[e] * (math.sqrt(shared) * common
                                             + math.sqrt(1.0 - shared) * rng.normal()))
            for e in sorted(sigmas)}


def bandwidths(pool):
    """Per request kind, the kernel a smoothed bootstrap draws with: Silverman's rule of thumb
    on the log of the kind's samples, 0.9 min(sd, IQR / 1.349) n^(-1/5)."""
    out = []
    for p in pool:
        logs = np.log(p)
        q75, q25 = np.percentile(logs, [75, 25])
        spread = min(float(np.std(logs, ddof=1)), float(q75 - q25) / 1.349)
        out.append(0.9 * spread * len(p) ** -0.2)
    return out


def resample(rng, p, n, bandwidth):
    """n requests drawn from the pool p with replacement; with a bandwidth, each times
    exp(bandwidth Z) (a smoothed bootstrap: the latencies a pool of a few hundred stands for,
    not only its few hundred values)."""
    values = p[rng.integers(len(p), size=n)]
    if bandwidth > 0:
        values = values * np.exp(bandwidth * rng.normal(size=n))
    return values


def endpoint_p95s(kinds, samples, endpoints):
    """p95 per endpoint of one run whose per-kind samples are `samples`."""
    out = {}
    for e in endpoints:
        out[e] = float(np.quantile(np.concatenate(
            [s for k, s in zip(kinds, samples) if k["endpoint"] == e]), 0.95))
    return out


def calibrate(kinds, pool, widths, cv, shared, seed, requests, calm_cv=None, reps=3000):
    """The per-run lognormal factor's s per endpoint, reproducing the demo's p95 CV at the demo's
    request count (or, with `calm_cv`, a p95 CV of calm_cv % for every endpoint at `requests`
    requests a kind); checked by simulating `reps` runs with it at `requests`."""
    rng = np.random.default_rng([seed, 1])
    endpoints = sorted({k["endpoint"] for k in kinds})
    def simulate(sigmas, n):
        rows = []
        for _ in range(reps):
            factors = run_factors(rng, sigmas, shared)
            runs = [resample(rng, p, n, w) * factors[k["endpoint"]]
                    for k, p, w in zip(kinds, pool, widths)]
            rows.append(endpoint_p95s(kinds, runs, endpoints))
        return {e: float(np.std([r[e] for r in rows], ddof=1) / np.mean([r[e] for r in rows]) * 100)
                for e in endpoints}

    # The demo's CV is matched at the demo's request count; a calm one at the bench's.
    sampling = simulate({e: 0.0 for e in endpoints},
                        DEMO_REQUESTS_PER_KIND if calm_cv is None else requests)
    observed, sigmas = {}, {}
    for e in endpoints:
        observed[e] = cv.get(e, {}).get("cv_pct") if calm_cv is None else calm_cv
        if observed[e] is None:
            raise SystemExit("judge-bench: demo/history has no p95 of endpoint %s" % e)
        sigmas[e] = math.sqrt(max(0.0, (observed[e] / 100) ** 2 - (sampling[e] / 100) ** 2))
    check = simulate(sigmas, requests)
    return {e: {"observed_cv_pct": observed[e], "sampling_cv_pct": sampling[e],
                "sigma": sigmas[e], "simulated_cv_pct": check[e]} for e in endpoints}


# ------------------------------------------------------------------------------ histories


def case_seed(seed, case, h):
    return [seed, zlib.crc32(case.encode()), h]


def r0_range(runs):
    lo = min(15, max(GATE_FIRST_RUN + 1, runs // 2))
    hi = max(lo + 1, min(30, runs - 5))
    return lo, hi


def endpoint_order(kinds, pool):
    """The seven names, slowest and fastest p95 in turn, so that every case changes the same mix
    of slow (25-50 ms) and fast (~7 ms) endpoints, whatever --histories is."""
    p95 = {}
    for k, p in zip(kinds, pool):
        p95.setdefault(k["name"], []).append(p)
    ranked = sorted(p95, key=lambda nm: (-float(np.quantile(np.concatenate(p95[nm]), 0.95)), nm))
    order = []
    while ranked:
        order.append(ranked.pop(0))
        if ranked:
            order.append(ranked.pop())
    return order


def generate_history(case, h, cfg, kinds, pool, sigmas, shared):
    """The per-kind samples of every run of one history, with its r0 and changed endpoint."""
    kind, params = CASES[case]
    rng = np.random.default_rng(case_seed(cfg["seed"], case, h))
    lo, hi = r0_range(cfg["runs"])
    r0 = int(rng.integers(lo, hi))
    changed = cfg["endpoint_order"][h % len(cfg["endpoint_order"])]
    endpoints = sorted({k["endpoint"] for k in kinds})
    noise = params.get("noise", 1.0)
    n = cfg["requests"]
    runs = []
    for i in range(cfg["runs"]):
        factors = run_factors(rng, sigmas, shared, noise)
        samples = []
        for k, p, w in zip(kinds, pool, cfg["bandwidths"]):
            values = resample(rng, p, n, w) * factors[k["endpoint"]]
            if kind == "outlier" and i == r0:
                values = values * params["factor"]
            if k["name"] == changed and i >= r0:
                if kind == "step":
                    values = values * params["factor"]
                elif kind == "creep":
                    values = values * (1.0 + params["per_run"] * (i - r0 + 1))
                elif kind == "tail":
                    chosen = rng.choice(n, size=int(round(params["share"] * n)), replace=False)
                    values = values.copy()
                    values[chosen] *= params["factor"]
            samples.append(np.round(values, 6))
        runs.append(samples)
    return {"case": case, "h": h, "kind": kind, "r0": r0 if kind != "none" else None,
            "endpoint": changed, "runs": runs}


# ------------------------------------------------------------------------------ k6 files


def trend_stats(values):
    q = np.quantile(values, [0.5, 0.9, 0.95])
    return {"avg": float(np.mean(values)), "min": float(np.min(values)),
            "med": float(q[0]), "max": float(np.max(values)),
            "p(90)": float(q[1]), "p(95)": float(q[2])}


def md5(text):
    return hashlib.md5(text.encode()).hexdigest()


def run_duration(n):
    return n / ITERATIONS_PER_SECOND


def summary_export(kinds, samples):
    """A k6 `--summary-export` document of one run (k6's default summaryTrendStats)."""
    n = len(samples[0])
    total = len(kinds) * n
    duration = run_duration(n)
    everything = np.concatenate(samples)
    metrics = {}
    metrics["http_reqs"] = {"count": total, "rate": total / duration}
    metrics["http_req_duration"] = dict(trend_stats(everything), thresholds={"p(95)<3000": False})
    metrics["http_req_duration{expected_response:true}"] = trend_stats(everything)
    for name in sorted({k["name"] for k in kinds}):
        values = np.concatenate([s for k, s in zip(kinds, samples) if k["name"] == name])
        metrics["http_req_duration{name:%s}" % name] = dict(
            trend_stats(values), thresholds={"p(95)<3000": False})
    metrics["http_req_failed"] = {"passes": 0, "fails": total, "value": 0,
                                  "thresholds": {"rate<0.01": False}}
    metrics["checks"] = {"passes": 2 * total, "fails": 0, "value": 1,
                         "thresholds": {"rate>0.99": False}}
    metrics["iterations"] = {"count": n, "rate": n / duration}
    metrics["vus"] = {"value": 1, "min": 1, "max": 10}
    metrics["vus_max"] = {"value": 10, "min": 10, "max": 10}
    groups = {}
    for k in kinds:
        group = k["group"][2:]
        g = groups.setdefault(group, {"name": group, "path": k["group"], "id": md5(k["group"]),
                                      "groups": {}, "checks": {}})
        for check in ("status is 200", "body not empty"):
            path = "%s::%s" % (k["group"], check)
            c = g["checks"].setdefault(check, {"name": check, "path": path, "id": md5(path),
                                               "passes": 0, "fails": 0})
            c["passes"] += n
    root = {"name": "", "path": "", "id": md5(""), "groups": groups, "checks": {}}
    return json.dumps({"root_group": root, "metrics": metrics}, indent=4)


def rfc3339(ns):
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + ".%09dZ" % fraction


def metric_line(name, mtype, contains, thresholds, submetrics=None):
    return json.dumps({"type": "Metric", "data": {
        "name": name, "type": mtype, "contains": contains, "thresholds": thresholds,
        "submetrics": submetrics}, "metric": name}, separators=(",", ":")) + "\n"


def point_line(metric, ns, value, tags):
    return '{"metric":"%s","type":"Point","data":{"time":"%s","value":%s,"tags":%s}}\n' % (
        metric, rfc3339(ns), value, tags)


def fmt_value(v):
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def k6_stream(kinds, samples, started_ns):
    """The lines of a k6 `--out json` stream of one run, in time order."""
    n = len(samples[0])
    names = sorted({k["name"] for k in kinds})
    sub = [{"name": "http_req_duration{name:%s}" % nm, "suffix": "name:%s" % nm,
            "tags": {"name": nm}} for nm in names]
    sub.append({"name": "http_req_duration{expected_response:true}",
                "suffix": "expected_response:true", "tags": {"expected_response": "true"}})
    head = {
        "vus": metric_line("vus", "gauge", "default", []),
        "vus_max": metric_line("vus_max", "gauge", "default", []),
        "http_reqs": metric_line("http_reqs", "counter", "default", []),
        "http_req_duration": metric_line("http_req_duration", "trend", "time",
                                         ["p(95)<3000"], sub),
        "http_req_failed": metric_line("http_req_failed", "rate", "default", ["rate<0.01"]),
        "checks": metric_line("checks", "rate", "default", ["rate>0.99"]),
        "iterations": metric_line("iterations", "counter", "default", []),
    }
    seen = set()
    out = []

    def point(metric, ns, value, tags):
        if metric not in seen:
            seen.add(metric)
            out.append(head[metric])
        out.append(point_line(metric, ns, value, tags))

    request_tags = [json.dumps({"expected_response": "true", "group": k["group"],
                                "method": k["method"], "name": k["name"], "proto": "HTTP/1.1",
                                "scenario": SCENARIO, "status": "200", "url": k["url"]},
                               separators=(",", ":")) for k in kinds]
    check_tags = [[json.dumps({"check": c, "group": k["group"], "scenario": SCENARIO},
                              separators=(",", ":")) for c in ("status is 200", "body not empty")]
                  for k in kinds]
    iteration_tags = json.dumps({"group": "", "scenario": SCENARIO}, separators=(",", ":"))
    period_ns = int(run_duration(n) / n * 1e9)
    next_vus_ns = started_ns
    for j in range(n):
        ns = started_ns + j * period_ns
        while next_vus_ns <= ns:
            point("vus", next_vus_ns, 10, "{}")
            point("vus_max", next_vus_ns, 10, "{}")
            next_vus_ns += 1_000_000_000
        for x, k in enumerate(kinds):
            value = samples[x][j]
            ns += int(value * 1e6) + 150_000
            point("http_reqs", ns, 1, request_tags[x])
            point("http_req_duration", ns, fmt_value(value), request_tags[x])
            point("http_req_failed", ns, 0, request_tags[x])
            point("checks", ns + 90_000, 1, check_tags[x][0])
            point("checks", ns + 90_000, 1, check_tags[x][1])
        point("iterations", ns + 1_000_000, 1, iteration_tags)
    return "".join(out)


# ------------------------------------------------------------------------------ perfdb


def perfdb_env():
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    return {k: v for k, v in os.environ.items() if k in keep}


def call(perfdb, args, cwd, env):
    started = time.monotonic()
    p = subprocess.run([perfdb] + args, cwd=cwd, env=env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - started


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def compact_check(doc, endpoint):
    """What the benchmark keeps of one `perfdb check --format json`: the series that changed, and
    the changed endpoint's p95 whatever its verdict (verdict, change %, z, minimum detectable
    change %, Mann-Whitney p, baseline runs)."""
    if doc is None:
        return None
    flagged = []
    mine = "http_req_duration{name:%s}" % endpoint
    p95 = None
    for s in doc.get("series", []):
        if s["series"] == mine and s["stat"] == "p95":
            p95 = [s.get("verdict"),
                   None if s.get("change_pct") is None else round(s["change_pct"], 3),
                   None if s.get("z") is None else round(s["z"], 3),
                   None if s.get("detectable_change_pct") is None
                   else round(s["detectable_change_pct"], 3),
                   s.get("mann_whitney_p"), s.get("n")]
        if s.get("verdict") in ("regression", "warning", "improved"):
            flagged.append([s["series"], s["stat"], s["verdict"],
                            None if s.get("change_pct") is None else round(s["change_pct"], 3),
                            None if s.get("z") is None else round(s["z"], 3),
                            s.get("mann_whitney_p"), s.get("n")])
    baseline = doc.get("baseline") or {}
    return {"verdict": doc.get("verdict"), "counts": doc.get("counts"),
            "slo": (doc.get("slo") or {}).get("overall_status"),
            "baseline_runs": len(baseline.get("runs") or []),
            "held_back_at": baseline.get("held_back_at"),
            "outlier": baseline.get("outlier"),
            "endpoint_p95": p95,
            "flagged": flagged,
            "change_points": [[c.get("series"), c.get("stat"), c.get("run_id"), c.get("direction"),
                               None if c.get("change_pct") is None else round(c["change_pct"], 3)]
                              for c in doc.get("change_points") or []]}


def compact_drift(doc):
    if doc is None:
        return None
    return [[s["series"], s["stat"], s.get("drifted"), s.get("creeping"),
             None if s.get("drift_pct") is None else round(s["drift_pct"], 3),
             None if s.get("slope_pct_per_week") is None else round(s["slope_pct_per_week"], 3)]
            for s in doc.get("series", []) if s.get("drifted") or s.get("creeping")]


def run_format(fmt, hist, cfg, kinds, workdir):
    """Ingest, check and drift after every run of one history in one format; trend at the end."""
    perfdb, env = cfg["perfdb"], perfdb_env()
    os.makedirs(workdir, exist_ok=True)
    if cfg.get("config"):
        shutil.copy(cfg["config"], os.path.join(workdir, "perfdb.yml"))
    db = os.path.join(workdir, "bench.sqlite")
    endpoint = hist["endpoint"]
    out = {"ids": [], "check_exit": [], "check": [], "drift_exit": [], "drift": [],
           "seconds": {"write": 0.0, "ingest": 0.0, "check": 0.0, "drift": 0.0, "trend": 0.0},
           "errors": []}
    for i, samples in enumerate(hist["runs"]):
        started = T0 + i * RUN_SPACING
        t = time.monotonic()
        if fmt == "summary":
            path = os.path.join(workdir, "run-%02d.json" % (i + 1))
            with open(path, "w") as f:
                f.write(summary_export(kinds, samples))
        else:
            path = os.path.join(workdir, "run-%02d.ndjson.gz" % (i + 1))
            ns = int(started.timestamp()) * 1_000_000_000
            with gzip.open(path, "wt", compresslevel=1) as f:
                f.write(k6_stream(kinds, samples, ns))
        out["seconds"]["write"] += time.monotonic() - t
        commit = hashlib.sha1(("%s-%d-%d" % (hist["case"], hist["h"], i)).encode()).hexdigest()
        code, stdout, stderr, took = call(perfdb, [
            "ingest", path, "--db", db, "--scenario", SCENARIO, "--environment", "bench",
            "--branch", "main", "--commit", commit,
            "--started-at", started.strftime("%Y-%m-%dT%H:%M:%SZ"), "--exit-code", "0",
            "--output-format", "json", "--quiet"], workdir, env)
        out["seconds"]["ingest"] += took
        doc = parse_json(stdout)
        if code != 0 or not doc:
            out["errors"].append("run %d: ingest exit %d: %s" % (i + 1, code, stderr.strip()[:300]))
            break
        run_id = doc["runs"][0]["run"]
        out["ids"].append(run_id)
        if not cfg["keep"]:
            os.remove(path)
        code, stdout, stderr, took = call(perfdb, ["check", str(run_id), "--db", db,
                                                   "--format", "json"], workdir, env)
        out["seconds"]["check"] += took
        out["check_exit"].append(code)
        out["check"].append(compact_check(parse_json(stdout), endpoint))
        if code not in (0, 1, 2, 3):
            out["errors"].append("run %d: check exit %d: %s" % (i + 1, code, stderr.strip()[:300]))
        code, stdout, stderr, took = call(perfdb, [
            "baseline", "drift", "--db", db, "--format", "json", "--fail-on", "drift",
            "--scenario", SCENARIO], workdir, env)
        out["seconds"]["drift"] += took
        out["drift_exit"].append(code)
        out["drift"].append(compact_drift(parse_json(stdout)))
        if code not in (0, 2):
            out["errors"].append("run %d: drift exit %d: %s" % (i + 1, code, stderr.strip()[:300]))
    code, stdout, stderr, took = call(perfdb, [
        "trend", "--db", db, "--series", "http_req_duration{name:%s}" % endpoint, "--stat", "p95",
        "--change-points", "--format", "json", "--last", "1000"], workdir, env)
    out["seconds"]["trend"] = took
    doc = parse_json(stdout)
    index = {run_id: i for i, run_id in enumerate(out["ids"])}
    if code != 0 or doc is None:
        out["errors"].append("trend exit %d: %s" % (code, stderr.strip()[:300]))
        out["trend"] = None
    else:
        out["trend"] = {
            "values": [p["value"] for p in doc["points"]],
            "change_points": [{"index": index.get(c["run_id"]), "before": c["before"],
                               "after": c["after"], "change_pct": c["change_pct"],
                               "p_value": c["p_value"], "direction": c["direction"]}
                              for c in doc["change_points"]]}
    # The p95 per endpoint perfdb stored, for the comparison with the summaries' figures.
    code, stdout, stderr, _ = call(perfdb, [
        "query", "SELECT m.run_id AS run, s.name AS series, m.value AS value FROM measurement m "
        "JOIN series s ON s.id = m.series_id WHERE m.statistic = 'p95' "
        "AND s.name LIKE 'http_req_duration{name:%'", "--db", db, "--format", "json"],
        workdir, env)
    stored = {}
    for row in parse_json(stdout) or []:
        if row["run"] in index:
            stored.setdefault(row["series"][len("http_req_duration{name:"):-1], {})[
                index[row["run"]]] = row["value"]
    out["stored_p95"] = stored
    out["seconds"]["total"] = sum(out["seconds"].values())
    if not cfg["keep"]:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


def run_history(task):
    """One history, generated once and judged in every format (a worker process)."""
    case, h, formats, cfg, kinds, pool, sigmas, shared = task
    started = time.monotonic()
    hist = generate_history(case, h, cfg, kinds, pool, sigmas, shared)
    names = sorted({k["name"] for k in kinds})
    p95 = {nm: [] for nm in names}
    for samples in hist["runs"]:
        for nm in names:
            p95[nm].append(float(np.quantile(np.concatenate(
                [s for k, s in zip(kinds, samples) if k["name"] == nm]), 0.95)))
    result = {"case": case, "h": h, "kind": hist["kind"], "r0": hist["r0"],
              "endpoint": hist["endpoint"], "p95": p95[hist["endpoint"]], "formats": {}}
    worst = {}
    for fmt in formats:
        workdir = os.path.join(cfg["workdir"], "%s-%02d" % (case, h), fmt)
        r = run_format(fmt, hist, cfg, kinds, workdir)
        deviation = 0.0
        missing = 0
        for nm in names:
            for i, value in enumerate(p95[nm]):
                got = r["stored_p95"].get(nm, {}).get(i)
                if got is None:
                    missing += 1
                else:
                    deviation = max(deviation, abs(got - value) / value * 100)
        r["p95_agreement"] = {"max_deviation_pct": deviation, "missing": missing}
        del r["stored_p95"]
        worst[fmt] = deviation
        result["formats"][fmt] = r
    result["seconds"] = time.monotonic() - started
    return result


# ------------------------------------------------------------------------------ peers


def naive_levels(values):
    levels = []
    for i, v in enumerate(values):
        if i < NAIVE_WINDOW:
            levels.append(None)
        else:
            levels.append(2 if v > NAIVE_FACTOR * float(np.mean(values[i - NAIVE_WINDOW:i])) else 0)
    return levels


OTAVA_SCRIPT = r"""
import json, sys
import otava.analysis as oa
series = json.load(sys.stdin)
out = {}
for key, values in series.items():
    prefixes = []
    for n in range(1, len(values) + 1):
        if n < 3:
            prefixes.append([])
            continue
        cps, _ = oa.compute_change_points([float(v) for v in values[:n]], window_len=50,
                                          max_pvalue=0.001, min_magnitude=0.0)
        prefixes.append([[int(c.index), float(c.stats.mean_1), float(c.stats.mean_2),
                          float(c.stats.pvalue)] for c in cps])
    out[key] = prefixes
json.dump(out, sys.stdout)
"""


def ensure_otava():
    """The venv's python with apache-otava importable, made with pip when missing; or None."""
    python = os.path.join(VENV, "bin", "python")
    probe = "import otava.analysis, importlib.metadata as m; print(m.version('apache-otava'))"

    def version():
        if not os.path.exists(python):
            return None
        p = subprocess.run([python, "-c", probe], capture_output=True, text=True)
        return p.stdout.strip() if p.returncode == 0 else None

    found = version()
    if found == OTAVA_VERSION:
        return python
    log("otava: installing apache-otava==%s into %s" % (OTAVA_VERSION, os.path.relpath(VENV, ROOT)))
    try:
        if not os.path.exists(python):
            subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "apache-otava==%s" % OTAVA_VERSION],
                       check=True)
    except (subprocess.CalledProcessError, OSError) as e:
        log("otava: install failed (%s); the Otava column stays empty" % e)
        return None
    found = version()
    if found != OTAVA_VERSION:
        log("otava: apache-otava %s importable, %s wanted; the Otava column stays empty"
            % (found, OTAVA_VERSION))
        return None
    return python


def run_otava(python, series):
    p = subprocess.run([python, "-c", OTAVA_SCRIPT], input=json.dumps(series),
                       capture_output=True, text=True)
    if p.returncode != 0:
        log("otava: failed: %s" % p.stderr.strip()[-500:])
        return None
    return json.loads(p.stdout)


def otava_levels(prefixes):
    """Alarm (2) at run i when a change point upwards appears that the prefix before lacked."""
    levels, before = [], set()
    for i, cps in enumerate(prefixes):
        now = {c[0] for c in cps if c[2] > c[1]}
        if i < GATE_FIRST_RUN:
            levels.append(None)
        else:
            levels.append(2 if now - before else 0)
        before = now
    return levels


# ------------------------------------------------------------------------------ scoring


def check_level(code, doc):
    """2 regression, 1 a series' warning, 0 pass (or an SLO's warning alone), None not judged."""
    counts = (doc or {}).get("counts") or {}
    if code not in (0, 1, 2) or (counts and counts.get("insufficient-data", 0) == sum(counts.values())):
        return None
    if code == 1 and not counts.get("warning"):
        return 0
    return code


def check_levels(fr):
    return [check_level(c, d) for c, d in zip(fr["check_exit"], fr["check"])]


def endpoint_levels(fr, endpoint):
    """check's levels counting only regressions of series of the changed endpoint."""
    tag = "name:%s" % endpoint
    out = []
    for code, doc in zip(fr["check_exit"], fr["check"]):
        level = check_level(code, doc)
        if level:
            hits = [f for f in doc["flagged"] if tag in f[0] and f[2] in ("regression", "warning")]
            level = 2 if any(f[2] == "regression" for f in hits) else (1 if hits else 0)
        out.append(level)
    return out


def slo_only_runs(fr):
    """Runs whose exit 1 comes from an SLO alone (no series warned)."""
    return sum(1 for c, d in zip(fr["check_exit"], fr["check"])
               if c == 1 and d and not (d.get("counts") or {}).get("warning"))


def false_alarm_series(histories, fmt, tool):
    """Which series and statistics raised the false alarms (before r0), and how often."""
    seen = {}
    for hist in histories:
        fr = hist["formats"].get(fmt)
        if not fr:
            continue
        r0 = hist["r0"] if hist["r0"] is not None else len(fr["check_exit"])
        for i in range(min(r0, len(fr["check_exit"]))):
            if tool == "check" and fr["check_exit"][i] == 2 and fr["check"][i]:
                keys = ["%s %s" % (f[0], f[1]) for f in fr["check"][i]["flagged"]
                        if f[2] == "regression"]
            elif tool == "drift" and fr["drift_exit"][i] == 2:
                keys = ["%s %s%s" % (f[0], f[1], " creeping" if f[3] else "")
                        for f in fr["drift"][i] or []]
            else:
                continue
            for key in keys:
                seen[key] = seen.get(key, 0) + 1
    return dict(sorted(seen.items(), key=lambda kv: -kv[1]))


def drift_levels(exits):
    return [None if c not in (0, 2) else c for c in exits]


def score_alarms(histories, levels_of):
    """False alarms, recall, delay, improvements called regressions, runs blocked after an
    outlier: over the histories of one case, for one tool's alarm levels per run."""
    fa = warn = judged = fa_hist = 0
    delays, warn_delays = [], []
    within2 = within5 = detected = 0
    blocked_runs = blocked_hist = outlier_flagged = 0
    creep_early = 0
    n = 0
    for hist in histories:
        levels = levels_of(hist)
        if levels is None:
            continue
        n += 1
        r0 = hist["r0"] if hist["r0"] is not None else len(levels)
        pre = [x for x in levels[:r0] if x is not None]
        judged += len(pre)
        fa += sum(1 for x in pre if x == 2)
        warn += sum(1 for x in pre if x == 1)
        fa_hist += any(x == 2 for x in pre)
        if hist["kind"] == "none":
            continue
        if r0 >= len(levels):
            continue
        if hist["kind"] == "outlier":
            outlier_flagged += levels[r0] == 2
            after = [x for x in levels[r0 + 1:] if x == 2]
            blocked_runs += len(after)
            blocked_hist += bool(after)
            continue
        first = next((i for i in range(r0, len(levels)) if levels[i] == 2), None)
        first_warn = next((i for i in range(r0, len(levels)) if levels[i] in (1, 2)), None)
        if first_warn is not None:
            warn_delays.append(first_warn - r0)
        if first is not None:
            detected += 1
            delays.append(first - r0)
            within2 += first - r0 <= 1
            within5 += first - r0 <= 4
            creep_early += (first - r0 + 1) < CREEP_LIMIT_PCT
    return {"histories": n, "judged_runs_before_r0": judged, "false_alarm_runs": fa,
            "warning_runs": warn, "histories_with_false_alarm": fa_hist,
            "detected": detected, "within_2": within2, "within_5": within5,
            "median_delay": statistics.median(delays) if delays else None,
            "median_first_warning_delay": statistics.median(warn_delays) if warn_delays else None,
            "delays": delays, "outlier_flagged": outlier_flagged,
            "blocked_runs_after_outlier": blocked_runs,
            "histories_blocked_after_outlier": blocked_hist,
            "creep_before_%d_pct" % CREEP_LIMIT_PCT: creep_early}


def score_change_points(histories, cps_of):
    exact = near = missed = spurious = spurious_hist = n = 0
    for hist in histories:
        cps = cps_of(hist)
        if cps is None:
            continue
        n += 1
        indexes = [c for c in cps if c is not None]
        r0 = hist["r0"]
        expect = hist["kind"] not in ("none", "outlier")
        if expect:
            exact += r0 in indexes
            hit = any(abs(i - r0) <= 1 for i in indexes)
            near += hit
            missed += not hit
            wrong = [i for i in indexes if abs(i - r0) > 1]
        else:
            wrong = indexes
        spurious += len(wrong)
        spurious_hist += bool(wrong)
    return {"histories": n, "exact": exact, "within_1": near, "missed": missed,
            "spurious": spurious, "histories_with_spurious": spurious_hist}


def tools_of(cfg):
    """(key, title, alarm levels of a history, change points of a history or None)."""
    out = []
    for fmt in cfg["formats"]:
        out.append(("check-" + fmt, "perfdb check (%s)" % PLURAL[fmt],
                    lambda h, f=fmt: check_levels(h["formats"][f])
                    if f in h["formats"] else None, None))
        out.append(("check-%s-endpoint" % fmt, "perfdb check (%s), the changed endpoint's series"
                    % PLURAL[fmt], lambda h, f=fmt: endpoint_levels(h["formats"][f], h["endpoint"])
                    if f in h["formats"] else None, None))
    for fmt in cfg["formats"]:
        out.append(("drift-" + fmt, "drift (%s)" % PLURAL[fmt],
                    lambda h, f=fmt: drift_levels(h["formats"][f]["drift_exit"])
                    if f in h["formats"] else None, None))
    for fmt in cfg["formats"]:
        out.append(("trend-" + fmt, "trend change points (%s)" % PLURAL[fmt], None,
                    lambda h, f=fmt: [c["index"] for c in h["formats"][f]["trend"]["change_points"]]
                    if f in h["formats"] and h["formats"][f].get("trend") else None))
    out.append(("naive", "naive (p95 > 1.10 x mean of 10)", lambda h: naive_levels(h["p95"]), None))
    out.append(("otava", "Otava 0.8.0", lambda h: h.get("otava_levels"),
                lambda h: h.get("otava_final")))
    return out


def alarm_cell(case, s):
    if not s or not s["histories"]:
        return "–"
    kind = CASES[case][0]
    n = s["histories"]
    fa = "FA %d/%d" % (s["false_alarm_runs"], s["judged_runs_before_r0"])
    if s["warning_runs"]:
        fa += " (w %d)" % s["warning_runs"]
    frozen = ""
    if s.get("histories_held_back_at_end"):
        frozen = " · held back %d/%d" % (s["histories_held_back_at_end"], n)
    if kind == "none":
        return "%s · %d/%d hist%s" % (fa, s["histories_with_false_alarm"], n, frozen)
    if kind == "outlier":
        return "outlier %d/%d · blocked after %d runs (%d/%d hist) · %s%s" % (
            s["outlier_flagged"], n, s["blocked_runs_after_outlier"],
            s["histories_blocked_after_outlier"], n, fa, frozen)
    if case == "step-20":
        return "called regression %d/%d · %s" % (s["detected"], n, fa)
    delay = "–" if s["median_delay"] is None else "%g" % s["median_delay"]
    cell = "%d/%d/%d of %d · d %s · %s" % (s["within_2"], s["within_5"], s["detected"], n, delay, fa)
    if kind == "creep":
        cell += " · <+8 %%: %d/%d" % (s["creep_before_%d_pct" % CREEP_LIMIT_PCT], n)
    return cell


def cp_cell(case, s):
    if not s or not s["histories"]:
        return "–"
    if CASES[case][0] in ("none", "outlier"):
        return "spurious %d (%d/%d hist)" % (s["spurious"], s["histories_with_spurious"],
                                             s["histories"])
    return "exact %d · ±1 %d · missed %d · spurious %d of %d" % (
        s["exact"], s["within_1"], s["missed"], s["spurious"], s["histories"])


def markdown_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
    return "\n".join([line(header), "| " + " | ".join("-" * w for w in widths) + " |"]
                     + [line(r) for r in rows])


ORACLE_FA_PER_RUN = 1e-4


def oracle_recall(cases, results, calibration, kinds, reps=20000):
    """The most any gate could find of each step case, within 2 and within 5 bad runs: a test
    that knows the changed endpoint, its true run-to-run noise of log p95 (the simulated CV of
    the fitted noise, times the case's factor), the level before the step and the step's run
    r0, and alarms at 10^-4 false alarms per run on that one series (z >= 3.72) when the mean
    log change of the bad runs so far, times their root count, reaches it. Any real gate knows
    less (neither the noise nor r0, nor which of its series changed), so it finds at most this
    many; the expected count over the case's histories."""
    z = statistics.NormalDist().inv_cdf(1 - ORACLE_FA_PER_RUN)
    rng = np.random.default_rng(20261202)
    tag = {k["name"]: k["endpoint"] for k in kinds}
    out = {}
    for case in cases:
        kind, params = CASES[case]
        if kind != "step" or params["factor"] <= 1:
            continue
        within2 = within5 = 0.0
        n = 0
        for r in results:
            if r["case"] != case:
                continue
            n += 1
            sigma = calibration[tag[r["endpoint"]]]["simulated_cv_pct"] / 100
            sigma *= params.get("noise", 1.0)
            delta = math.log(params["factor"]) / sigma
            draws = rng.normal(size=(reps, 5)) + delta
            k = np.arange(1, 6)
            stat = np.cumsum(draws, axis=1) / np.sqrt(k)
            hit = stat >= z
            within2 += float(np.mean(hit[:, :2].any(axis=1)))
            within5 += float(np.mean(hit.any(axis=1)))
        out[case] = {"histories": n, "within_2": within2, "within_5": within5}
    return out


def render(cfg, scores):
    fmts = cfg["formats"]
    main = fmts[0]
    cols = [("check-%s" % f, "perfdb check (%s)" % PLURAL[f], alarm_cell) for f in fmts]
    cols += [("drift-%s" % main, "drift (%s)" % PLURAL[main], alarm_cell),
             ("trend-%s" % main, "trend change points (%s)" % PLURAL[main], cp_cell),
             ("naive", "naive 1.10 × mean(10)", alarm_cell),
             ("otava", "Otava 0.8.0 (per run)", alarm_cell)]
    rows = [[case] + [fn(case, scores[case].get(key)) for key, _, fn in cols]
            for case in cfg["cases"]]
    text = [markdown_table(["case"] + [t for _, t, _ in cols], rows)]
    more = []
    for f in fmts[1:]:
        more += [("drift-%s" % f, "drift (%s)" % PLURAL[f], alarm_cell),
                 ("trend-%s" % f, "trend change points (%s)" % PLURAL[f], cp_cell)]
    more.append(("otava-cp", "Otava change points (last run)", cp_cell))
    rows = [[case] + [fn(case, scores[case].get(key)) for key, _, fn in more]
            for case in cfg["cases"]]
    text.append("")
    text.append(markdown_table(["case"] + [t for _, t, _ in more], rows))
    text.append("")
    text.append(
        "Alarm cells: flagged (exit 2) within 2 / within 5 bad runs / at all, of N histories · "
        "d = median runs from r0 to the first flag · FA = runs flagged before r0 (every run of a "
        "stable history) / runs judged, w = warnings (exit 1) among them. step-20: histories with "
        "a regression after the improvement. outlier: the outlier run flagged, and runs flagged "
        "after it; held back = histories whose automatic baseline still stops before an unaccepted "
        "regression at the last run. creep: <+8 % = flagged before the creep adds up to +8 %. "
        "Change points of the "
        "changed endpoint's p95 after the last run: at r0 exactly, within ±1, missed (none "
        "within ±1), spurious (elsewhere; every one in a stable or outlier history).")
    return "\n".join(text)


def score(cfg, results):
    scores = {}
    for case in cfg["cases"]:
        hs = [r for r in results if r["case"] == case]
        s = {}
        for key, _, levels, cps in tools_of(cfg):
            if levels is not None:
                s[key] = score_alarms(hs, levels)
            if cps is not None:
                s[key if key.startswith("trend") else key + "-cp"] = score_change_points(hs, cps)
        for fmt in cfg["formats"]:
            with_fmt = [h for h in hs if fmt in h["formats"]]
            s["check-" + fmt]["slo_only_warning_runs"] = sum(
                slo_only_runs(h["formats"][fmt]) for h in with_fmt)
            s["check-" + fmt]["false_alarm_series"] = false_alarm_series(with_fmt, fmt, "check")
            s["drift-" + fmt]["false_alarm_series"] = false_alarm_series(with_fmt, fmt, "drift")
            s["check-" + fmt]["histories_held_back_at_end"] = sum(
                1 for h in with_fmt if h["formats"][fmt]["check"]
                and (h["formats"][fmt]["check"][-1] or {}).get("held_back_at") is not None)
        scores[case] = s
    return scores


# ------------------------------------------------------------------------------ main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perfdb", default=os.path.join(ROOT, ".build", "release", "perfdb"),
                    help="the perfdb to judge (.build/release/perfdb)")
    ap.add_argument("--histories", type=int, help="histories per case (20; --quick: 4)")
    ap.add_argument("--runs", type=int, default=40, help="runs per history (40)")
    ap.add_argument("--cases", help="comma-separated, of: " + ", ".join(CASES))
    ap.add_argument("--formats", default="summary,stream", help="summary,stream")
    ap.add_argument("--stream-histories", type=int,
                    help="of each case's histories, how many are judged from streams too (3; "
                    "--quick: 2): a stream check costs 0.3-1 s, a summary's a few hundredths")
    ap.add_argument("--jobs", type=int, default=2, help="histories in parallel processes (2)")
    ap.add_argument("--seed", type=int, default=20261201, help="the same seed, the same histories")
    ap.add_argument("--requests", type=int, default=250,
                    help="requests per request kind and run (250; /api/v1/reservations has two)")
    ap.add_argument("--noise", choices=["demo", "calm"], default="demo",
                    help="demo: each endpoint's p95 moves run to run as in demo/history (0.5-0.9 %% "
                    "slow, 5-9 %% fast); calm: every endpoint's p95 moves --calm-cv %% (a calm "
                    "service measured with enough requests)")
    ap.add_argument("--calm-cv", type=float, default=1.0,
                    help="with --noise calm, the run-to-run CV of every endpoint's p95 (1.0 %%)")
    ap.add_argument("--smooth", action="store_true",
                    help="a smoothed bootstrap: every drawn request times exp(s Z), s the kind's "
                    "Silverman bandwidth of log latency (off: the pool's values only)")
    ap.add_argument("--config", help="a perfdb.yml every history is judged with (the defaults)")
    ap.add_argument("--quick", action="store_true", help="4 histories of %s" % ",".join(QUICK_CASES))
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "judge-bench", "result.json"),
                    help="the result with every number (.build/judge-bench/result.json)")
    ap.add_argument("--workdir", help="where the databases go (a new temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the databases and k6 files")
    ap.add_argument("--no-otava", action="store_true", help="leave Otava out")
    a = ap.parse_args()

    cases = a.cases.split(",") if a.cases else (QUICK_CASES if a.quick else list(CASES))
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        ap.error("unknown case(s) %s; known: %s" % (", ".join(unknown), ", ".join(CASES)))
    formats = a.formats.split(",")
    if not formats or any(f not in FORMATS for f in formats):
        ap.error("--formats takes summary and/or stream")
    histories = a.histories or (4 if a.quick else 20)
    stream_histories = histories if "stream" not in formats else min(histories, (
        a.stream_histories if a.stream_histories is not None else (2 if a.quick else 3)))
    if stream_histories <= 0:
        formats = [f for f in formats if f != "stream"]
        if not formats:
            ap.error("--stream-histories 0 leaves no format to judge")
    if a.runs < 20:
        ap.error("--runs must be at least 20")
    perfdb = os.path.abspath(a.perfdb)
    if not os.access(perfdb, os.X_OK):
        ap.error("no perfdb at %s" % perfdb)
    # Databases on tmpfs when there is one: the benchmark measures judgment, not fsync.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    workdir = a.workdir or tempfile.mkdtemp(prefix="judge-bench-", dir=shm)
    cfg = {"perfdb": perfdb, "runs": a.runs, "seed": a.seed, "requests": a.requests,
           "formats": formats, "cases": cases, "workdir": workdir, "keep": a.keep,
           "config": os.path.abspath(a.config) if a.config else None}
    version = subprocess.run([perfdb, "--version"], capture_output=True, text=True).stdout.strip()
    log("judge-bench: %s · %d cases × %d histories × %d runs · formats %s%s · %d requests per "
        "kind · jobs %d · seed %d" % (
            version, len(cases), histories, a.runs, ",".join(formats),
            " (streams: the first %d histories of each case)" % stream_histories
            if "stream" in formats and stream_histories < histories else "",
            a.requests, a.jobs, a.seed))

    otava_python = None if a.no_otava else ensure_otava()
    kinds, pool = load_pool()
    cfg["endpoint_order"] = endpoint_order(kinds, pool)
    cfg["bandwidths"] = bandwidths(pool) if a.smooth else [0.0] * len(pool)
    if a.smooth:
        log("smoothed bootstrap: kernel s %s" % ", ".join(
            "%s %.3f" % (k["name"], w) for k, w in zip(kinds, cfg["bandwidths"])))
    log("pool: %s" % ", ".join("%s %s %d" % (k["method"], k["name"], k["pool"]) for k in kinds))
    log("changed endpoint of history h: %s" % ", ".join(
        "%d %s" % (i, nm) for i, nm in enumerate(cfg["endpoint_order"])))
    cv, shared = demo_cv()
    calibration = calibrate(kinds, pool, cfg["bandwidths"], cv, shared, a.seed, a.requests,
                            a.calm_cv if a.noise == "calm" else None)
    sigmas = {e: c["sigma"] for e, c in calibration.items()}
    for e, c in sorted(calibration.items()):
        log("noise %-13s p95 CV %s %.2f %% = sampling %.2f %% (+) factor s %.4f -> simulated "
            "%.2f %% at %d requests" % (e, a.noise, c["observed_cv_pct"], c["sampling_cv_pct"],
                                        c["sigma"], c["simulated_cv_pct"], a.requests))
    log("noise shared between endpoints: rho %.2f (mean correlation of log p95 in the demo)"
        % shared)

    def task_formats(h):
        return [f for f in formats if f != "stream" or h < stream_histories]
    # The long ones (with streams) first, so that the two workers end together.
    tasks = sorted([(case, h, task_formats(h), cfg, kinds, pool, sigmas, shared)
                    for case in cases for h in range(histories)],
                   key=lambda t: (-len(t[2]), t[1], cases.index(t[0])))
    results = []
    started = time.monotonic()
    took = {}  # seconds per history, by the formats it is judged in
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        futures = {ex.submit(run_history, t): tuple(t[2]) for t in tasks}
        left = [tuple(t[2]) for t in tasks]
        for done, fut in enumerate(concurrent.futures.as_completed(futures), 1):
            r = fut.result()
            results.append(r)
            took.setdefault(futures[fut], []).append(r["seconds"])
            left.remove(futures[fut])
            mean = statistics.mean(x for v in took.values() for x in v)
            remaining = sum(statistics.mean(took.get(f, [mean])) for f in left) / max(1, a.jobs)
            parts = []
            for fmt, fr in r["formats"].items():
                exits = "".join("-" if x is None else "." if x == 0 else str(x)
                                for x in check_levels(fr))
                parts.append("%s %.1f s %s" % (fmt, fr["seconds"]["total"], exits))
                for e in fr["errors"][:3]:
                    log("  error (%s %d %s): %s" % (r["case"], r["h"], fmt, e))
            log("[%d/%d] %-15s h%-2d r0=%-4s %-26s %s · %.0f s elapsed, ~%.0f s left" % (
                done, len(tasks), r["case"], r["h"], r["r0"], r["endpoint"], " | ".join(parts),
                time.monotonic() - started, remaining))
    results.sort(key=lambda r: (cases.index(r["case"]), r["h"]))
    if not a.keep and not a.workdir:
        shutil.rmtree(workdir, ignore_errors=True)

    if otava_python:
        t = time.monotonic()
        answers = run_otava(otava_python, {"%s/%d" % (r["case"], r["h"]): r["p95"]
                                           for r in results})
        if answers:
            for r in results:
                prefixes = answers["%s/%d" % (r["case"], r["h"])]
                r["otava_levels"] = otava_levels(prefixes)
                r["otava_final"] = [c[0] for c in prefixes[-1]]
                r["otava_final_detail"] = prefixes[-1]
        log("otava: %d series, %.1f s" % (len(results), time.monotonic() - t))

    scores = score(cfg, results)
    by_endpoint = {nm: score(cfg, [r for r in results if r["endpoint"] == nm])
                   for nm in cfg["endpoint_order"] if any(r["endpoint"] == nm for r in results)}
    agreement = {}
    for fmt in formats:
        devs = [r["formats"][fmt]["p95_agreement"]["max_deviation_pct"] for r in results
                if fmt in r["formats"]]
        missing = sum(r["formats"][fmt]["p95_agreement"]["missing"] for r in results
                      if fmt in r["formats"])
        agreement[fmt] = {"max_deviation_pct": max(devs) if devs else None, "missing": missing}
    timing = {}
    for fmt in formats:
        secs = [r["formats"][fmt]["seconds"] for r in results if fmt in r["formats"]]
        runs = sum(len(r["formats"][fmt]["check_exit"]) for r in results
                   if fmt in r["formats"]) or 1
        timing[fmt] = {
            "per_history_s": statistics.median([s["total"] for s in secs]),
            "per_run_s": {k: sum(s[k] for s in secs) / runs
                          for k in ("write", "ingest", "check", "drift")}}
    errors = sum(len(fr["errors"]) for r in results for fr in r["formats"].values())

    table = render(cfg, scores)
    print()
    print(table)
    print()
    oracle = oracle_recall(cases, results, calibration, kinds)
    for case, o in oracle.items():
        log("oracle %-14s within 2 / within 5 bad runs: %.1f / %.1f of %d (expected; knows the "
            "noise, r0 and the series; 10^-4 false alarms per run)" % (
                case, o["within_2"], o["within_5"], o["histories"]))
    for fmt in formats:
        t = timing[fmt]
        log("%s: %.1f s per history (median) · per run: write %.3f s, ingest %.3f s, check %.3f s, "
            "drift %.3f s · stored p95 vs the summary's: max %.4f %% apart, %d missing" % (
                fmt, t["per_history_s"], t["per_run_s"]["write"], t["per_run_s"]["ingest"],
                t["per_run_s"]["check"], t["per_run_s"]["drift"],
                agreement[fmt]["max_deviation_pct"] or 0.0, agreement[fmt]["missing"]))
    for fmt in formats:
        slo_only = sum(scores[c]["check-" + fmt]["slo_only_warning_runs"] for c in cases)
        if slo_only:
            log("%s: %d check(s) exited 1 for an SLO alone, no series warned (counted as passes "
                "above; the built-in P99 SLO fails when a run has no p99, as k6's default "
                "summary export)" % (fmt, slo_only))
    bad = [f for f in formats if agreement[f]["missing"]
           or (agreement[f]["max_deviation_pct"] or 0) > 0.1]
    if bad:
        log("judge-bench: the p95 perfdb stored from %s differs from the summary's by more than "
            "0.1 %% (or is missing)" % ", ".join(bad))
    if errors:
        log("judge-bench: %d perfdb command(s) failed (see the errors above and in %s)" % (
            errors, a.out))

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump({
            "generated_by": "tools/judge-bench.py", "perfdb": version,
            "settings": {"histories": histories, "stream_histories": stream_histories,
                         "runs": a.runs, "cases": cases,
                         "formats": formats, "requests_per_kind": a.requests, "noise": a.noise,
                         "smoothed": a.smooth,
                         "config": a.config,
                         "calm_cv_pct": a.calm_cv if a.noise == "calm" else None, "seed": a.seed,
                         "jobs": a.jobs, "run_spacing_hours": 8, "t0": T0.isoformat(),
                         "r0_range": list(r0_range(a.runs)),
                         "endpoint_order": cfg["endpoint_order"],
                         "naive": {"window": NAIVE_WINDOW, "factor": NAIVE_FACTOR},
                         "otava": None if not otava_python else {
                             "version": OTAVA_VERSION,
                             "call": "compute_change_points(values, window_len=50, "
                                     "max_pvalue=0.001, min_magnitude=0.0)"}},
            "cases": {c: {"kind": CASES[c][0], **CASES[c][1]} for c in cases},
            "pool": kinds, "noise": {"endpoints": calibration, "shared_rho": shared},
            "oracle": oracle,
            "p95_agreement": agreement, "timing": timing,
            "elapsed_s": time.monotonic() - started,
            "scores": scores, "scores_by_endpoint": by_endpoint, "table": table,
            "histories": results,
        }, f, indent=1, allow_nan=False)
        f.write("\n")
    log("wrote %s" % os.path.relpath(os.path.abspath(a.out), os.getcwd()))
    return 1 if bad or errors else 0


if __name__ == "__main__":
    sys.exit(main())
