// Short k6 runs that exercise what raw streams carry differently from the summaries
// (tools/make-fixtures.sh, section k6-edge). Every case writes every output of one run at once.
//
//   CASE=abort-on-fail       http_req_failed has {threshold, abortOnFail: true}: k6 stops the
//                            test when the PMS fails (server --error-rate pms=0.3), exit 99
//   CASE=submetric           the only crossed threshold is on http_req_duration{name:reservations}
//                            (server --latency reservations=300), exit 99
//   CASE=no-thresholds       thresholds that would fail, run with --no-thresholds, exit 0
//   CASE=custom-metrics      a Counter, a Rate, a Gauge and a Trend of the script's own, exit 0
//   BASE_URL=http://127.0.0.1:18080
//
// Requests go to the root group and to two named groups, so the stream has samples with an
// empty group tag and with "::booking" and "::pms".

import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:18080';
const CASE = __ENV.CASE || 'custom-metrics';

const bookingsTotal = new Counter('bookings_total');
const bookingOk = new Rate('booking_ok');
const queueDepth = new Gauge('queue_depth');
const bookingTime = new Trend('booking_time', true);

const THRESHOLDS = {
  'abort-on-fail': {
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '1s' }],
    http_req_duration: ['p(95)<3000'],
    checks: ['rate>0.5', { threshold: 'rate>0.99', abortOnFail: false }],
  },
  submetric: {
    http_req_duration: ['p(95)<5000'],
    'http_req_duration{name:reservations}': ['p(95)<100'],
    http_req_failed: ['rate<0.01'],
  },
  'no-thresholds': {
    http_req_duration: ['p(95)<1'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
  'custom-metrics': {
    booking_ok: ['rate>0.5'],
    bookings_total: ['count>1'],
    queue_depth: ['value<1000'],
    booking_time: ['p(95)<3000'],
  },
};

if (!THRESHOLDS[CASE]) {
  throw new Error(`unknown CASE ${CASE}; one of ${Object.keys(THRESHOLDS).join(', ')}`);
}

export const options = {
  scenarios: {
    edge: { executor: 'constant-vus', vus: 2, duration: '4s', gracefulStop: '2s' },
  },
  thresholds: THRESHOLDS[CASE],
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'],
};

export default function () {
  const live = http.get(`${BASE_URL}/health/live`, { tags: { name: 'live' } });
  check(live, { 'live is 200': (r) => r.status === 200 });

  group('pms', () => {
    const res = http.get(`${BASE_URL}/api/v1/pms/availability?nights=2`, {
      tags: { name: 'availability' },
    });
    check(res, { 'availability is 200': (r) => r.status === 200 });
  });

  group('booking', () => {
    const started = Date.now();
    const res = http.post(`${BASE_URL}/api/v1/reservations`, JSON.stringify({ guest: 'g', nights: 1 }), {
      headers: { 'Content-Type': 'application/json' },
      tags: { name: 'reservations' },
    });
    const ok = res.status === 200;
    bookingTime.add(Date.now() - started);
    bookingsTotal.add(1);
    bookingOk.add(ok);
    check(res, { 'booking is 200': (r) => r.status === 200 });
  });

  queueDepth.add(1 + ((__VU * 7 + __ITER * 3) % 11));
  sleep(0.05);
}

export function handleSummary(data) {
  const out = { stdout: `k6 summary: ${CASE}\n` };
  if (__ENV.HANDLE_SUMMARY) {
    out[__ENV.HANDLE_SUMMARY] = JSON.stringify(data);
  }
  return out;
}
