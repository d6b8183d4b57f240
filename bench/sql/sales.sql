-- Sales: one row per month, company-wide; c = min(end of month, as_of); the monthly sales target
-- is the param's default, 50000.
WITH closed AS (
  SELECT strftime(date_trunc('month', closed_at), '%Y-%m') AS label,
         count(*) FILTER (WHERE outcome = 'won') / nullif(count(*) FILTER (WHERE outcome IN ('won', 'lost')), 0)
           AS win_rate,
         avg((epoch_us(closed_at) - epoch_us(created_at)) / 3600000000.0) FILTER (WHERE outcome = 'won')
           AS deal_velocity,
         coalesce(sum(amount) FILTER (WHERE outcome = 'lost'), 0) AS lost_value
  FROM opportunities WHERE closed_at IS NOT NULL GROUP BY ALL
)
SELECT m.label AS period, '' AS grp,
       (SELECT coalesce(sum(amount), 0) FROM opportunities o
        WHERE o.created_at <= m.c AND (o.closed_at IS NULL OR o.closed_at > m.c)) / 50000.0 AS pipeline_coverage,
       closed.win_rate, closed.deal_velocity, coalesce(closed.lost_value, 0) AS lost_value
FROM months m LEFT JOIN closed ON closed.label = m.label
ORDER BY period;
