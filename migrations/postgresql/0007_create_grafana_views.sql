-- Views for dashboards (Grafana's PostgreSQL data source, docs/grafana.md): the same views and
-- columns as migrations/sqlite/0007_create_grafana_views.sql, one flat row per figure with the
-- run's time and CI context beside it, so a panel's query needs no joins.
--
-- `time` is the run's start as a timestamptz, the type the data source wants for a time column
-- and its $__timeFilter(time) macro; `started_at` keeps the ISO 8601 text. (On SQLite `time` is
-- epoch seconds.) Every view leaves invalidated runs out, as baselines do.

-- One valid run of any kind with its CI context (what a dashboard's scope variables list).
CREATE VIEW v_run AS
SELECT
    r.started_at::timestamptz AS time,
    r.started_at,
    r.id AS run_id,
    r.kind,
    r.tool,
    r.scenario,
    r.environment,
    r.branch,
    r.commit_id,
    r.build_id,
    r.build_url,
    r.status,
    r.duration_ms
FROM run r
WHERE r.invalidated = 0;

-- A series with the endpoint it measures: its `endpoint` tag, else its `name` tag (k6's URL
-- name, Locust's request name), else NULL (the series of all requests).
CREATE VIEW v_series AS
SELECT
    s.id AS series_id,
    s.name AS series,
    s.metric,
    (SELECT t.value FROM series_tag t
     WHERE t.series_id = s.id AND t.key IN ('endpoint', 'name')
     ORDER BY t.key LIMIT 1) AS endpoint,
    s.metric_type,
    s.unit,
    s.direction
FROM series s;

-- One statistic of one series in one valid load run.
CREATE VIEW v_measurement AS
SELECT
    r.started_at::timestamptz AS time,
    r.started_at,
    r.id AS run_id,
    r.scenario,
    r.environment,
    r.branch,
    r.commit_id,
    r.build_id,
    r.status AS run_status,
    s.series,
    s.metric,
    s.endpoint,
    s.unit,
    s.direction,
    m.statistic,
    m.value
FROM measurement m
JOIN run r ON r.id = m.run_id
JOIN v_series s ON s.series_id = m.series_id
WHERE r.kind = 'load' AND r.invalidated = 0;

-- A stored gate verdict of `perfdb check`: one row per series and statistic (level 'series')
-- and the run's overall verdict (level 'run', no series).
CREATE VIEW v_verdict AS
SELECT
    r.started_at::timestamptz AS time,
    r.started_at,
    v.run_id,
    r.scenario,
    r.environment,
    r.branch,
    coalesce(r.scenario, '-') || '/' || coalesce(r.environment, '-') || '/'
        || coalesce(r.branch, '-') AS scope,
    r.commit_id,
    r.build_id,
    CASE WHEN v.series_id IS NULL THEN 'run' ELSE 'series' END AS level,
    s.series,
    s.metric,
    s.endpoint,
    v.statistic,
    v.verdict,
    v.value,
    v.baseline_value,
    v.change_pct,
    v.decided_at
FROM verdict v
JOIN run r ON r.id = v.run_id
LEFT JOIN v_series s ON s.series_id = v.series_id
WHERE r.invalidated = 0;

-- One SLO of one evaluation, dated by the load run it judged (else by the SLO report's run).
CREATE VIEW v_slo AS
SELECT
    coalesce(j.started_at, r.started_at)::timestamptz AS time,
    coalesce(j.started_at, r.started_at) AS started_at,
    e.id AS evaluation_id,
    e.run_id,
    e.evaluated_run_id,
    coalesce(j.scenario, r.scenario) AS scenario,
    coalesce(j.environment, r.environment) AS environment,
    coalesce(j.branch, r.branch) AS branch,
    coalesce(j.commit_id, r.commit_id) AS commit_id,
    e.overall_status,
    o.name AS slo,
    o.title,
    o.series,
    o.statistic,
    o.comparator,
    o.target,
    o.warning,
    o.unit,
    o.actual AS value,
    o.status,
    o.priority,
    CASE WHEN o.status IN ('PASS', 'WARNING') THEN 1 ELSE 0 END AS compliant
FROM slo_result o
JOIN slo_evaluation e ON e.id = o.evaluation_id
JOIN run r ON r.id = e.run_id
LEFT JOIN run j ON j.id = e.evaluated_run_id
WHERE r.invalidated = 0 AND coalesce(j.invalidated, 0) = 0;

-- One chaos experiment run with its resilience figures and their targets.
CREATE VIEW v_chaos AS
SELECT
    r.started_at::timestamptz AS time,
    r.started_at,
    c.run_id,
    r.environment,
    r.branch,
    r.commit_id,
    r.build_id,
    c.name AS experiment,
    c.experiment_id,
    c.fault_type,
    c.family,
    c.blast_radius,
    c.target,
    c.outcome,
    c.mttr_s,
    c.mttr_target_s,
    c.availability_pct,
    c.availability_target_pct,
    c.error_rate_pct,
    c.error_rate_target_pct,
    c.steady_state_before,
    c.steady_state_after AS steady_state_held,
    c.rolled_back
FROM chaos_experiment c
JOIN run r ON r.id = c.run_id
WHERE r.invalidated = 0;
