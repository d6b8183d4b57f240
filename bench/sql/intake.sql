-- Service Coordinator Intake: one snapshot row at as_of.
WITH open AS (
  SELECT * FROM tickets
  WHERE created_at <= TIMESTAMP '{as_of}' AND (completed_at IS NULL OR completed_at > TIMESTAMP '{as_of}')
),
worked AS (
  SELECT ticket_id, sum(hours) AS h FROM time_entries WHERE ticket_id IS NOT NULL GROUP BY ALL
),
per_tech AS (
  SELECT r.id, count(o.id) AS n FROM resources r LEFT JOIN open o ON o.assigned_resource_id = r.id GROUP BY ALL
)
SELECT '' AS period, '' AS grp,
  (SELECT count(*) FROM open WHERE queue = 'Triage') AS triage_new,
  (SELECT count(*) FROM open WHERE
       (first_response_due < TIMESTAMP '{as_of}'
         AND (first_response_at IS NULL OR first_response_at > TIMESTAMP '{as_of}'))
    OR (resolution_plan_due < TIMESTAMP '{as_of}'
         AND (resolution_plan_at IS NULL OR resolution_plan_at > TIMESTAMP '{as_of}'))
    OR (resolved_due < TIMESTAMP '{as_of}' AND (resolved_at IS NULL OR resolved_at > TIMESTAMP '{as_of}'))
  ) AS sla_overdue,
  (SELECT count(*) FROM open WHERE starts_with(status, 'Waiting')
     AND last_activity_at < TIMESTAMP '{as_of}' - INTERVAL 2 DAY) AS stale_waiting,
  (SELECT count(*) FROM open WHERE status = 'On Hold' AND due_at < TIMESTAMP '{as_of}') AS on_hold_past_due,
  (SELECT count(*) FROM per_tech WHERE n > 20) AS overloaded_techs,
  -- `queue != triage_queue` is `not (queue = triage_queue)` in kpi: a null queue is not Triage.
  (SELECT count(*) FROM open WHERE assigned_resource_id IS NULL AND queue IS DISTINCT FROM 'Triage') AS unassigned,
  (SELECT count(*) FROM open o LEFT JOIN worked w ON w.ticket_id = o.id
     WHERE o.estimated_hours > 0 AND coalesce(w.h, 0) > 2 * o.estimated_hours) AS over_estimate;
