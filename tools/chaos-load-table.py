#!/usr/bin/env python3
"""Timings, checks and the table of the "load under fault" pairs that
tools/make-chaos-load-history.sh makes (pair-NN.chaos.json, pair-NN.k6.json,
pair-NN.k6.ndjson.gz in one folder).

    chaos-load-table.py --write-runs DIR DETAILS.tsv FIRST_DAY
        check each pair's real timings and write DIR/runs.tsv (made-up CI context)
    chaos-load-table.py --table DIR DETAILS.tsv
        print the table of the pairs
    chaos-load-table.py --readme DIR DETAILS.tsv README SLOW_FROM EXTRA OVERRIDES
        print the table and (re)write the "Load under fault" section of README

DETAILS.tsv: pair, server seed, --recovery-extra-s, orchestrator exit, k6 exit.

Checks (exit 1 with a message when one fails): k6's first sample comes after the
orchestrator started and before k6 saw the fault; k6 saw healthy PMS answers
again before its last sample (it covers the recovery); k6's last sample comes
before the orchestrator ended; and so the k6 stream's span, placed at its
made-up start, lies inside the chaos run's span at its made-up start.
"""

import csv
import datetime as dt
import gzip
import hashlib
import json
import math
import re
import sys

FAULTED_ENDPOINT = "availability"  # k6's tag for the experiment's target /api/v1/pms/availability
SLOW_MS = 200  # the orchestrator's healthy_latency_ms


def parse_time(text):
    """ISO 8601 with up to nanoseconds and a Z -> seconds since the epoch (float)."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text)
    if not m:
        raise ValueError("not an ISO 8601 UTC time: %r" % text)
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    frac = float("0." + m.group(2)) if m.group(2) else 0.0
    return base.timestamp() + frac


def iso_ms(seconds):
    t = dt.datetime.fromtimestamp(seconds, dt.timezone.utc)
    text = t.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return text.replace(".000Z", "Z")


def details(path):
    return list(csv.DictReader(open(path), delimiter="\t"))


def stream(path):
    """What the NDJSON stream says: first and last sample time, and the faulted
    endpoint's requests as (time, duration ms, status)."""
    first = last = None
    faulted = []
    with gzip.open(path, "rt") as f:
        for line in f:
            d = json.loads(line)
            if d.get("type") != "Point":
                continue
            t = parse_time(d["data"]["time"])
            first = t if first is None else min(first, t)
            last = t if last is None else max(last, t)
            tags = d["data"]["tags"]
            if d["metric"] == "http_req_duration" and tags.get("endpoint") == FAULTED_ENDPOINT:
                faulted.append((t, d["data"]["value"], tags.get("status")))
    faulted.sort()
    return first, last, faulted


def pair_facts(out, row):
    nn = row["pair"]
    chaos = json.load(open("%s/pair-%s.chaos.json" % (out, nn)))
    if chaos.get("format") != "perfdb-chaos-result" or chaos.get("version") != 1:
        sys.exit("pair-%s.chaos.json: not a perfdb-chaos-result v1 file" % nn)
    k6 = json.load(open("%s/pair-%s.k6.json" % (out, nn)))["metrics"]
    first, last, faulted = stream("%s/pair-%s.k6.ndjson.gz" % (out, nn))
    c0, c1 = parse_time(chaos["started_at"]), parse_time(chaos["ended_at"])
    bad = [(t, ms, st) for t, ms, st in faulted if ms > SLOW_MS or st != "200"]
    if not bad:
        sys.exit("pair-%s: k6 saw no slow or failed %s request: it missed the fault" % (nn, FAULTED_ENDPOINT))
    fault_from, fault_to = bad[0][0], bad[-1][0]
    healthy_after = [t for t, ms, st in faulted if t > fault_to]
    problems = []
    if not c0 < first:
        problems.append("k6 started before the orchestrator")
    if not first < fault_from:
        problems.append("k6 started after the fault")
    if len(healthy_after) < 3:
        problems.append("k6 ended before the recovery (%d healthy requests after it)" % len(healthy_after))
    if not last < c1:
        problems.append("k6 ended %.3f s after the orchestrator" % (last - c1))
    if problems:
        sys.exit("pair-%s: %s" % (nn, "; ".join(problems)))
    return {
        "chaos": chaos, "k6": k6, "first": first, "last": last, "c0": c0, "c1": c1,
        "fault_from": fault_from, "fault_to": fault_to, "faulted": faulted, "bad": bad,
    }


