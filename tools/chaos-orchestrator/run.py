#!/usr/bin/env python3
"""Run one chaos experiment against the hotel API and write its result.

    run.py EXPERIMENT.json --base-url http://127.0.0.1:18080 --out result.json

The experiment file names the fault and how to observe it:

    {"id": "pms-failure-recovery", "name": "...", "family": "pms",
     "fault_type": "EXCEPTION", "blast_radius": "SINGLE_SERVICE",
     "target": "/api/v1/pms/availability", "intensity": 0.02,
     "fault_duration_s": 8, "probe_interval_s": 0.2, "recovery_s": 2,
     "mttr_target_s": 90}

Steps:
  1. steady state before: `steady_probes` probes of the target and /health/ready,
     all healthy. If not, nothing is injected and the outcome is "aborted".
  2. inject the fault with POST /admin/faults (fault_type -> server settings below).
  3. probe the target every probe_interval_s for fault_duration_s. After each probe,
     safety check: error rate > 50 % or availability < 50 % (once min_probes were
     made) rolls the fault back at once and the outcome is "aborted".
  4. clear the fault (DELETE /admin/faults) and keep probing until
     `healthy_probes` healthy probes in a row (or recovery_timeout_s). MTTR is the
     time from clearing the fault to the first of those healthy probes.
  5. steady state after, like 1.

A probe *succeeds* when it answers 200 within probe_timeout_s; it is *healthy*
when it also answers within healthy_latency_ms. Availability and error rate
count the probes made while the fault was active.

Outcome: "aborted" when rolled back (or steady state before failed), "failed"
when the steady state after failed or a target was missed (MTTR within
mttr_target_s, availability > 95 %, error rate < 5 %), "passed" otherwise.

fault_type -> server fault (for the target's group):
    LATENCY              latency_ms = intensity (ms)
    EXCEPTION            error_rate = intensity (0..1), answers 503
    TIMEOUT              hang intensity ms, then 504
    CIRCUIT_BREAK        error_rate = 1, no latency (fails fast)
    RATE_LIMIT           error_rate = intensity, answers 429
    RESOURCE_EXHAUSTION  latency_ms = intensity (ms) and error_rate = 0.1
An optional "latency_ms" in the experiment slows the group down on top of any
fault type (a PMS that fails now and then and is slow the rest of the time).
"""

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request

GROUP_OF = {
    "/health/live": "health", "/health/ready": "health",
    "/api/v1/webhooks/whatsapp": "whatsapp",
    "/api/v1/pms/availability": "pms", "/api/v1/pms/room-types": "pms",
    "/api/v1/reservations": "reservations", "/metrics": "metrics",
}
FAMILIES = {"network", "service", "database", "pms", "resource"}
BLAST_RADII = {"SINGLE_REQUEST", "SINGLE_SERVICE", "SERVICE_CLUSTER", "ENTIRE_SYSTEM"}
TARGETS = {"availability_pct": 95, "error_rate_pct": 5}
ABORT_ERROR_RATE_PCT = 50
ABORT_AVAILABILITY_PCT = 50

DEFAULTS = {
    "probe_interval_s": 0.25, "probe_timeout_s": 1.0, "healthy_latency_ms": 200,
    "steady_probes": 3, "healthy_probes": 3, "min_probes": 5,
    "recovery_s": 0, "recovery_timeout_s": 15, "mttr_target_s": 90,
    "group": None,  # "*" = every group but health; default: the target's group
}


def server_fault(fault_type, group, intensity):
    if fault_type == "LATENCY":
        return {"latency_ms": {group: intensity}}
    if fault_type == "EXCEPTION":
        return {"error_rate": {group: intensity}}
    if fault_type == "TIMEOUT":
        return {"timeout": {group: intensity}}
    if fault_type == "CIRCUIT_BREAK":
        return {"error_rate": {group: 1.0}, "latency_ms": {group: 0}}
    if fault_type == "RATE_LIMIT":
        return {"error_rate": {group: intensity}, "status": {group: 429}}
    if fault_type == "RESOURCE_EXHAUSTION":
        return {"latency_ms": {group: intensity}, "error_rate": {group: 0.1}}
    raise ValueError("unknown fault_type %r" % fault_type)


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def call(method, url, body=None, timeout=5.0):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


class Prober:
    def __init__(self, base_url, exp):
        self.base, self.exp = base_url, exp

    def probe(self, path):
        """One GET; returns (ok, healthy, status, ms)."""
        t0 = time.monotonic()
        try:
            status, _ = call("GET", self.base + path, timeout=self.exp["probe_timeout_s"])
        except urllib.error.HTTPError as e:
            status = e.code
        except (urllib.error.URLError, TimeoutError, OSError):
            status = None  # timed out or refused
        ms = (time.monotonic() - t0) * 1000
        ok = status == 200
        return ok, ok and ms <= self.exp["healthy_latency_ms"], status, ms

    def steady(self):
        for _ in range(self.exp["steady_probes"]):
            for path in (self.exp["target"], "/health/ready"):
                if not self.probe(path)[1]:
                    return False
            time.sleep(self.exp["probe_interval_s"])
        return True


