-- Raw k6 streams: per-series latency distributions, in-run timelines, and skipped lines.

-- A mergeable HdrHistogram of one series in one run (encoding 'hdr-ns-v1': values in ns,
-- 3 significant digits; docs/schema.md).
CREATE TABLE distribution (
    run_id bigint NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id bigint NOT NULL REFERENCES series (id),
    encoding text NOT NULL CHECK (encoding = 'hdr-ns-v1'),
    count bigint NOT NULL CHECK (count >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (run_id, series_id)
);

-- One time bucket of a series inside a run.
CREATE TABLE timeline (
    run_id bigint NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    series_id bigint NOT NULL REFERENCES series (id),
    bucket_start text NOT NULL,
    bucket_seconds double precision NOT NULL CHECK (bucket_seconds > 0),
    count bigint NOT NULL CHECK (count >= 0),
    avg double precision,
    min double precision,
    max double precision,
    p50 double precision,
    p95 double precision,
    p99 double precision,
    rate double precision,
    sum double precision,
    PRIMARY KEY (run_id, series_id, bucket_start)
);

-- Lines left out of a raw stream with --skip-bad-lines.
ALTER TABLE run ADD COLUMN skipped_lines bigint NOT NULL DEFAULT 0 CHECK (skipped_lines >= 0);
