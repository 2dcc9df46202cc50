-- An SLO judges a series in k6 notation (http_req_duration{endpoint:reservations}); the column
-- that names it is called so, as in every report.

ALTER TABLE slo_result RENAME COLUMN metric TO series;
