#!/usr/bin/env python3
"""A small stand-in for the hotel-booking API that the k6 scenarios and the
chaos experiments run against.

Python standard library only. Every endpoint belongs to a *group* with a base
latency (ms), a relative jitter and an error rate:

    group          endpoints
    health         GET /health/live, GET /health/ready
    whatsapp       POST /api/v1/webhooks/whatsapp
    pms            GET /api/v1/pms/availability, GET /api/v1/pms/room-types
    reservations   POST /api/v1/reservations, GET /api/v1/reservations
    metrics        GET /metrics

Settings come from the command line:

    server.py --port 8080 --pid-file /tmp/hotel.pid --seed 7 \
        --latency default=5 --latency reservations=40 --latency pms=25 \
        --jitter 0.2 --error-rate reservations=0.0

and can be changed at run time (chaos experiments do this):

    POST   /admin/faults  {"latency_ms": {"pms": 800}, "error_rate": {"pms": 0.5},
                           "timeout": {"pms": 2000}, "status": {"pms": 429},
                           "recovery_s": 3}
    DELETE /admin/faults  clears every fault (after recovery_s, if one was set)
    GET    /admin/faults  shows base settings and active faults

A fault's latency replaces the base latency of its group; its error rate
replaces the base error rate and "status" the status of the failed answers
(default 503). "timeout" makes the group hang for that many ms (true: for
--timeout-ms) and then answer 504. "*" as a group name applies to every group
but health. /health/ready fails as often as the PMS does (it checks the PMS).

"recovery_s" stands for the time a real service needs to come back after its
dependency does (reconnecting pools, warming caches): a DELETE then leaves the
faults in place for that many seconds before they are gone.

--recovery-extra-s S (default 0: off) makes the API itself slower to come
back: every DELETE leaves the faults in place for S seconds more, on top of
the fault's own recovery_s (a build that rebuilds its caches or connection
pools more slowly, say). With the default the server behaves as without it.

Latency is drawn as base * (1 + U(-jitter, +jitter)) from a seeded RNG, so
two runs with the same seed and the same request order have the same shape.
"""

import argparse
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GROUPS = ("health", "whatsapp", "pms", "reservations", "metrics")

ROUTES = {
    ("GET", "/health/live"): ("health", "live"),
    ("GET", "/health/ready"): ("health", "ready"),
    ("POST", "/api/v1/webhooks/whatsapp"): ("whatsapp", "whatsapp"),
    ("GET", "/api/v1/pms/availability"): ("pms", "availability"),
    ("GET", "/api/v1/pms/room-types"): ("pms", "room_types"),
    ("POST", "/api/v1/reservations"): ("reservations", "create_reservation"),
    ("GET", "/api/v1/reservations"): ("reservations", "list_reservations"),
    ("GET", "/metrics"): ("metrics", "metrics"),
}

ROOM_TYPES = [
    {"code": "STD", "name": "Standard double", "max_guests": 2, "rate": 89.0},
    {"code": "SUP", "name": "Superior double", "max_guests": 2, "rate": 119.0},
    {"code": "FAM", "name": "Family room", "max_guests": 4, "rate": 159.0},
    {"code": "STE", "name": "Junior suite", "max_guests": 3, "rate": 219.0},
]


