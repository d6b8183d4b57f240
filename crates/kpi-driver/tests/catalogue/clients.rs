//! Per client: service_delivery and client_health.
use crate::common::*;
use crate::company::*;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

// service_delivery: utilization, reactive_hours_per_endpoint; client_health: all three KPIs

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
