-- Load runs made while a chaos experiment injected a fault: kept out of the normal baseline,
-- trends and drift of their scope, and of the dashboards' measurements.

-- A load run and the chaos experiment run it ran under: named at ingest (`--chaos-run`), or
-- found because the load run's span lies within the experiment's in the same environment.
CREATE TABLE chaos_link (
    run_id INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
    chaos_run_id INTEGER NOT NULL REFERENCES chaos_experiment (run_id) ON DELETE CASCADE,
    linked_by TEXT NOT NULL CHECK (linked_by IN ('explicit', 'time')),
    linked_at TEXT NOT NULL
) STRICT;
CREATE INDEX chaos_link_by_chaos_run ON chaos_link (chaos_run_id);

-- The dashboards' measurements are the normal runs', as `perfdb trend` shows them.
DROP VIEW v_measurement;
CREATE VIEW v_measurement AS
SELECT
    CAST(strftime('%s', r.started_at) AS INTEGER) AS time,
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
WHERE r.kind = 'load' AND r.invalidated = 0
  AND NOT EXISTS (SELECT 1 FROM chaos_link l WHERE l.run_id = r.id);
