-- Whether a series is declared by its test — each metric overall and each submetric the script
-- names, the series a k6 summary holds — or one of the per-tag views perfdb derives from a raw
-- stream's samples. The gate corrects for the declared series judged in a run apart from the
-- derived views, so a raw stream is judged on its declared series as strictly as its own
-- summary would be (docs/statistics.md). Series stored before count as declared: their runs
-- are judged as before.
ALTER TABLE series ADD COLUMN declared INTEGER NOT NULL DEFAULT 1 CHECK (declared IN (0, 1));
