-- Contracts and Devices: one snapshot row at as_of. An end_date is inclusive: a contract ends at
-- end_date + 1 day.
WITH active AS (
  SELECT * FROM contracts
  WHERE start_date <= TIMESTAMP '{as_of}' AND (end_date IS NULL OR end_date + INTERVAL 1 DAY > TIMESTAMP '{as_of}')
),
per_client AS (
  SELECT c.id, bool_or(a.end_date IS NULL OR a.end_date - a.start_date >= 365) AS long_term
  FROM clients c JOIN active a ON a.client_id = c.id GROUP BY ALL
)
SELECT '' AS period, '' AS grp,
  (SELECT count(*) FROM contracts WHERE end_date IS NOT NULL AND end_date + INTERVAL 1 DAY > TIMESTAMP '{as_of}'
     AND end_date + INTERVAL 1 DAY <= TIMESTAMP '{as_of}' + INTERVAL 30 DAY) AS expiring_30d,
  (SELECT count(*) FROM contracts WHERE end_date IS NOT NULL AND end_date + INTERVAL 1 DAY > TIMESTAMP '{as_of}'
     AND end_date + INTERVAL 1 DAY <= TIMESTAMP '{as_of}' + INTERVAL 60 DAY) AS expiring_60d,
  (SELECT count(*) FROM contracts WHERE end_date IS NOT NULL AND end_date + INTERVAL 1 DAY > TIMESTAMP '{as_of}'
     AND end_date + INTERVAL 1 DAY <= TIMESTAMP '{as_of}' + INTERVAL 90 DAY) AS expiring_90d,
  (SELECT count(*) FILTER (WHERE long_term) / nullif(count(*), 0) FROM per_client) AS long_term_share,
  (SELECT count(*) FROM devices WHERE discovered_at <= TIMESTAMP '{as_of}'
     AND (retired_at IS NULL OR retired_at > TIMESTAMP '{as_of}')
     AND (reviewed_at IS NULL OR reviewed_at > TIMESTAMP '{as_of}')) AS devices_awaiting_review;