class State:
    """Base settings, active faults, counters. One lock guards everything."""

    def __init__(self, latency, error_rate, jitter, seed, timeout_ms, recovery_extra_s=0.0):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.latency = latency          # group -> ms
        self.error_rate = error_rate    # group -> 0..1
        self.jitter = jitter
        self.timeout_ms = timeout_ms
        self.faults = self._no_faults()
        self.recovery_s = 0.0
        self.recovery_extra_s = recovery_extra_s  # added to every DELETE's wait
        self.clear_at = None            # time at which a pending DELETE takes effect
        self.requests = {}              # (route, status) -> count
        self.reservations = []
        self.started = time.time()

    @staticmethod
    def _no_faults():
        return {"latency_ms": {}, "error_rate": {}, "timeout": {}, "status": {}}

    def _expire(self):
        if self.clear_at is not None and time.time() >= self.clear_at:
            self.faults, self.recovery_s, self.clear_at = self._no_faults(), 0.0, None

    def _fault(self, kind, group):
        f = self.faults[kind]
        if group in f:
            return f[group]
        if "*" in f and group != "health":
            return f["*"]
        return None

    def draw(self, group, route):
        """Return (delay_s, status, timeout) for one request; status 200 = ok."""
        with self.lock:
            self._expire()
            base = self._fault("latency_ms", group)
            if base is None:
                base = self.latency.get(group, self.latency["default"])
            rate = self._fault("error_rate", group)
            if rate is None:
                rate = self.error_rate.get(group, self.error_rate["default"])
            timeout = self._fault("timeout", group)
            status = self._fault("status", group) or 503
            # readiness depends on the PMS: a PMS fault shows on /health/ready
            if route == "ready":
                pms_rate = self._fault("error_rate", "pms")
                if pms_rate is not None:
                    rate = max(rate, pms_rate)
            factor = 1.0 + self.rng.uniform(-self.jitter, self.jitter)
            fail = self.rng.random() < rate
        if timeout:
            ms = self.timeout_ms if timeout is True else float(timeout)
            return ms / 1000.0, 504, True
        return max(0.0, base * factor) / 1000.0, status if fail else 200, False

    def count(self, route, status):
        with self.lock:
            key = (route, status)
            self.requests[key] = self.requests.get(key, 0) + 1

    def set_faults(self, body):
        for kind in self.faults:
            for group in body.get(kind) or {}:
                if group != "*" and group not in GROUPS:
                    raise ValueError("unknown group %r" % group)
        with self.lock:
            self._expire()
            self.clear_at = None
            self.recovery_s = float(body.get("recovery_s") or self.recovery_s)
            for kind in self.faults:
                self.faults[kind].update(body.get(kind) or {})
            return json.loads(json.dumps(self.faults))

    def clear_faults(self):
        """Clear now, or after recovery_s (+ --recovery-extra-s) when that is > 0."""
        with self.lock:
            wait = self.recovery_s + self.recovery_extra_s
            if wait > 0 and self.clear_at is None:
                self.clear_at = time.time() + wait
            elif wait <= 0:
                self.faults, self.clear_at = self._no_faults(), None
            return self.clear_at

    def describe(self):
        with self.lock:
            self._expire()
            out = {
                "latency_ms": dict(self.latency),
                "error_rate": dict(self.error_rate),
                "jitter": self.jitter,
                "faults": json.loads(json.dumps(self.faults)),
                "recovery_s": self.recovery_s,
                "clearing_in_s": None if self.clear_at is None else round(self.clear_at - time.time(), 3),
            }
            if self.recovery_extra_s:
                out["recovery_extra_s"] = self.recovery_extra_s
            return out


