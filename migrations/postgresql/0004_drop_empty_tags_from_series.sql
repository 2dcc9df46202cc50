-- One series key whatever the format: a tag with an empty value is not a dimension.
--
-- On SQLite this migration renamed the series that older perfdb versions had stored with empty
-- tag values. perfdb never wrote such series to PostgreSQL: every PostgreSQL warehouse is
-- created by a perfdb that already drops empty tags at ingest, so there is nothing to rename and
-- the schema does not change. The number is kept so both engines list the same migrations.
SELECT 1;
