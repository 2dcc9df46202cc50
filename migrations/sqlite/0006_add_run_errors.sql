-- Kinds of error a run counted, with how often (Locust's failures and exceptions).

-- One kind of error of one run: a failed request's message per method and name, or an
-- exception the test code raised (with its traceback in detail).
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
