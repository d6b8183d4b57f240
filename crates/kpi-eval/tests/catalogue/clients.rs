//! Per client: service_delivery and client_health.
use crate::common::*;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

// service_delivery: utilization, reactive_hours_per_endpoint; client_health: all three KPIs

const CO_RESOURCES: &str = "id,name,hours_per_day,active\nR1,Ana,,true\nR2,Ben,4,true\nR3,Cy,8,false\n";
/// D's endpoints are empty: default 0.
const CO_CLIENTS: &str = "id,name,endpoints\nA,Acme,10\nB,Bolt,0\nC,Core,4\nD,Dorm,\n";
/// Ticket types: TA incident (A), TB alert (B), TC problem (C), TC2 project (C), TN incident (no
/// client), TX change_request (A), TY empty (A). Resolution milestone: TA due Mar 5 10:00 and
/// reached exactly then (met); TC due Mar 6 10:00, never reached (overdue at as_of: missed).
const CO_TICKETS: &str = "\
id,client_id,assigned_resource_id,ticket_type,created_at,resolved_due,resolved_at
TA,A,R1,incident,2026-03-01 08:00,2026-03-05 10:00,2026-03-05 10:00
TB,B,R2,alert,2026-03-01 08:00,,
TC,C,R1,problem,2026-03-01 08:00,2026-03-06 10:00,
TC2,C,R1,project,2026-03-01 08:00,,
TN,,R2,incident,2026-03-01 08:00,,
TX,A,R1,change_request,2026-03-01 08:00,,
TY,A,R1,,2026-03-01 08:00,,
";
/// March 2026 time entries:
///   a1 R1 TA 2 h billable; a2 R1 TA 0.5 h started 2026-04-01T04:30Z = Mar 31 23:30 CDT (March)
///   b1 R2 TB 1 h; c1 R1 TC 3 h NOT billable; c2 R1 TC2 5 h (project: not reactive)
///   n1 R2 TN 4 h; r3 R3 (inactive) TN 10 h; x1 R1 TX 6 h (change: not reactive)
///   y1 R1 TY 1 h (no type: not reactive); i1 R1 no ticket 8 h (internal)
const CO_ENTRIES: &str = "\
id,resource_id,ticket_id,started_at,ended_at,hours,billable
a1,R1,TA,2026-03-02 09:00,2026-03-02 11:00,2,true
a2,R1,TA,2026-04-01T04:30:00Z,2026-04-01T05:00:00Z,0.5,true
b1,R2,TB,2026-03-03 09:00,2026-03-03 10:00,1,true
c1,R1,TC,2026-03-04 09:00,2026-03-04 12:00,3,false
c2,R1,TC2,2026-03-05 09:00,2026-03-05 14:00,5,true
n1,R2,TN,2026-03-06 09:00,2026-03-06 13:00,4,true
r3,R3,TN,2026-03-06 09:00,2026-03-06 19:00,10,true
x1,R1,TX,2026-03-09 09:00,2026-03-09 15:00,6,true
y1,R1,TY,2026-03-10 09:00,2026-03-10 10:00,1,true
i1,R1,,2026-03-11 09:00,2026-03-11 17:00,8,true
";
/// S1 A 4 of 5 = 0.8, S2 A 7 of 10 = 0.7, S3 B 10 of 10 = 1.0.
const CO_SURVEYS: &str = "\
id,client_id,responded_at,score,max_score
S1,A,2026-03-03 10:00,4,
S2,A,2026-03-10 10:00,7,10
S3,B,2026-03-12 10:00,10,10
";

pub(crate) fn company_data() -> kpi_data::Dataset {
    dataset(
        CHICAGO,
        &[
            ("resources.csv", CO_RESOURCES),
            ("clients.csv", CO_CLIENTS),
            ("tickets.csv", CO_TICKETS),
            ("time_entries.csv", CO_ENTRIES),
            ("surveys.csv", CO_SURVEYS),
        ],
    )
}

