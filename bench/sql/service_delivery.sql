-- Service Delivery: one row per month for the whole company.
WITH active AS (
  SELECT id, coalesce(hours_per_day, 8) AS hpd FROM resources WHERE coalesce(active, true)
),
sla AS (
  SELECT m.s,
    (SELECT count(*) FILTER (WHERE first_response_at <= first_response_due) / nullif(count(*), 0) FROM tickets
      WHERE first_response_due >= m.s AND first_response_due < m.e
        AND (first_response_at IS NOT NULL OR first_response_due < TIMESTAMP '{as_of}')) AS sla_triage,
    (SELECT count(*) FILTER (WHERE resolution_plan_at <= resolution_plan_due) / nullif(count(*), 0) FROM tickets
      WHERE resolution_plan_due >= m.s AND resolution_plan_due < m.e
        AND (resolution_plan_at IS NOT NULL OR resolution_plan_due < TIMESTAMP '{as_of}')) AS sla_engagement,
    (SELECT count(*) FILTER (WHERE resolved_at <= resolved_due) / nullif(count(*), 0) FROM tickets
      WHERE resolved_due >= m.s AND resolved_due < m.e
        AND (resolved_at IS NOT NULL OR resolved_due < TIMESTAMP '{as_of}')) AS sla_completion
  FROM months m
),
billable AS (
  SELECT date_trunc('month', te.started_at) AS s, coalesce(sum(te.hours) FILTER (WHERE te.billable), 0) AS h
  FROM time_entries te JOIN active a ON a.id = te.resource_id GROUP BY ALL
),
reactive AS (
  SELECT date_trunc('month', te.started_at) AS s, sum(te.hours) AS h
  FROM time_entries te JOIN tickets t ON t.id = te.ticket_id
  WHERE t.ticket_type IN ('incident', 'service_request', 'problem', 'alert') GROUP BY ALL
),
resolved AS (
  SELECT date_trunc('month', resolved_at) AS s,
         avg((epoch_us(resolved_at) - epoch_us(created_at)) / 3600000000.0) AS mttr
  FROM tickets WHERE resolved_at IS NOT NULL GROUP BY ALL
)
SELECT m.label AS period, '' AS grp,
       sla.sla_triage, sla.sla_engagement, sla.sla_completion,
       coalesce(billable.h, 0) / nullif(m.workdays * (SELECT sum(hpd) FROM active), 0) AS utilization,
       coalesce(reactive.h, 0) / nullif((SELECT sum(coalesce(endpoints, 0)) FROM clients), 0)
         AS reactive_hours_per_endpoint,
       resolved.mttr AS mttr
FROM months m
JOIN sla ON sla.s = m.s
LEFT JOIN billable ON billable.s = m.s
LEFT JOIN reactive ON reactive.s = m.s
LEFT JOIN resolved ON resolved.s = m.s
ORDER BY period;
