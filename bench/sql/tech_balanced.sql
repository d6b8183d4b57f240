-- Tech Balanced Scorecard: one row per (month, active resource), one column per KPI.
WITH res AS (
  SELECT id, coalesce(hours_per_day, 8) AS hpd FROM resources WHERE coalesce(active, true)
),
te AS (
  SELECT date_trunc('month', started_at) AS s, resource_id AS rid,
         coalesce(sum(hours) FILTER (WHERE billable), 0) AS billable_hours,
         count(*) FILTER (WHERE created_at IS NOT NULL) AS rt_rows,
         count(*) FILTER (WHERE created_at IS NOT NULL
                          AND epoch_us(created_at) - epoch_us(ended_at) <= 30 * 60 * 1000000) AS rt_hits
  FROM time_entries GROUP BY ALL
),
engage AS (
  SELECT date_trunc('month', resolution_plan_due) AS s, assigned_resource_id AS rid,
         count(*) AS n, count(*) FILTER (WHERE resolution_plan_at <= resolution_plan_due) AS met
  FROM tickets
  WHERE resolution_plan_at IS NOT NULL OR resolution_plan_due < TIMESTAMP '{as_of}'
  GROUP BY ALL
),
resolved AS (
  SELECT date_trunc('month', resolved_at) AS s, assigned_resource_id AS rid,
         avg((epoch_us(resolved_at) - epoch_us(created_at)) / 3600000000.0) AS mttr
  FROM tickets WHERE resolved_at IS NOT NULL GROUP BY ALL
),
entries_per_ticket AS (
  SELECT ticket_id, count(*) AS n FROM time_entries WHERE ticket_id IS NOT NULL GROUP BY ALL
),
completed AS (
  SELECT date_trunc('month', t.completed_at) AS s, t.assigned_resource_id AS rid, count(*) AS n,
         count(*) FILTER (WHERE coalesce(t.escalation_count, 0) > 0) AS escalated,
         count(*) FILTER (WHERE coalesce(t.reopen_count, 0) > 0) AS reopened,
         count(*) FILTER (WHERE coalesce(e.n, 0) < 2) AS first_contact
  FROM tickets t LEFT JOIN entries_per_ticket e ON e.ticket_id = t.id
  WHERE t.completed_at IS NOT NULL GROUP BY ALL
),
backlog AS (
  SELECT m.s, t.assigned_resource_id AS rid, count(*) AS n
  FROM months m JOIN tickets t
    ON t.created_at < m.c AND t.resolved_due < m.c AND (t.completed_at IS NULL OR t.completed_at >= m.c)
  GROUP BY ALL
),
cx AS (
  SELECT date_trunc('month', responded_at) AS s, resource_id AS rid,
         avg(score / nullif(coalesce(max_score, 5), 0)) AS cx
  FROM surveys GROUP BY ALL
)
SELECT m.label AS period, r.id AS grp,
       coalesce(te.billable_hours, 0) / nullif(m.workdays * r.hpd, 0) AS utilization,
       te.rt_hits / nullif(te.rt_rows, 0) AS real_time_entry,
       engage.met / nullif(engage.n, 0) AS sla_engagement,
       resolved.mttr AS mttr,
       completed.escalated / nullif(completed.n, 0) AS escalation_rate,
       completed.reopened / nullif(completed.n, 0) AS reopen_rate,
       completed.first_contact / nullif(completed.n, 0) AS fcr,
       coalesce(backlog.n, 0) AS backlog,
       cx.cx AS cx
FROM months m CROSS JOIN res r
LEFT JOIN te ON te.s = m.s AND te.rid = r.id
LEFT JOIN engage ON engage.s = m.s AND engage.rid = r.id
LEFT JOIN resolved ON resolved.s = m.s AND resolved.rid = r.id
LEFT JOIN completed ON completed.s = m.s AND completed.rid = r.id
LEFT JOIN backlog ON backlog.s = m.s AND backlog.rid = r.id
LEFT JOIN cx ON cx.s = m.s AND cx.rid = r.id
ORDER BY period, grp;
