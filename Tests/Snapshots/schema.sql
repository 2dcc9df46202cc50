CREATE TABLE baseline (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario TEXT,
    environment TEXT,
    branch TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('run', 'window', 'accept')),
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE RESTRICT,
    window_size INTEGER CHECK (window_size IS NULL OR window_size > 0),
    set_at TEXT NOT NULL,
    set_by TEXT,
    reason TEXT NOT NULL CHECK (reason <> ''),
    superseded_at TEXT,
    superseded_by INTEGER REFERENCES baseline (id),
    CHECK ((kind = 'window') = (window_size IS NOT NULL))
) STRICT;

CREATE TABLE "chaos_activity" (
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

CREATE TABLE chaos_experiment (
    run_id INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
    experiment_id TEXT,
    name TEXT NOT NULL,
    family TEXT CHECK (family IS NULL OR family IN ('network', 'service', 'database', 'pms', 'resource')),
    fault_type TEXT CHECK (fault_type IS NULL OR fault_type IN
        ('LATENCY', 'EXCEPTION', 'TIMEOUT', 'CIRCUIT_BREAK', 'RATE_LIMIT', 'RESOURCE_EXHAUSTION')),
    blast_radius TEXT CHECK (blast_radius IS NULL OR blast_radius IN
        ('SINGLE_REQUEST', 'SINGLE_SERVICE', 'SERVICE_CLUSTER', 'ENTIRE_SYSTEM')),
    target TEXT,
    steady_state_before INTEGER CHECK (steady_state_before IN (0, 1)),
    steady_state_after INTEGER CHECK (steady_state_after IN (0, 1)),
    outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'failed', 'aborted')),
    rolled_back INTEGER NOT NULL CHECK (rolled_back IN (0, 1)),
    rollback_reason TEXT,
    availability_pct REAL CHECK (availability_pct BETWEEN 0 AND 100),
    availability_target_pct REAL,
    error_rate_pct REAL CHECK (error_rate_pct BETWEEN 0 AND 100),
    error_rate_target_pct REAL,
    mttr_s REAL CHECK (mttr_s >= 0),
    mttr_target_s REAL,
    requests_total INTEGER CHECK (requests_total >= 0),
    requests_failed INTEGER CHECK (requests_failed >= 0),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_s REAL CHECK (duration_s >= 0)
) STRICT;

CREATE TABLE chaos_link (
    run_id INTEGER PRIMARY KEY REFERENCES run (id) ON DELETE CASCADE,
    chaos_run_id INTEGER NOT NULL REFERENCES chaos_experiment (run_id) ON DELETE CASCADE,
    linked_by TEXT NOT NULL CHECK (linked_by IN ('explicit', 'time')),
    linked_at TEXT NOT NULL
) STRICT;