class Handler(BaseHTTPRequestHandler):
    server_version = "hotel-api/1.0"
    protocol_version = "HTTP/1.1"
    state = None  # set in main()

    def setup(self):
        super().setup()
        # no Nagle: otherwise small responses wait ~40 ms for a delayed ACK
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # keep stderr quiet under load
        pass

    def _send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        # headers and body in one write
        self._headers_buffer.append(b"\r\n" + data)
        try:
            self.flush_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout)

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return {}
        return json.loads(raw)

    def _handle(self, method):
        path = self.path.split("?", 1)[0]
        try:
            if path == "/admin/faults":
                return self._admin(method)
            route = ROUTES.get((method, path))
            if route is None:
                return self._send(404, {"error": "not found", "path": path})
            group, name = route
            body = self._body() if method == "POST" else {}
            delay, status, timeout = self.state.draw(group, name)
            if delay:
                time.sleep(delay)
            if timeout:
                payload = {"error": "upstream timeout", "group": group}
            elif status == 429:
                payload = {"error": "rate limited", "group": group}
            elif status != 200:
                payload = {"error": "upstream unavailable", "group": group}
            else:
                status, payload = self._ok(name, body)
            self.state.count(name, status)
            if isinstance(payload, str):
                return self._send(status, payload.encode(), "text/plain; version=0.0.4")
            return self._send(status, payload)
        except (ValueError, json.JSONDecodeError) as e:
            return self._send(400, {"error": str(e)})

    def _ok(self, name, body):
        if name == "live":
            return 200, {"status": "alive"}
        if name == "ready":
            return 200, {"status": "ready", "checks": {"database": "ok", "pms": "ok"}}
        if name == "whatsapp":
            return 200, {"received": True, "message_id": body.get("id") or str(uuid.uuid4())}
        if name == "availability":
            return 200, {"date": time.strftime("%Y-%m-%d"),
                         "rooms": [{"code": r["code"], "available": 3 + i} for i, r in enumerate(ROOM_TYPES)]}
        if name == "room_types":
            return 200, {"room_types": ROOM_TYPES}
        if name == "create_reservation":
            res = {"id": str(uuid.uuid4()), "status": "confirmed",
                   "guest": body.get("guest", "guest"), "room_type": body.get("room_type", "STD"),
                   "check_in": body.get("check_in"), "nights": body.get("nights", 1)}
            with self.state.lock:
                self.state.reservations.append(res)
                del self.state.reservations[:-100]
            return 200, res
        if name == "list_reservations":
            with self.state.lock:
                items = list(self.state.reservations[-10:])
            return 200, {"reservations": items, "count": len(items)}
        if name == "metrics":
            lines = ["# TYPE hotel_api_requests_total counter"]
            with self.state.lock:
                for (route, status), n in sorted(self.state.requests.items()):
                    lines.append('hotel_api_requests_total{route="%s",status="%d"} %d' % (route, status, n))
            lines.append("hotel_api_uptime_seconds %.1f" % (time.time() - self.state.started))
            return 200, "\n".join(lines) + "\n"
        raise AssertionError(name)

    def _admin(self, method):
        if method == "POST":
            return self._send(200, {"faults": self.state.set_faults(self._body())})
        if method == "DELETE":
            clear_at = self.state.clear_faults()
            if clear_at is None:
                return self._send(200, {"cleared": True})
            return self._send(202, {"cleared": False, "clearing_in_s": round(clear_at - time.time(), 3)})
        if method == "GET":
            return self._send(200, self.state.describe())
        return self._send(405, {"error": "method not allowed"})

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")


def parse_pairs(values, kind, default):
    out = {"default": default}
    for v in values or []:
        key, _, num = v.partition("=")
        if key != "default" and key not in GROUPS:
            sys.exit("%s: unknown group %r (groups: %s)" % (kind, key, ", ".join(GROUPS)))
        out[key] = float(num)
    return out


def main():
    p = argparse.ArgumentParser(description="hotel-booking API stand-in for load and chaos tests")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--pid-file")
    p.add_argument("--latency", action="append", metavar="GROUP=MS",
                   help="base latency per group (health, whatsapp, pms, reservations, metrics, default)")
    p.add_argument("--error-rate", action="append", metavar="GROUP=RATE",
                   help="error rate 0..1 per group")
    p.add_argument("--jitter", type=float, default=0.2, help="relative jitter, 0.2 = +/-20%%")
    p.add_argument("--timeout-ms", type=float, default=5000, help="hang time for timeout faults")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--recovery-extra-s", type=float, default=0.0, metavar="S",
                   help="extra seconds every DELETE /admin/faults waits before the faults are gone, "
                        "on top of the fault's recovery_s (a slower-recovering API); default 0 = off")
    a = p.parse_args()

    Handler.state = State(parse_pairs(a.latency, "--latency", 5.0),
                          parse_pairs(a.error_rate, "--error-rate", 0.0),
                          a.jitter, a.seed, a.timeout_ms, a.recovery_extra_s)
    httpd = ThreadingHTTPServer((a.host, a.port), Handler)
    httpd.daemon_threads = True
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())

    def stop(signum, frame):
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("hotel-api listening on http://%s:%d" % (a.host, a.port), flush=True)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
        if a.pid_file and os.path.exists(a.pid_file):
            os.remove(a.pid_file)


if __name__ == "__main__":
    main()
