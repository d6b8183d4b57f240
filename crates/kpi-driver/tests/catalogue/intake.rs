//! intake (a snapshot at as_of); the minimum-sample guard, header-only files. (Determinism, with
//! the JSON report: `crates/kpi-cli/tests/catalogue_json.rs`.)
use crate::common::*;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

const INTAKE_COLUMNS: [&str; 15] = [
    "id",
    "assigned_resource_id",
    "created_at",
    "completed_at",
    "status",
    "queue",
    "first_response_due",
    "first_response_at",
    "resolution_plan_due",
    "resolution_plan_at",
    "resolved_due",
    "resolved_at",
    "due_at",
    "last_activity_at",
    "estimated_hours",
];

/// A ticket line: assigned to R1, created Apr 1 09:00, open, "In Progress" in "Service Desk",
/// unless `set` says otherwise.
fn intake_ticket(id: &str, set: &[(&str, &str)]) -> String {
    let defaults = [
        ("assigned_resource_id", "R1"),
        ("created_at", "2026-04-01 09:00"),
        ("status", "In Progress"),
        ("queue", "Service Desk"),
    ];
    let cells: Vec<String> = INTAKE_COLUMNS
        .iter()
        .map(|c| {
            if *c == "id" {
                return id.to_string();
            }
            let value = set.iter().chain(&defaults).find(|(k, _)| k == c).map_or("", |(_, v)| *v);
            value.to_string()
        })
        .collect();
    cells.join(",") + "\n"
}

/// as_of = 2026-04-10 12:00 CDT. Open = created_at <= as_of and (completed_at null or > as_of).
///   triage_new: Q1 open; Q2 completed exactly at as_of (not open); Q3 completed after as_of
///     (open); Q4 created after as_of (not open); Q5 created exactly at as_of (open)      -> 3
///   sla_overdue: O1 first response due Apr 9, never reached; O2 resolution plan due Apr 9,
///     reached Apr 11 (after as_of); O3 resolved due Apr 9, reached Apr 9 (no); O4 resolved due
///     exactly at as_of (not < as_of: no); O5 overdue but completed (not open)           -> 2
///   stale_waiting (stale_after 2d: last activity before Apr 8 12:00): W1 "Waiting Customer"
///     at Apr 8 11:59; W2 "Waiting Vendor" at Apr 8 12:00 exactly (no); W3 no activity date
///     (no); W4 "In Progress" (no)                                                          -> 1
///   on_hold_past_due: H1 due Apr 9; H2 no due date; H3 due Apr 11; H4 completed          -> 1
///   overloaded_techs (open_max 20): R2 holds 21 open tickets; R3 20 open + 1 completed;
///     R4 (inactive) 21 open: a distinct assigned_resource_id all the same               -> 2
///   unassigned: U1 unassigned in "Service Desk"; U2 unassigned with no queue (not Triage);
///     U5 unassigned but completed (no); Q1/Q3/Q5 are in Triage (no)                      -> 2
///   over_estimate: E1 est 1 h, 1.5 + 0.6 = 2.1 h; E2 est 1 h, exactly 2 h (no); E3 est 0 (no);
///     E3b no estimate (no); E4 completed (no); E5 est 2 h, 3 billable + 2 non-billable = 5 h -> 2
/// Score: only triage_new is met (3 <= 5: a 1, w 15); every other KPI misses a target of 0
///   (a = 0 / v = 0): 100 x 15 / 100 = 15.
/// With open_max = 25 and stale_after = 1d: overloaded 0 (met), stale 2 (W1, W2): score 25.
fn intake_tickets() -> String {
    let mut csv = INTAKE_COLUMNS.join(",") + "\n";
    let as_of = AS_OF_APR10;
    let rows: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("Q1", vec![("assigned_resource_id", ""), ("queue", "Triage"), ("status", "New")]),
        ("Q2", vec![("assigned_resource_id", ""), ("queue", "Triage"), ("completed_at", as_of)]),
        ("Q3", vec![("assigned_resource_id", ""), ("queue", "Triage"), ("completed_at", "2026-04-11 09:00")]),
        ("Q4", vec![("assigned_resource_id", ""), ("queue", "Triage"), ("created_at", "2026-04-11 09:00")]),
        ("Q5", vec![("assigned_resource_id", ""), ("queue", "Triage"), ("created_at", as_of)]),
        ("O1", vec![("first_response_due", "2026-04-09 09:00")]),
        ("O2", vec![("resolution_plan_due", "2026-04-09 09:00"), ("resolution_plan_at", "2026-04-11 09:00")]),
        ("O3", vec![("resolved_due", "2026-04-09 09:00"), ("resolved_at", "2026-04-09 08:00")]),
        ("O4", vec![("resolved_due", as_of)]),
        ("O5", vec![("first_response_due", "2026-04-01 10:00"), ("completed_at", "2026-04-05 09:00")]),
        ("W1", vec![("status", "Waiting Customer"), ("last_activity_at", "2026-04-08 11:59")]),
        ("W2", vec![("status", "Waiting Vendor"), ("last_activity_at", "2026-04-08 12:00")]),
        ("W3", vec![("status", "Waiting Customer")]),
        ("W4", vec![("last_activity_at", "2026-04-01 09:00")]),
        ("H1", vec![("status", "On Hold"), ("due_at", "2026-04-09 09:00")]),
        ("H2", vec![("status", "On Hold")]),
        ("H3", vec![("status", "On Hold"), ("due_at", "2026-04-11 09:00")]),
        (
            "H4",
            vec![("status", "On Hold"), ("due_at", "2026-04-01 09:00"), ("completed_at", "2026-04-02 09:00")],
        ),
        ("U1", vec![("assigned_resource_id", "")]),
        ("U2", vec![("assigned_resource_id", ""), ("queue", "")]),
        ("U5", vec![("assigned_resource_id", ""), ("completed_at", "2026-04-02 09:00")]),
        ("E1", vec![("estimated_hours", "1")]),
        ("E2", vec![("estimated_hours", "1")]),
        ("E3", vec![("estimated_hours", "0")]),
        ("E3b", vec![]),
        ("E4", vec![("estimated_hours", "1"), ("completed_at", "2026-04-02 09:00")]),
        ("E5", vec![("estimated_hours", "2")]),
    ];
    for (id, set) in &rows {
        csv.push_str(&intake_ticket(id, set));
    }
    for i in 1..=21 {
        csv.push_str(&intake_ticket(
            &format!("G{i:02}"),
            &[("assigned_resource_id", "R2"), ("queue", "Projects")],
        ));
        let done: &[(&str, &str)] = if i == 21 { &[("completed_at", "2026-04-02 09:00")] } else { &[] };
        let mut set = vec![("assigned_resource_id", "R3")];
        set.extend_from_slice(done);
        csv.push_str(&intake_ticket(&format!("F{i:02}"), &set));
        csv.push_str(&intake_ticket(&format!("I{i:02}"), &[("assigned_resource_id", "R4")]));
    }
    csv
}

