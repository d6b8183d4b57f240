-- Tech Time: one row per (month, active resource).
WITH res AS (
  SELECT id, coalesce(hours_per_day, 8) AS hpd FROM resources WHERE coalesce(active, true)
),
te AS (
  SELECT date_trunc('month', started_at) AS s, resource_id AS rid,
         coalesce(sum(hours) FILTER (WHERE billable), 0) AS billable_hours,
         sum(hours) AS hours,
         coalesce(sum(hours) FILTER (WHERE ticket_id IS NULL AND project_id IS NULL), 0) AS admin_hours
  FROM time_entries GROUP BY ALL
)
SELECT m.label AS period, r.id AS grp,
       coalesce(te.billable_hours, 0) / nullif(m.workdays * r.hpd, 0) AS utilization,
       te.admin_hours / nullif(te.hours, 0) AS admin_share
FROM months m CROSS JOIN res r
LEFT JOIN te ON te.s = m.s AND te.rid = r.id
ORDER BY period, grp;
