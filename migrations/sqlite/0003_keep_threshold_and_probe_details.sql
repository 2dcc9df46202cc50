-- Raw streams and Chaos Toolkit journals stored as the tools meant them.
--
-- threshold_result: `passed` is NULL when the tool did not evaluate the threshold (k6 run with
-- --no-thresholds still lists them in its stream); `abort_on_fail` keeps k6's abortOnFail.
-- chaos_activity: the phase 'steady_state_during' holds the probes of a hypothesis run during
-- the method (--hypothesis-strategy continuously); `tolerance_met` keeps a steady-state
-- probe's tolerance result, which Chaos Toolkit reports apart from the probe's status.
-- SQLite cannot change a column's constraints in place: both tables are rebuilt.

CREATE TABLE threshold_result_new (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES series (id),
    expression TEXT NOT NULL,
    passed INTEGER CHECK (passed IN (0, 1)),
    abort_on_fail INTEGER NOT NULL DEFAULT 0 CHECK (abort_on_fail IN (0, 1)),
    PRIMARY KEY (run_id, series_id, expression)
) STRICT, WITHOUT ROWID;

INSERT INTO threshold_result_new (run_id, series_id, expression, passed)
SELECT run_id, series_id, expression, passed FROM threshold_result;
DROP TABLE threshold_result;
ALTER TABLE threshold_result_new RENAME TO threshold_result;

CREATE TABLE chaos_activity_new (
    run_id INTEGER NOT NULL REFERENCES chaos_experiment (run_id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('steady_state_before', 'method',
        'steady_state_during', 'steady_state_after', 'rollback')),
    type TEXT NOT NULL CHECK (type IN ('action', 'probe')),
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    tolerance_met INTEGER CHECK (tolerance_met IN (0, 1)),
    started_at TEXT,
    ended_at TEXT,
    duration_s REAL,
    PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;

INSERT INTO chaos_activity_new (run_id, seq, phase, type, name, status, started_at, ended_at,
    duration_s)
SELECT run_id, seq, phase, type, name, status, started_at, ended_at, duration_s
FROM chaos_activity;
DROP TABLE chaos_activity;
ALTER TABLE chaos_activity_new RENAME TO chaos_activity;
