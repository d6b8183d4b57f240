-- Projects: one row per month, company-wide; c = min(end of month, as_of).
WITH considered AS (
  SELECT m.label, m.s, m.c, p.id, p.budget_hours
  FROM months m JOIN projects p
    ON p.budget_hours IS NOT NULL
   AND ((p.start_date <= m.c AND (p.completed_at IS NULL OR p.completed_at > m.c))
        OR (p.completed_at >= m.s AND p.completed_at < m.c))
),
over AS (
  SELECT k.label,
         count(*) FILTER (WHERE (SELECT coalesce(sum(te.hours), 0) FROM time_entries te
                                 WHERE te.project_id = k.id AND te.started_at < k.c) > k.budget_hours)
           / count(*) AS over_budget
  FROM considered k GROUP BY ALL
),
done AS (
  SELECT strftime(date_trunc('month', completed_at), '%Y-%m') AS label,
         count(*) FILTER (WHERE completed_at < due_date + INTERVAL 1 DAY) / count(*) AS on_time
  FROM projects WHERE completed_at IS NOT NULL AND due_date IS NOT NULL GROUP BY ALL
)
SELECT m.label AS period, '' AS grp, over.over_budget, done.on_time
FROM months m LEFT JOIN over ON over.label = m.label LEFT JOIN done ON done.label = m.label
ORDER BY period;
