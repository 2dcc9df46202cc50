-- A verdict's kind checked by comparisons, as the SQLite file now checks it (there, an `IN`
-- list of more than two values made a temporary table at every row checked); the rule is
-- the same.
ALTER TABLE verdict DROP CONSTRAINT verdict_verdict_check;
ALTER TABLE verdict ADD CONSTRAINT verdict_verdict_check CHECK (
    verdict = 'ok' OR verdict = 'improved' OR verdict = 'warning'
    OR verdict = 'regression' OR verdict = 'insufficient-data'
);