def run(exp, base_url, log=sys.stderr):
    exp = {**DEFAULTS, **exp}
    for key in ("id", "name", "family", "fault_type", "blast_radius", "target", "fault_duration_s"):
        if key not in exp:
            raise ValueError("experiment needs %r" % key)
    if exp["family"] not in FAMILIES or exp["blast_radius"] not in BLAST_RADII:
        raise ValueError("bad family or blast_radius")
    group = exp["group"] or GROUP_OF[exp["target"]]
    fault = server_fault(exp["fault_type"], group, exp.get("intensity"))
    if exp.get("latency_ms") is not None:
        fault.setdefault("latency_ms", {})[group] = exp["latency_ms"]
    if exp["recovery_s"]:
        fault["recovery_s"] = exp["recovery_s"]
    prober = Prober(base_url, exp)

    started = time.time()
    rolled_back, reason, mttr = False, None, None
    total = failed = 0
    before = prober.steady()
    print("steady state before: %s" % before, file=log)
    if before:
        call("POST", base_url + "/admin/faults", fault)
        print("fault injected: %s" % json.dumps(fault), file=log)
        end = time.monotonic() + exp["fault_duration_s"]
        while time.monotonic() < end:
            t0 = time.monotonic()
            ok = prober.probe(exp["target"])[0]
            total += 1
            failed += not ok
            err_pct = 100.0 * failed / total
            if total >= exp["min_probes"] and (err_pct > ABORT_ERROR_RATE_PCT or 100 - err_pct < ABORT_AVAILABILITY_PCT):
                rolled_back = True
                reason = ("error rate %.1f %% > %d %%" % (err_pct, ABORT_ERROR_RATE_PCT)
                          if err_pct > ABORT_ERROR_RATE_PCT else
                          "availability %.1f %% < %d %%" % (100 - err_pct, ABORT_AVAILABILITY_PCT))
                print("safety: rolling back (%s)" % reason, file=log)
                break
            time.sleep(max(0.0, exp["probe_interval_s"] - (time.monotonic() - t0)))
        cleared = time.monotonic()
        call("DELETE", base_url + "/admin/faults")
        streak, first_healthy = 0, None
        while time.monotonic() - cleared < exp["recovery_timeout_s"]:
            t0 = time.monotonic()
            if prober.probe(exp["target"])[1]:
                streak += 1
                first_healthy = first_healthy if streak > 1 else t0
                if streak >= exp["healthy_probes"]:
                    mttr = round(first_healthy - cleared, 3)
                    break
            else:
                streak = 0
            time.sleep(max(0.0, exp["probe_interval_s"] - (time.monotonic() - t0)))
        print("recovered after %s s" % mttr, file=log)
    after = prober.steady() if before else False
    print("steady state after: %s" % after, file=log)
    ended = time.time()

    availability = round(100.0 * (total - failed) / total, 2) if total else None
    error_rate = round(100.0 * failed / total, 2) if total else None
    if rolled_back or not before:
        outcome = "aborted"
    elif (not after or mttr is None or mttr > exp["mttr_target_s"]
          or availability <= TARGETS["availability_pct"] or error_rate >= TARGETS["error_rate_pct"]):
        outcome = "failed"
    else:
        outcome = "passed"
    return {
        "format": "perfdb-chaos-result",
        "version": 1,
        "experiment": {k: exp[k] for k in ("id", "name", "family", "fault_type", "blast_radius", "target")},
        "started_at": iso(started),
        "ended_at": iso(ended),
        "duration_s": round(ended - started, 3),
        "steady_state_before": before,
        "steady_state_after": after,
        "outcome": outcome,
        "rolled_back": rolled_back,
        "rollback_reason": reason,
        "metrics": {
            "availability_pct": availability,
            "error_rate_pct": error_rate,
            "mttr_s": mttr,
            "mttr_target_s": exp["mttr_target_s"],
            "requests_total": total,
            "requests_failed": failed,
        },
        "targets": dict(TARGETS),
    }


def main():
    p = argparse.ArgumentParser(description="run a chaos experiment against the hotel API")
    p.add_argument("experiment", help="experiment definition (JSON)")
    p.add_argument("--base-url", default="http://127.0.0.1:18080")
    p.add_argument("--out", help="write the result JSON here")
    a = p.parse_args()
    with open(a.experiment) as f:
        exp = json.load(f)
    try:
        result = run(exp, a.base_url.rstrip("/"))
    except BaseException:
        # never leave a fault behind
        try:
            call("DELETE", a.base_url.rstrip("/") + "/admin/faults")
        except OSError:
            pass
        raise
    text = json.dumps(result, indent=2) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return {"passed": 0, "failed": 1, "aborted": 2}[result["outcome"]]


if __name__ == "__main__":
    sys.exit(main())
