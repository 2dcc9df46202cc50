-- Raw k6 streams: per-series latency distributions, in-run timelines, and skipped lines.

-- A mergeable HdrHistogram of one series in one run (encoding 'hdr-ns-v1': values in ns,
-- 3 significant digits; docs/schema.md).
CREATE TABLE distribution (
    run_id INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id INTEGER NOT NULL REFERENCES series (id),
    encoding TEXT NOT NULL CHECK (encoding = 'hdr-ns-v1'),
    count INTEGER NOT NULL CHECK (count >= 0),
    data BLOB NOT NULL,
    PRIMARY KEY (run_id, series_id)
) STRICT, WITHOUT ROWID;

-- One time bucket of a series inside a run.
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

-- Lines left out of a raw stream with --skip-bad-lines.
ALTER TABLE run ADD COLUMN skipped_lines INTEGER NOT NULL DEFAULT 0 CHECK (skipped_lines >= 0);