CREATE TABLE check_result (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    group_path TEXT NOT NULL,
    name TEXT NOT NULL,
    passes INTEGER NOT NULL CHECK (passes >= 0),
    fails INTEGER NOT NULL CHECK (fails >= 0),
    PRIMARY KEY (run_id, group_path, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE distribution (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES series (id),
    encoding TEXT NOT NULL CHECK (encoding = 'hdr-ns-v1'),
    count INTEGER NOT NULL CHECK (count >= 0),
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, series_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE measurement (
    series_id INTEGER NOT NULL REFERENCES series (id),
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    statistic TEXT NOT NULL CHECK (
        statistic IN ('avg', 'min', 'med', 'max', 'count', 'rate', 'sum', 'value',
                      'passes', 'fails', 'stddev')
        OR statistic GLOB 'p[0-9]*'
    ),
    value REAL NOT NULL,
    PRIMARY KEY (series_id, run_id, statistic)
) STRICT, WITHOUT ROWID;

CREATE TABLE run (
    -- AUTOINCREMENT: the id of a deleted run is never given to another run.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('load', 'slo', 'chaos')),
    tool TEXT NOT NULL,
    tool_version TEXT,
    source_format TEXT NOT NULL,
    source_file TEXT,
    scenario TEXT,
    environment TEXT,
    branch TEXT,
    commit_id TEXT,
    build_id TEXT,
    build_url TEXT,
    pull_request TEXT,
    ci_provider TEXT,
    started_at TEXT NOT NULL CHECK (started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*'),
    ended_at TEXT,
    duration_ms REAL CHECK (duration_ms IS NULL OR duration_ms >= 0),
    status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'aborted')),
    exit_code INTEGER,
    incomplete INTEGER NOT NULL DEFAULT 0 CHECK (incomplete IN (0, 1)),
    content_digest TEXT NOT NULL UNIQUE,
    ingested_at TEXT NOT NULL,
    invalidated INTEGER NOT NULL DEFAULT 0 CHECK (invalidated IN (0, 1)),
    invalidated_reason TEXT,
    invalidated_at TEXT, skipped_lines INTEGER NOT NULL DEFAULT 0 CHECK (skipped_lines >= 0),
    CHECK (invalidated = 0 OR invalidated_reason IS NOT NULL)
) STRICT;

CREATE TABLE run_error (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    kind TEXT NOT NULL CHECK (kind IN ('failure', 'exception')),
    method TEXT,
    name TEXT,
    message TEXT NOT NULL,
    occurrences INTEGER NOT NULL CHECK (occurrences >= 0),
    first_seen TEXT,
    last_seen TEXT,
    detail TEXT,
    PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE run_label (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE schema_migration (
    identifier TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
) STRICT;

CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    metric TEXT NOT NULL CHECK (metric <> ''),
    metric_type TEXT NOT NULL CHECK (metric_type IN ('trend', 'counter', 'rate', 'gauge')),
    unit TEXT NOT NULL,
    direction TEXT NOT NULL
        CHECK (direction IN ('lower_is_better', 'higher_is_better', 'neutral'))
, declared INTEGER NOT NULL DEFAULT 1 CHECK (declared IN (0, 1))) STRICT;

CREATE TABLE series_tag (
    series_id INTEGER NOT NULL REFERENCES series (id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL,
    PRIMARY KEY (series_id, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE slo_evaluation (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    evaluated_run_id INTEGER REFERENCES run (id) ON DELETE SET NULL,
    evaluated_at TEXT NOT NULL,
    overall_status TEXT NOT NULL
        CHECK (overall_status IN ('PASS', 'WARNING', 'FAIL', 'CRITICAL')),
    exit_code INTEGER NOT NULL CHECK (exit_code IN (0, 1, 2)),
    score REAL
) STRICT;

CREATE TABLE slo_result (
    evaluation_id INTEGER NOT NULL REFERENCES slo_evaluation (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (name <> ''),
    title TEXT,
    series TEXT NOT NULL,
    statistic TEXT NOT NULL,
    comparator TEXT NOT NULL CHECK (comparator IN ('<', '<=', '>', '>=')),
    target REAL NOT NULL,
    warning REAL,
    unit TEXT,
    actual REAL,
    status TEXT NOT NULL CHECK (status IN ('PASS', 'WARNING', 'FAIL', 'CRITICAL')),
    priority TEXT NOT NULL CHECK (priority IN ('P0', 'P1', 'P2')),
    recommendation TEXT,
    PRIMARY KEY (evaluation_id, name)
) STRICT, WITHOUT ROWID;

CREATE TABLE "threshold_result" (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES series (id),
    expression TEXT NOT NULL,
    passed INTEGER CHECK (passed IN (0, 1)),
    abort_on_fail INTEGER NOT NULL DEFAULT 0 CHECK (abort_on_fail IN (0, 1)),
    PRIMARY KEY (run_id, series_id, expression)
) STRICT, WITHOUT ROWID;

CREATE TABLE timeline (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES series (id),
    bucket_start TEXT NOT NULL,
    bucket_seconds REAL NOT NULL CHECK (bucket_seconds > 0),
    count INTEGER NOT NULL CHECK (count >= 0),
    avg REAL,
    min REAL,
    max REAL,
    p50 REAL,
    p95 REAL,
    p99 REAL,
    rate REAL,
    sum REAL,
    PRIMARY KEY (run_id, series_id, bucket_start)
) STRICT, WITHOUT ROWID;

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

CREATE INDEX baseline_by_scope ON baseline (scenario, environment, branch, id);

CREATE INDEX chaos_link_by_chaos_run ON chaos_link (chaos_run_id);

CREATE INDEX measurement_by_run ON measurement (run_id, series_id, statistic, value);

CREATE INDEX run_by_scope ON run (kind, scenario, environment, branch, started_at);

CREATE INDEX run_by_time ON run (started_at);

CREATE INDEX series_by_metric ON series (metric);

CREATE INDEX series_tag_by_value ON series_tag (key, value);

CREATE INDEX slo_evaluation_by_run ON slo_evaluation (run_id);

CREATE VIEW v_chaos AS
SELECT
    CAST(strftime('%s', r.started_at) AS INTEGER) AS time,
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

CREATE VIEW v_run AS
SELECT
    CAST(strftime('%s', r.started_at) AS INTEGER) AS time,
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

CREATE VIEW v_slo AS
SELECT
    CAST(strftime('%s', coalesce(j.started_at, r.started_at)) AS INTEGER) AS time,
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

CREATE INDEX verdict_by_kind ON verdict (verdict, run_id);

CREATE INDEX verdict_by_run ON verdict (run_id);

CREATE INDEX verdict_by_series ON verdict (series_id, run_id);