const INTAKE_ENTRIES: &str = "\
id,resource_id,ticket_id,started_at,ended_at,hours,billable
e1a,R1,E1,2026-04-02 09:00,2026-04-02 10:30,1.5,true
e1b,R1,E1,2026-04-03 09:00,2026-04-03 09:36,0.6,true
e2a,R1,E2,2026-04-02 09:00,2026-04-02 10:00,1,true
e2b,R1,E2,2026-04-03 09:00,2026-04-03 10:00,1,true
e3,R1,E3,2026-04-02 09:00,2026-04-02 14:00,5,true
e3b,R1,E3b,2026-04-02 09:00,2026-04-02 14:00,5,true
e4,R1,E4,2026-04-02 09:00,2026-04-02 12:00,3,true
e5a,R1,E5,2026-04-02 09:00,2026-04-02 12:00,3,true
e5b,R1,E5,2026-04-03 09:00,2026-04-03 11:00,2,false
";

#[test]
fn intake_snapshot_at_as_of() {
    let program = standard_rules();
    let tickets = intake_tickets();
    let resources = "id,name,active\nR1,Ana,true\nR2,Ben,true\nR3,Cy,true\nR4,Dee,false\n";
    let data = dataset(
        CHICAGO,
        &[("resources.csv", resources), ("tickets.csv", &tickets), ("time_entries.csv", INTAKE_ENTRIES)],
    );
    let card = Run::new(&program, "intake", AS_OF_APR10).eval(&data);
    assert_eq!(card.rows.len(), 1, "a snapshot has one row");
    assert!(card.rows[0].period.is_none() && card.rows[0].group.is_none());
    assert_kpi(&card, "", "", "triage_new", 3.0, Met);
    assert_kpi(&card, "", "", "sla_overdue", 2.0, Missed);
    assert_attainment(&card, "", "", "sla_overdue", 0.0);
    assert_kpi(&card, "", "", "stale_waiting", 1.0, Missed);
    assert_kpi(&card, "", "", "on_hold_past_due", 1.0, Missed);
    assert_kpi(&card, "", "", "overloaded_techs", 2.0, Missed);
    assert_kpi(&card, "", "", "unassigned", 2.0, Missed);
    assert_kpi(&card, "", "", "over_estimate", 2.0, Missed);
    approx(card.rows[0].score.unwrap(), 15.0);

    let card = Run::new(&program, "intake", AS_OF_APR10)
        .params(&[("open_max", "25"), ("stale_after", "1d")])
        .eval(&data);
    assert_kpi(&card, "", "", "overloaded_techs", 0.0, Met);
    assert_attainment(&card, "", "", "overloaded_techs", 1.0);
    assert_kpi(&card, "", "", "stale_waiting", 2.0, Missed);
    approx(card.rows[0].score.unwrap(), 25.0);
}