/// Team utilization, March (22 workdays): billable hours of ACTIVE resources
///   R1 = a1 2 + a2 0.5 + c2 5 + x1 6 + y1 1 + i1 8 = 22.5 (c1 is not billable); R2 = b1 1 + n1 4 = 5
///   (r3 is R3's, inactive: left out of both sides)
///   = 27.5 / (22 x (8 + 4)) = 27.5 / 264.  With holiday 2026-03-02: 27.5 / (21 x 12) = 27.5 / 252.
/// Reactive hours per endpoint, March: a1 2 + a2 0.5 + b1 1 + c1 3 + n1 4 + r3 10 = 20.5 reactive
///   hours (billable or not, any resource) / (10 + 0 + 4 + 0) endpoints = 1.4642.. (missed;
///   attainment 0.25 / 1.4642 = 0.1707..).
/// Without any clients (no clients.csv): no endpoints -> no_data.
#[test]
fn service_delivery_team_utilization_and_reactive_hours() {
    let program = standard_rules();
    let data = company_data();
    let card =
        Run::new(&program, "service_delivery", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    assert_eq!(row_keys(&card), [("2026-03".to_string(), String::new())]);
    assert_kpi(&card, "2026-03", "", "utilization", 27.5 / 264.0, Missed);
    assert_kpi(&card, "2026-03", "", "reactive_hours_per_endpoint", 20.5 / 14.0, Missed);
    assert_attainment(&card, "2026-03", "", "reactive_hours_per_endpoint", 0.25 / (20.5 / 14.0));
    assert_eq!(card.kpis.iter().find(|k| k.id == "utilization").unwrap().title, "Team Utilization");

    let card = Run::new(&program, "service_delivery", AS_OF_APR10)
        .months("2026-03-01", "2026-04-01")
        .holidays(&["2026-03-02"])
        .eval(&data);
    assert_kpi(&card, "2026-03", "", "utilization", 27.5 / 252.0, Missed);

    let no_clients = dataset(
        CHICAGO,
        &[("resources.csv", CO_RESOURCES), ("tickets.csv", CO_TICKETS), ("time_entries.csv", CO_ENTRIES)],
    );
    let card = Run::new(&program, "service_delivery", AS_OF_APR10)
        .months("2026-03-01", "2026-04-01")
        .eval(&no_clients);
    assert_no_data(&card, "2026-03", "", "reactive_hours_per_endpoint");
    assert_kpi(&card, "2026-03", "", "utilization", 27.5 / 264.0, Missed);
}

/// client_health, March, one row per client in id order (A, B, C, D):
///   A: reactive (a1 2 + a2 0.5) / 10 = 0.25: met exactly at the target (a 1, w 40);
///      sla_completion TA = 1 / 1 (a 1, w 30); csat (0.8 + 0.7) / 2 = 0.75 (a 0.75/0.9, w 30)
///      score = 100 x (40 + 30 + 30 x 0.8333..) / 100 = 95
///   B: reactive 1 h / 0 endpoints: no_data; sla_completion: no milestone: no_data; csat 1.0 (met)
///      score = 100 (only csat counts)
///   C: reactive 3 / 4 = 0.75 (a 1/3, w 40); sla_completion TC overdue = 0 / 1 (a 0, w 30); csat
///      no_data; score = 100 x (40/3) / 70 = 19.047..
///   D: no endpoints, no tickets, no surveys: every KPI no_data, score null.
#[test]
fn client_health_rows_and_scores() {
    let program = standard_rules();
    let data = company_data();
    let card =
        Run::new(&program, "client_health", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    let groups: Vec<String> = row_keys(&card).into_iter().map(|(_, g)| g).collect();
    assert_eq!(groups, ["A", "B", "C", "D"]);

    assert_kpi(&card, "2026-03", "A", "reactive_hours_per_endpoint", 0.25, Met);
    assert_kpi(&card, "2026-03", "A", "sla_completion", 1.0, Met);
    assert_kpi(&card, "2026-03", "A", "csat", 0.75, Missed);
    approx(row(&card, "2026-03", "A").score.unwrap(), 95.0);

    assert_no_data(&card, "2026-03", "B", "reactive_hours_per_endpoint");
    assert_no_data(&card, "2026-03", "B", "sla_completion");
    assert_kpi(&card, "2026-03", "B", "csat", 1.0, Met);
    approx(row(&card, "2026-03", "B").score.unwrap(), 100.0);

    assert_kpi(&card, "2026-03", "C", "reactive_hours_per_endpoint", 0.75, Missed);
    assert_attainment(&card, "2026-03", "C", "reactive_hours_per_endpoint", 1.0 / 3.0);
    assert_kpi(&card, "2026-03", "C", "sla_completion", 0.0, Missed);
    assert_no_data(&card, "2026-03", "C", "csat");
    approx(row(&card, "2026-03", "C").score.unwrap(), 100.0 * (40.0 / 3.0) / 70.0);

    for id in ["reactive_hours_per_endpoint", "sla_completion", "csat"] {
        assert_no_data(&card, "2026-03", "D", id);
    }
    assert_eq!(row(&card, "2026-03", "D").score, None);
}