def write_runs(out, details_path, first_day):
    day0 = dt.datetime.strptime(first_day, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    rows = []
    for i, row in enumerate(details(details_path)):
        nn = row["pair"]
        f = pair_facts(out, row)
        chaos_start = (day0 + dt.timedelta(days=i, hours=10)).timestamp()
        # round the offset up and the chaos duration down to whole milliseconds: stored
        # spans are in milliseconds, and the k6 span must stay inside the chaos span
        offset_ms = math.ceil((f["first"] - f["c0"]) * 1000)
        k6_ms = math.ceil((f["last"] - f["first"]) * 1000)
        chaos_ms = math.floor(f["chaos"]["duration_s"] * 1000)
        if not offset_ms + k6_ms <= chaos_ms:
            sys.exit("pair-%s: k6 span %d+%d ms does not fit in the chaos span %d ms" % (nn, offset_ms, k6_ms, chaos_ms))
        k6_start = chaos_start + offset_ms / 1000.0
        commit = hashlib.sha1(("chaos-load-commit-%d" % int(nn)).encode()).hexdigest()
        build = str(4000 + int(nn))
        rows.append(("pair-%s.chaos.json" % nn, nn, commit, build, "main", "-", iso_ms(chaos_start), "-"))
        for name in ("k6.json", "k6.ndjson.gz"):
            rows.append(("pair-%s.%s" % (nn, name), nn, commit, build, "main", "load", iso_ms(k6_start), row["k6_exit"]))
        print("pair-%s: orchestrator %s .. %s (%.3f s); k6 samples %s .. %s (%.3f s), from +%.3f s to +%.3f s "
              "of the chaos run; k6 saw the fault on %s from +%.3f s to +%.3f s of its run" % (
                  nn, f["chaos"]["started_at"], f["chaos"]["ended_at"], f["chaos"]["duration_s"],
                  iso_ms(f["first"]), iso_ms(f["last"]), f["last"] - f["first"], f["first"] - f["c0"],
                  f["last"] - f["c0"], FAULTED_ENDPOINT, f["fault_from"] - f["first"], f["fault_to"] - f["first"]))
    with open(out + "/runs.tsv", "w") as w:
        w.write("file\tpair\tcommit\tbuild\tbranch\tscenario\tstarted_at\texit_code\n")
        for r in rows:
            w.write("\t".join(r) + "\n")


def table(out, details_path):
    lines = [
        "| pair | server seed | extra recovery (s) | p95 / p99 all (ms) | p95 / p99 availability (ms) "
        "| availability > %d ms or failed | k6 saw the fault (s) | error rate (%%) | requests (failed) "
        "| k6 exit | MTTR (s) | chaos availability (%%) | chaos outcome |" % SLOW_MS,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in details(details_path):
        f = pair_facts(out, row)
        m, c = f["k6"], f["chaos"]["metrics"]
        allr = m["http_req_duration"]
        ep = m["http_req_duration{endpoint:%s}" % FAULTED_ENDPOINT]
        failed = m["http_req_failed"]
        requests = m["http_reqs"]["count"]
        # summary export: a Rate's "passes" counts the non-zero samples, here the failed requests
        lines.append("| %s | %s | %s | %.1f / %.1f | %.1f / %.1f | %d of %d (%.0f %%) | %.1f | %.2f | %d (%d) | %s | %s | %s | %s |" % (
            row["pair"], row["seed"], row["extra"], allr["p(95)"], allr["p(99)"], ep["p(95)"], ep["p(99)"],
            len(f["bad"]), len(f["faulted"]), 100.0 * len(f["bad"]) / len(f["faulted"]),
            f["fault_to"] - f["fault_from"], 100.0 * failed["value"], requests, failed["passes"],
            row["k6_exit"], c["mttr_s"], c["availability_pct"], f["chaos"]["outcome"]))
    return "\n".join(lines)


SECTION = """## Load under fault

`chaos-load/` holds {pairs} pairs, each a k6 run made *while* a chaos experiment injected its fault
into the same hotel-booking API stand-in, as a CI pipeline would have produced them, one pair a day
at 10:00Z from 2026-11-12 on (between the load runs of `history/`, two hours before that day's
PMS run of `chaos/`). For each pair `pair-01` … `pair-{last}`:

- `pair-NN.chaos.json`: the real orchestrator's result (tools/chaos-orchestrator/run.py,
  `perfdb-chaos-result` v1) of *PMS struggling* (`pms-failure-recovery`, family `pms`, EXCEPTION
  on `/api/v1/pms/availability`: 2 % of PMS calls fail and all are 400 ms slow), shortened to a
  9 s fault with `recovery_s` 3; it checks the steady state with 8 probes before and after the
  fault and calls the API recovered after 40 healthy probes in a row (8 s), so that the experiment
  outlasts the k6 run on both sides (overrides: `{overrides}`).
- `pair-NN.k6.json` and `pair-NN.k6.ndjson.gz`: the `k6 run --summary-export` file and the raw
  `--out json=` stream (gzip) of one and the same k6 run of the `load` scenario (as in `history/`:
  ramp to 10 VUs over 8 s, hold 10 s, down 2 s; k6 v1.1.0), launched half a second after the
  orchestrator: its first sample comes about a second later, still before the fault is injected,
  and its last one after the recovery, while the orchestrator still confirms it. k6 exits 99
  when a threshold is crossed (`http_req_failed` rate < 1 % is the one the fault can cross).

`runs.tsv` gives each file a made-up CI context to ingest it with: both files of a pair share the
commit (sha1 of `chaos-load-commit-N`) and the build (4001+), branch `main`; the k6 files have
scenario `load` and k6's exit code (ingest them with `--environment staging`, like `history/`).
The chaos run starts at 10:00:00Z, and its k6 files at that time plus the real offset between
the orchestrator's start and k6's first sample, so the k6 run's span lies inside the chaos run's
span as it did. perfdb stores a chaos run from its `--started-at` for its `duration_s`, and a k6
stream from its `--started-at` for the time between its first and last sample; a summary export
has no times, so only its start is stored. tools/demo-db.sh ingests each chaos run and, with
`--bucket 1` (one-second timeline buckets: the fault lasts seconds), its k6 stream, which perfdb
links to the chaos run by time; the summary exports are the same runs and stay out of the demo.

**The degradation grows from pair-{slow:02d} on**: from there the server runs with
`--recovery-extra-s {extra}` (as in `chaos/` from pms-06 on): it needs {extra} s more to come back
after the PMS fault is cleared, so the chaos run's MTTR rises by about {extra} s and the k6 run
spends that much longer under the fault: more of its PMS calls are slow or fail, its error rate
rises and it makes fewer requests. The fault's own latency does not change, so the p95 and p99
of the faulted endpoint stay near 400-480 ms in every pair (the fault covers well over 5 % of its
requests in all of them); the growth shows in the share of slow or failed requests, the time k6
saw the fault, the error rate and the request count. Each pair has its own server seed
(4000 + N), so run-to-run noise is real; the 2 % PMS errors are drawn at random. "k6 saw the
fault" is the time from the first to the last slow (> 200 ms) or failed availability request in
the stream; the percentiles, error rate and requests come from the summary export.

{table}

Re-made by `tools/make-chaos-load-history.sh` (about three minutes; the numbers change a little each
time), which also rewrites this section; the table comes from tools/chaos-load-table.py. Run it
after `tools/make-demo-history.sh`, which rewrites the whole README.
"""


def readme(out, details_path, readme_path, slow_from, extra, overrides):
    t = table(out, details_path)
    rows = details(details_path)
    section = SECTION.format(pairs=len(rows), last=rows[-1]["pair"], slow=int(slow_from), extra=extra,
                             overrides=json.dumps(json.loads(overrides)), table=t)
    text = open(readme_path).read()
    text = re.sub(r"\n## Load under fault\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip("\n")
    open(readme_path, "w").write(text + "\n\n" + section)
    print(t)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "--write-runs":
        write_runs(*args)
    elif mode == "--table":
        print(table(*args))
    elif mode == "--readme":
        readme(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
