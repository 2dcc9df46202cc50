-- Raw streams and Chaos Toolkit journals stored as the tools meant them.
--
-- threshold_result: `passed` is NULL when the tool did not evaluate the threshold (k6 run with
-- --no-thresholds still lists them in its stream); `abort_on_fail` keeps k6's abortOnFail.
-- chaos_activity: the phase 'steady_state_during' holds the probes of a hypothesis run during
-- the method (--hypothesis-strategy continuously); `tolerance_met` keeps a steady-state
-- probe's tolerance result, which Chaos Toolkit reports apart from the probe's status.
-- Both tables are rebuilt, as on SQLite, so their columns keep the same order on both engines.

CREATE TABLE threshold_result_new (
    run_id bigint NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id bigint NOT NULL REFERENCES series (id),
    expression text NOT NULL,
    passed bigint CHECK (passed IN (0, 1)),
    abort_on_fail bigint NOT NULL DEFAULT 0 CHECK (abort_on_fail IN (0, 1)),
    PRIMARY KEY (run_id, series_id, expression)
);

INSERT INTO threshold_result_new (run_id, series_id, expression, passed)
SELECT run_id, series_id, expression, passed FROM threshold_result;
DROP TABLE threshold_result;
ALTER TABLE threshold_result_new RENAME TO threshold_result;
ALTER INDEX threshold_result_new_pkey RENAME TO threshold_result_pkey;

CREATE TABLE chaos_activity_new (
    run_id bigint NOT NULL REFERENCES chaos_experiment (run_id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    phase text NOT NULL CHECK (phase IN ('steady_state_before', 'method',
        'steady_state_during', 'steady_state_after', 'rollback')),
    type text NOT NULL CHECK (type IN ('action', 'probe')),
    name text NOT NULL,
    status text NOT NULL,
    tolerance_met bigint CHECK (tolerance_met IN (0, 1)),
    started_at text,
    ended_at text,
    duration_s double precision,
    PRIMARY KEY (run_id, seq)
);

INSERT INTO chaos_activity_new (run_id, seq, phase, type, name, status, started_at, ended_at,
    duration_s)
SELECT run_id, seq, phase, type, name, status, started_at, ended_at, duration_s
FROM chaos_activity;
DROP TABLE chaos_activity;
ALTER TABLE chaos_activity_new RENAME TO chaos_activity;
ALTER INDEX chaos_activity_new_pkey RENAME TO chaos_activity_pkey;
