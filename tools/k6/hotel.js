// k6 scenarios against the hotel-booking API (tools/hotel-api/server.py).
//
//   SCENARIO=smoke|load|spike|stress|soak   scenario shape (default: smoke)
//   BASE_URL=http://127.0.0.1:18080         target
//   SECONDS=N                               stretch or shrink the scenario to N seconds
//   THRESHOLD_P95=3000                      p(95) limit in ms for http_req_duration (and per endpoint)
//   SUMMARY_TREND_STATS=avg,min,...|default trend stats; "default" leaves k6's own default
//   HANDLE_SUMMARY=path.json                where handleSummary writes JSON.stringify(data)
//   SLEEP=1                                 think time between iterations, seconds
//
// The shapes are the CI scenarios scaled down to seconds so that a run stays short
// and makes a few hundred to about two thousand requests.

import http from 'k6/http';
import { check, group, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Gauge, Rate, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:18080';
const SCENARIO = __ENV.SCENARIO || 'smoke';
const P95 = Number(__ENV.THRESHOLD_P95 || 3000);
const THINK = Number(__ENV.SLEEP || 1);

// custom metrics
const healthCheckDuration = new Trend('health_check_duration', true);
const reservationDuration = new Trend('reservation_duration', true);
const pmsOperationDuration = new Trend('pms_operation_duration', true);
const totalRequests = new Counter('total_requests');
const failedRequests = new Counter('failed_requests');
const successfulRequests = new Counter('successful_requests');
const errorRate = new Rate('errorRate');
const successRate = new Rate('successRate');
const activeVUs = new Gauge('activeVUs');

// scenario shapes; durations in seconds, scaled to SECONDS when set
const SHAPES = {
  smoke: { executor: 'constant-vus', vus: 1, duration: 5 },
  soak: { executor: 'constant-vus', vus: 5, duration: 20 },
  load: {
    executor: 'ramping-vus',
    stages: [[8, 10], [10, 10], [2, 0]],
  },
  spike: {
    executor: 'ramping-vus',
    stages: [[2, 2], [1, 30], [4, 30], [1, 2], [4, 2], [1, 0]],
  },
  stress: {
    executor: 'ramping-vus',
    stages: [[4, 15], [4, 15], [4, 30], [4, 30], [4, 0]],
  },
};

function shapeTotal(shape) {
  return shape.stages ? shape.stages.reduce((s, st) => s + st[0], 0) : shape.duration;
}

function scenario(name) {
  const shape = SHAPES[name];
  if (!shape) {
    throw new Error(`unknown SCENARIO ${name}; one of ${Object.keys(SHAPES).join(', ')}`);
  }
  const scale = __ENV.SECONDS ? Number(__ENV.SECONDS) / shapeTotal(shape) : 1;
  const secs = (s) => `${Math.max(1, Math.round(s * scale))}s`;
  if (shape.executor === 'constant-vus') {
    return { executor: 'constant-vus', vus: shape.vus, duration: secs(shape.duration), gracefulStop: '5s' };
  }
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: shape.stages.map(([d, target]) => ({ duration: secs(d), target })),
    gracefulRampDown: '5s',
    gracefulStop: '5s',
  };
}

const ENDPOINTS = ['health', 'whatsapp', 'availability', 'room_types', 'reservations', 'metrics'];

const thresholds = {
  http_req_duration: [`p(95)<${P95}`],
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
};
for (const e of ENDPOINTS) {
  thresholds[`http_req_duration{endpoint:${e}}`] = [`p(95)<${P95}`];
}

export const options = {
  scenarios: { [SCENARIO]: scenario(SCENARIO) },
  thresholds,
};
const STATS = __ENV.SUMMARY_TREND_STATS;
if (STATS !== 'default') {
  options.summaryTrendStats = STATS
    ? STATS.split(',')
    : ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];
}

function record(res, endpoint, trend) {
  const ok = check(res, {
    'status is 200': (r) => r.status === 200,
    'body not empty': (r) => r.body && r.body.length > 0,
  });
  const failed = res.status !== 200;
  totalRequests.add(1, { endpoint });
  if (failed) {
    failedRequests.add(1, { endpoint });
  } else {
    successfulRequests.add(1, { endpoint });
  }
  errorRate.add(failed, { endpoint });
  successRate.add(!failed, { endpoint });
  if (trend) {
    trend.add(res.timings.duration, { endpoint });
  }
  return ok;
}

function get(path, endpoint, trend, query) {
  const res = http.get(`${BASE_URL}${path}${query || ''}`, { tags: { endpoint, name: path } });
  record(res, endpoint, trend);
  return res;
}

function post(path, endpoint, trend, body) {
  const res = http.post(`${BASE_URL}${path}`, JSON.stringify(body), {
    headers: { 'Content-Type': 'application/json' },
    tags: { endpoint, name: path },
  });
  record(res, endpoint, trend);
  return res;
}

export default function () {
  activeVUs.add(exec.instance.vusActive);
  const it = exec.scenario.iterationInTest;

  group('health', () => {
    get('/health/live', 'health', healthCheckDuration);
    get('/health/ready', 'health', healthCheckDuration);
  });

  group('whatsapp', () => {
    post('/api/v1/webhooks/whatsapp', 'whatsapp', null, {
      id: `wamid.${exec.vu.idInTest}.${it}`,
      from: '+34600000000',
      text: 'Hola, ¿tenéis habitación para el viernes?',
    });
  });

  group('pms', () => {
    get('/api/v1/pms/availability', 'availability', pmsOperationDuration, `?check_in=2026-12-${10 + (it % 15)}&nights=2`);
    get('/api/v1/pms/room-types', 'room_types', pmsOperationDuration);
  });

  group('booking', () => {
    post('/api/v1/reservations', 'reservations', reservationDuration, {
      guest: `guest-${exec.vu.idInTest}`,
      room_type: ['STD', 'SUP', 'FAM', 'STE'][it % 4],
      check_in: `2026-12-${10 + (it % 15)}`,
      nights: 1 + (it % 3),
    });
    get('/api/v1/reservations', 'reservations', reservationDuration);
  });

  group('metrics', () => {
    get('/metrics', 'metrics', null);
  });

  sleep(THINK);
}

export function handleSummary(data) {
  const out = { stdout: `k6 summary: ${SCENARIO}, ${data.metrics.http_reqs ? data.metrics.http_reqs.values.count : 0} requests\n` };
  if (__ENV.HANDLE_SUMMARY) {
    out[__ENV.HANDLE_SUMMARY] = JSON.stringify(data);
  }
  return out;
}
