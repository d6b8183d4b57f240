-- Client Profitability: one row per (month, client). A time entry's client is its ticket's
-- (when that is a known client), else its project's; a null cost_per_hour is the param
-- default_cost_per_hour (0).
WITH entry_client AS (
  SELECT te.started_at, te.hours, coalesce(r.cost_per_hour, 0) AS cost,
         coalesce(tc.id, pc.id) AS cid
  FROM time_entries te
  LEFT JOIN resources r ON r.id = te.resource_id
  LEFT JOIN tickets t ON t.id = te.ticket_id
  LEFT JOIN clients tc ON tc.id = t.client_id
  LEFT JOIN projects p ON p.id = te.project_id
  LEFT JOIN clients pc ON pc.id = p.client_id
),
labour AS (
  SELECT date_trunc('month', started_at) AS s, cid, sum(hours * cost) AS cost
  FROM entry_client WHERE cid IS NOT NULL GROUP BY ALL
),
billed AS (
  SELECT date_trunc('month', posted_at) AS s, client_id AS cid, sum(amount) AS revenue,
         sum(coalesce(cost, 0)) AS cost
  FROM billing_items GROUP BY ALL
),
found AS (
  SELECT date_trunc('month', discovered_at) AS s, client_id AS cid, count(*) AS n FROM devices GROUP BY ALL
)
SELECT m.label AS period, c.id AS grp,
       coalesce(billed.revenue, 0) AS revenue,
       coalesce(labour.cost, 0) AS labour_cost,
       (coalesce(billed.revenue, 0) - coalesce(billed.cost, 0) - coalesce(labour.cost, 0))
         / nullif(coalesce(billed.revenue, 0), 0) AS gross_margin,
       coalesce(found.n, 0) AS new_devices
FROM months m CROSS JOIN clients c
LEFT JOIN billed ON billed.s = m.s AND billed.cid = c.id
LEFT JOIN labour ON labour.s = m.s AND labour.cid = c.id
LEFT JOIN found ON found.s = m.s AND found.cid = c.id
ORDER BY period, grp;
