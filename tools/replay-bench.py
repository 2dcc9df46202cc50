#!/usr/bin/env python3
"""False alarms of the gate on real run-to-run noise: the stable runs of demo/history replayed.

  tools/replay-bench.py [--perfdb PATH] [--histories N] [--runs N] [--seed N] [--jobs N]
                        [--config FILE] [--out FILE]

demo/history holds 18 real k6 `--summary-export` files of one scenario; runs 1-11 are stable
(the regression starts at run 12). A history here is --runs (40) of those eleven, in random
order, one shuffle of all eleven after another (so no run follows itself), each file ingested
as a new run (a trailing blank line per position keeps the content digests apart) and checked
with `perfdb check ID --format json` the way judge-bench does. Every series the files hold is
judged as it would be in CI, the sub-millisecond ones included (http_req_receiving, sending,
blocked: p95 moving 0.15-0.30 ms between the real runs), which the synthetic judge-bench
histories do not hold. Every exit 2 is a false alarm; the series that raised it are counted.

A benchmark, not a test: it prints false-alarm runs / runs judged, warnings and the series
behind them, and writes them to --out (.build/replay-bench/result.json)."""

import argparse
import collections
import concurrent.futures
import datetime
import json
import os
import random
import shutil
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HISTORY = os.path.join(ROOT, "demo", "history")
STABLE = ["run-%02d.json" % i for i in range(1, 12)]
T0 = datetime.datetime(2026, 1, 5, 9, 0, 0, tzinfo=datetime.timezone.utc)
SPACING = datetime.timedelta(hours=8)


def order(rng, runs):
    """`runs` files: shuffles of the stable eleven, no file twice in a row."""
    files = []
    while len(files) < runs:
        block = STABLE[:]
        rng.shuffle(block)
        if files and block[0] == files[-1]:
            block[0], block[-1] = block[-1], block[0]
        files.extend(block)
    return files[:runs]


def replay(task):
    h, args, workdir = task
    rng = random.Random("%d-%d" % (args.seed, h))
    folder = os.path.join(workdir, "h%03d" % h)
    os.makedirs(folder)
    if args.config:
        shutil.copy(args.config, os.path.join(folder, "perfdb.yml"))
    db = os.path.join(folder, "replay.sqlite")
    exits, series = [], []
    for i, name in enumerate(order(rng, args.runs)):
        path = os.path.join(folder, "run.json")
        with open(os.path.join(HISTORY, name)) as source, open(path, "w") as target:
            target.write(source.read() + "\n" * (i + 1))
        started = (T0 + i * SPACING).strftime("%Y-%m-%dT%H:%M:%SZ")
        ingest = subprocess.run(
            [args.perfdb, "ingest", path, "--db", db, "--scenario", "load", "--branch", "main",
             "--commit", "%040x" % (h * 1000 + i), "--started-at", started, "--exit-code", "0",
             "--output-format", "json", "--quiet"],
            cwd=folder, capture_output=True, text=True)
        if ingest.returncode != 0:
            raise SystemExit("replay-bench: ingest failed: " + ingest.stderr.strip())
        run_id = json.loads(ingest.stdout)["runs"][0]["run"]
        check = subprocess.run(
            [args.perfdb, "check", str(run_id), "--db", db, "--format", "json"],
            cwd=folder, capture_output=True, text=True)
        exits.append(check.returncode)
        doc = json.loads(check.stdout) if check.stdout.strip() else {}
        series.append([(v["series"] + " " + v["stat"], v["verdict"])
                       for v in doc.get("series", [])
                       if v.get("verdict") in ("regression", "warning")])
    shutil.rmtree(folder, ignore_errors=True)
    return {"h": h, "exits": exits, "series": series}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--perfdb", default=os.path.join(ROOT, ".build", "release", "perfdb"))
    ap.add_argument("--histories", type=int, default=100)
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--config", help="a perfdb.yml every history is judged with (the defaults)")
    ap.add_argument("--out", default=os.path.join(ROOT, ".build", "replay-bench", "result.json"))
    args = ap.parse_args()
    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    workdir = tempfile.mkdtemp(prefix="replay-bench-", dir=base)
    try:
        with concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(replay, [(h, args, workdir) for h in range(args.histories)]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    judged = sum(1 for r in results for code in r["exits"] if code in (0, 1, 2))
    alarms = sum(1 for r in results for code in r["exits"] if code == 2)
    warnings = sum(1 for r in results for code in r["exits"] if code == 1)
    behind = collections.Counter(
        "%s (%s)" % (name, verdict) for r in results for run in r["series"]
        for name, verdict in run)
    print("replayed %d histories of %d runs: false alarms %d / %d runs judged, warnings %d"
          % (args.histories, args.runs, alarms, judged, warnings))
    for name, count in behind.most_common(12):
        print("  %4d  %s" % (count, name))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"settings": vars(args), "false_alarms": alarms, "judged": judged,
                   "warnings": warnings, "series": dict(behind), "histories": results}, f,
                  indent=1)
    print("wrote " + os.path.relpath(args.out))


if __name__ == "__main__":
    main()
