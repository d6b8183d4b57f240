-- Client Health: one row per (month, client).
WITH reactive AS (
  SELECT date_trunc('month', te.started_at) AS s, t.client_id AS cid, sum(te.hours) AS h
  FROM time_entries te JOIN tickets t ON t.id = te.ticket_id
  WHERE t.ticket_type IN ('incident', 'service_request', 'problem', 'alert') GROUP BY ALL
),
completion AS (
  SELECT date_trunc('month', resolved_due) AS s, client_id AS cid,
         count(*) FILTER (WHERE resolved_at <= resolved_due) / count(*) AS rate
  FROM tickets WHERE resolved_at IS NOT NULL OR resolved_due < TIMESTAMP '{as_of}' GROUP BY ALL
),
csat AS (
  SELECT date_trunc('month', responded_at) AS s, client_id AS cid,
         avg(score / nullif(coalesce(max_score, 5), 0)) AS csat
  FROM surveys GROUP BY ALL
)
SELECT m.label AS period, c.id AS grp,
       coalesce(reactive.h, 0) / nullif(coalesce(c.endpoints, 0), 0) AS reactive_hours_per_endpoint,
       completion.rate AS sla_completion,
       csat.csat AS csat
FROM months m CROSS JOIN clients c
LEFT JOIN reactive ON reactive.s = m.s AND reactive.cid = c.id
LEFT JOIN completion ON completion.s = m.s AND completion.cid = c.id
LEFT JOIN csat ON csat.s = m.s AND csat.cid = c.id
ORDER BY period, grp;
