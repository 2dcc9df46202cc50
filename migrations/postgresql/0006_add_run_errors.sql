-- Kinds of error a run counted, with how often (Locust's failures and exceptions).

-- One kind of error of one run: a failed request's message per method and name, or an
-- exception the test code raised (with its traceback in detail).
CREATE TABLE run_error (
    run_id bigint NOT NULL REFERENCES run (id) ON DELETE CASCADE,
    seq bigint NOT NULL CHECK (seq >= 1),
    kind text NOT NULL CHECK (kind IN ('failure', 'exception')),
    method text,
    name text,
    message text NOT NULL,
    occurrences bigint NOT NULL CHECK (occurrences >= 0),
    first_seen text,
    last_seen text,
    detail text,
    PRIMARY KEY (run_id, seq)
);
