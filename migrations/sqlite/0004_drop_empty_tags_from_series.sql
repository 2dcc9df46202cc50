-- One series key whatever the format: a tag with an empty value is not a dimension. k6's NDJSON
-- writes the root group as "group":"" while its CSV leaves the column empty; before this,
-- the NDJSON of a run had series such as http_req_duration{group:,name:live} that its CSV of
-- the same run did not.
--
-- Each series with an empty tag value takes its canonical name (the same metric and tags without
-- the empty ones, sorted by key). Where that name is already a series (a single-tag series
-- such as iterations{group:} becomes iterations), its rows move there unless that series has
-- the same row for the run already: then the canonical series' figures are kept, as a new ingest
-- of the same file would store them.

CREATE TEMP TABLE series_rename (
    old_id INTEGER PRIMARY KEY,
    new_name TEXT NOT NULL,
    target_id INTEGER
);

WITH RECURSIVE
    affected (id) AS (SELECT DISTINCT series_id FROM series_tag WHERE value = ''),
    kept (series_id, n, key, value) AS (
        SELECT t.series_id, row_number() OVER (PARTITION BY t.series_id ORDER BY t.key),
            t.key, t.value
        FROM series_tag t JOIN affected a ON a.id = t.series_id
        WHERE t.value <> ''
    ),
    joined (series_id, n, text) AS (
        SELECT series_id, n, key || ':' || value FROM kept WHERE n = 1
        UNION ALL
        SELECT k.series_id, k.n, j.text || ',' || k.key || ':' || k.value
        FROM joined j JOIN kept k ON k.series_id = j.series_id AND k.n = j.n + 1
    ),
    complete (series_id, text) AS (
        SELECT j.series_id, j.text FROM joined j
        WHERE j.n = (SELECT max(k.n) FROM kept k WHERE k.series_id = j.series_id)
    )
INSERT INTO series_rename (old_id, new_name)
SELECT s.id, s.metric || coalesce('{' || c.text || '}', '')
FROM series s JOIN affected a ON a.id = s.id LEFT JOIN complete c ON c.series_id = s.id;

UPDATE series_rename SET target_id = coalesce(
    (SELECT s.id FROM series s WHERE s.name = series_rename.new_name),
    (SELECT min(r.old_id) FROM series_rename r WHERE r.new_name = series_rename.new_name));

INSERT OR IGNORE INTO measurement (series_id, run_id, statistic, value)
SELECT r.target_id, m.run_id, m.statistic, m.value
FROM measurement m JOIN series_rename r ON r.old_id = m.series_id
WHERE r.old_id <> r.target_id;
DELETE FROM measurement
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);

INSERT OR IGNORE INTO distribution (run_id, series_id, encoding, count, data)
SELECT d.run_id, r.target_id, d.encoding, d.count, d.data
FROM distribution d JOIN series_rename r ON r.old_id = d.series_id
WHERE r.old_id <> r.target_id;
DELETE FROM distribution
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);

INSERT OR IGNORE INTO timeline (run_id, series_id, bucket_start, bucket_seconds, count, avg, min,
    max, p50, p95, p99, rate, sum)
SELECT t.run_id, r.target_id, t.bucket_start, t.bucket_seconds, t.count, t.avg, t.min, t.max,
    t.p50, t.p95, t.p99, t.rate, t.sum
FROM timeline t JOIN series_rename r ON r.old_id = t.series_id
WHERE r.old_id <> r.target_id;
DELETE FROM timeline
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);

INSERT OR IGNORE INTO threshold_result (run_id, series_id, expression, passed, abort_on_fail)
SELECT t.run_id, r.target_id, t.expression, t.passed, t.abort_on_fail
FROM threshold_result t JOIN series_rename r ON r.old_id = t.series_id
WHERE r.old_id <> r.target_id;
DELETE FROM threshold_result
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);

UPDATE verdict SET series_id = (
    SELECT r.target_id FROM series_rename r WHERE r.old_id = verdict.series_id)
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id)
    AND NOT EXISTS (
        SELECT 1 FROM verdict v JOIN series_rename r ON r.target_id = v.series_id
        WHERE r.old_id = verdict.series_id AND v.run_id = verdict.run_id
            AND v.statistic IS verdict.statistic);
DELETE FROM verdict
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);

DELETE FROM series_tag
WHERE series_id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);
DELETE FROM series WHERE id IN (SELECT old_id FROM series_rename WHERE old_id <> target_id);
DELETE FROM series_tag
WHERE value = '' AND series_id IN (SELECT old_id FROM series_rename);
UPDATE series SET name = (SELECT r.new_name FROM series_rename r WHERE r.old_id = series.id)
WHERE id IN (SELECT old_id FROM series_rename);

DROP TABLE series_rename;
