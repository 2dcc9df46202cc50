"""Locust user for the hotel-booking API stand-in (tools/hotel-api/server.py).

Every iteration makes the same requests as tools/k6/hotel.js, in the same order, and
names each one by its path (k6's `name` tag), so that Locust's stats rows line up with
k6's endpoints:

    GET  /health/live, GET /health/ready
    POST /api/v1/webhooks/whatsapp
    GET  /api/v1/pms/availability?check_in=...&nights=2  (name without the query)
    GET  /api/v1/pms/room-types
    POST /api/v1/reservations, GET /api/v1/reservations
    GET  /metrics

    locust -f tools/locust/locustfile.py --headless -u 5 -r 5 -t 15s \
        --host http://127.0.0.1:18085 --json-file out/locust --csv out/locust

THINK (seconds, default 0.5) is the wait between iterations. Any status other than
2xx/3xx counts as a failure (Locust's default); the reservation POST also fails when
the answer is not a confirmed reservation.
"""

import itertools
import os

from locust import HttpUser, constant, task

THINK = float(os.environ.get("THINK", "0.5"))
ROOM_TYPES = ["STD", "SUP", "FAM", "STE"]
_user_ids = itertools.count(1)


class HotelUser(HttpUser):
    wait_time = constant(THINK)

    def on_start(self):
        self.user_id = next(_user_ids)
        self.iteration = 0

    @task
    def iteration_flow(self):
        it = self.iteration
        self.iteration += 1
        day = 10 + it % 15

        # health
        self.client.get("/health/live", name="/health/live")
        self.client.get("/health/ready", name="/health/ready")

        # whatsapp
        self.client.post(
            "/api/v1/webhooks/whatsapp",
            json={
                "id": "wamid.%d.%d" % (self.user_id, it),
                "from": "+34600000000",
                "text": "Hola, ¿tenéis habitación para el viernes?",
            },
            name="/api/v1/webhooks/whatsapp",
        )

        # pms
        self.client.get(
            "/api/v1/pms/availability?check_in=2026-12-%02d&nights=2" % day,
            name="/api/v1/pms/availability",
        )
        self.client.get("/api/v1/pms/room-types", name="/api/v1/pms/room-types")

        # booking: a 200 that is not a confirmed reservation is a failure too
        with self.client.post(
            "/api/v1/reservations",
            json={
                "guest": "guest-%d" % self.user_id,
                "room_type": ROOM_TYPES[it % 4],
                "check_in": "2026-12-%02d" % day,
                "nights": 1 + it % 3,
            },
            name="/api/v1/reservations",
            catch_response=True,
        ) as res:
            if res.ok:
                try:
                    confirmed = res.json().get("status") == "confirmed"
                except ValueError:
                    confirmed = False
                if not confirmed:
                    res.failure("reservation not confirmed")
        self.client.get("/api/v1/reservations", name="/api/v1/reservations")

        # metrics
        self.client.get("/metrics", name="/metrics")