// ------------------------------------------------------------------------------------------------
// Minimum-sample guard, header-only files, determinism

/// A rule file written for this test: cx with `min_rows 3`.
///   R1 has 2 surveys in March (1.0 and 0.8): fewer than 3 rows -> no_data (not 0.9);
///   R2 has 3 (0.6, 0.8, 1.0) -> 0.8. `surveys_n` (no guard) counts them: 2 and 3.
///   R1's score counts only surveys_n (3 >= 1: met): 100; R2: cx a = 0.8 / 0.9, w 10;
///   surveys_n a = 1, w 10 -> 100 x (8.888.. + 10) / 20 = 94.44..
const GUARDED_RULES: &str = r#"
scorecard guarded "Guarded" {
  period month
  per resource

  kpi cx "Client Experience" {
    from     surveys by responded_at
    value    avg(score / max_score)
    target   >= 90%
    weight   10
    min_rows 3
  }

  kpi surveys_n "Surveys" {
    from   surveys by responded_at
    value  count()
    target >= 1
    weight 10
  }
}
"#;

#[test]
fn min_rows_guard_gives_no_data() {
    let program = rules_from_text("guarded.kpi", GUARDED_RULES);
    let surveys = "\
id,resource_id,responded_at,score,max_score
S1,R1,2026-03-02 10:00,5,5
S2,R1,2026-03-03 10:00,4,5
S3,R2,2026-03-02 10:00,6,10
S4,R2,2026-03-03 10:00,8,10
S5,R2,2026-03-04 10:00,10,10
";
    let data = dataset(CHICAGO, &[("resources.csv", "id,name\nR1,Ana\nR2,Ben\n"), ("surveys.csv", surveys)]);
    let card = Run::new(&program, "guarded", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    assert_no_data(&card, "2026-03", "R1", "cx");
    assert_eq!(kpi(&card, "2026-03", "R1", "cx").rows, 2);
    assert_kpi(&card, "2026-03", "R1", "surveys_n", 2.0, Met);
    approx(row(&card, "2026-03", "R1").score.unwrap(), 100.0);
    assert_kpi(&card, "2026-03", "R2", "cx", 0.8, Missed);
    assert_kpi(&card, "2026-03", "R2", "surveys_n", 3.0, Met);
    approx(row(&card, "2026-03", "R2").score.unwrap(), 100.0 * (10.0 * 0.8 / 0.9 + 10.0) / 20.0);
}

/// Header-only files (a month with no surveys, no tickets) still have every column: KPIs over
/// them are no_data (or 0 for counts and sums), and the evaluation does not fail.
#[test]
fn header_only_tables_evaluate_to_no_data() {
    let program = standard_rules();
    let data = dataset(
        CHICAGO,
        &[
            ("resources.csv", "id,name\nR1,Ana\n"),
            ("clients.csv", "id,name,endpoints\n"),
            ("surveys.csv", "id,responded_at,score\n"),
        ],
    );
    for id in ["tech_balanced", "service_delivery", "client_health"] {
        let card = Run::new(&program, id, AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
        if id == "client_health" {
            assert!(card.rows.is_empty(), "no clients, no rows");
            continue;
        }
        let group = if id == "tech_balanced" { "R1" } else { "" };
        assert_kpi(&card, "2026-03", group, "utilization", 0.0, Missed);
        assert_no_data(&card, "2026-03", group, "mttr");
    }
    let card = Run::new(&program, "intake", AS_OF_APR10).eval(&data);
    assert_kpi(&card, "", "", "triage_new", 0.0, Met);
    approx(card.rows[0].score.unwrap(), 100.0);
}
