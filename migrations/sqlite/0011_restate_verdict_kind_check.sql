-- A verdict's kind was checked as `verdict IN (…)`: for a list of more than two values SQLite
-- builds a temporary table at every row it checks, about a quarter of the cost of storing a
-- verdict (a raw stream's check stores a thousand). Written as comparisons, the same rule is
-- checked in place. SQLite cannot change a constraint, so the table is made anew under its
-- name, with its rows, its indexes, its view and its id sequence (ids go on from where they
-- were, not from the largest id left).
DROP VIEW v_verdict;
ALTER TABLE verdict RENAME TO verdict_0010;

CREATE TABLE verdict (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id INTEGER REFERENCES series (id),
    statistic TEXT,
    verdict TEXT NOT NULL CHECK (
        verdict = 'ok' OR verdict = 'improved' OR verdict = 'warning'
        OR verdict = 'regression' OR verdict = 'insufficient-data'
    ),
    value REAL,
    baseline_value REAL,
    change_pct REAL,
    evidence TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
    decided_at TEXT NOT NULL
) STRICT;

INSERT INTO verdict (id, run_id, series_id, statistic, verdict, value, baseline_value,
        change_pct, evidence, decided_at)
    SELECT id, run_id, series_id, statistic, verdict, value, baseline_value, change_pct,
        evidence, decided_at
    FROM verdict_0010 ORDER BY id;
UPDATE sqlite_sequence
    SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'verdict_0010'))
    WHERE name = 'verdict';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'verdict', seq FROM sqlite_sequence
    WHERE name = 'verdict_0010' AND NOT EXISTS (
        SELECT 1 FROM sqlite_sequence WHERE name = 'verdict'
    );
DROP TABLE verdict_0010;

CREATE INDEX verdict_by_run ON verdict (run_id);
CREATE INDEX verdict_by_series ON verdict (series_id, run_id);
CREATE INDEX verdict_by_kind ON verdict (verdict, run_id);

-- A stored gate verdict of `perfdb check`: one row per series and statistic (level 'series')
-- and the run's overall verdict (level 'run', no series).
CREATE VIEW v_verdict AS
SELECT
    CAST(strftime('%s', r.started_at) AS INTEGER) AS time,
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
