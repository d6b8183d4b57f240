//! SLA milestones: sla_engagement, sla_triage and sla_completion.
use crate::common::*;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

// SLA milestones: sla_engagement (tech_balanced, service_delivery), sla_triage, sla_completion
// (service_delivery, client_health). as_of = 2026-04-10 12:00 CDT; months March and April.

/// The same nine tickets for any milestone X (`first_response`, `resolution_plan`, `resolved`):
///   T1 R1/A  due Mar 5 10:00, reached Mar 5 10:00 exactly      -> considered, met
///   T2 R1/A  due Mar 6 10:00, reached 10:01                    -> considered, missed
///   T3 R1/A  due Mar 10 10:00, not reached (overdue at as_of)  -> considered, missed
///   T4 R1/A  due 2026-04-01T04:30Z = Mar 31 23:30 CDT, reached 23:00 -> MARCH, met
///   T5 R1/A  due Apr 20, not reached: not yet due at as_of     -> not considered
///   T6 R1/A  due Apr 25, reached Apr 8 (early)                 -> April, considered, met
///   T7 R2/B  (R2 inactive) due Mar 2 10:00, reached 09:00      -> met (company-wide only)
///   T8 -/C   (unassigned) due Mar 2 10:00, reached 11:00       -> missed (company-wide only)
///   T9 R1/A  due exactly at as_of, not reached                 -> due < as_of is false: not considered
/// Per resource (tech_balanced sla_engagement):
///   R1 March = T1, T4 met of T1-T4 = 2 / 4 = 0.5 (missed, attainment 0.5 / 0.95); R1 April = 1 / 1
///   R3 (active, no tickets): no_data.
/// Company-wide (service_delivery sla_triage / sla_engagement / sla_completion):
///   March = T1, T4, T7 met of T1-T4, T7, T8 = 3 / 6 = 0.5; April = 1 / 1 = 1.0 (met).
/// Per client (client_health sla_completion): March A = 2 / 4, B = 1 / 1 (met), C = 0 / 1 = 0
///   (missed, attainment 0); April A = 1 / 1, B and C no_data.
fn milestone_tickets(x: &str) -> String {
    let mut csv = format!("id,assigned_resource_id,client_id,created_at,{x}_due,{x}_at\n");
    for line in [
        "T1,R1,A,2026-03-01 08:00,2026-03-05 10:00,2026-03-05 10:00",
        "T2,R1,A,2026-03-01 08:00,2026-03-06 10:00,2026-03-06 10:01",
        "T3,R1,A,2026-03-01 08:00,2026-03-10 10:00,",
        "T4,R1,A,2026-03-01 08:00,2026-04-01T04:30:00Z,2026-03-31 23:00",
        "T5,R1,A,2026-03-01 08:00,2026-04-20 10:00,",
        "T6,R1,A,2026-03-01 08:00,2026-04-25 10:00,2026-04-08 10:00",
        "T7,R2,B,2026-03-01 08:00,2026-03-02 10:00,2026-03-02 09:00",
        "T8,,C,2026-03-01 08:00,2026-03-02 10:00,2026-03-02 11:00",
        "T9,R1,A,2026-03-01 08:00,2026-04-10T12:00:00-05:00,",
    ] {
        csv.push_str(line);
        csv.push('\n');
    }
    csv
}

const SLA_RESOURCES: &str = "id,name,active\nR1,Ana,true\nR2,Ben,false\nR3,Cy,true\n";
pub(crate) const SLA_CLIENTS: &str = "id,name,endpoints\nA,Acme,10\nB,Bolt,5\nC,Core,1\n";

fn milestone_data(x: &str) -> kpi_data::Dataset {
    let tickets = milestone_tickets(x);
    dataset(
        CHICAGO,
        &[("resources.csv", SLA_RESOURCES), ("clients.csv", SLA_CLIENTS), ("tickets.csv", &tickets)],
    )
}

#[test]
fn sla_engagement_per_resource_milestone_rules() {
    let program = standard_rules();
    let data = milestone_data("resolution_plan");
    let card =
        Run::new(&program, "tech_balanced", AS_OF_APR10).months("2026-03-01", "2026-05-01").eval(&data);
    assert_eq!(row_keys(&card).len(), 4, "R1 and R3 in March and April; R2 is inactive");
    assert_kpi(&card, "2026-03", "R1", "sla_engagement", 0.5, Missed);
    assert_attainment(&card, "2026-03", "R1", "sla_engagement", 0.5 / 0.95);
    assert_eq!(kpi(&card, "2026-03", "R1", "sla_engagement").rows, 4);
    assert_kpi(&card, "2026-04", "R1", "sla_engagement", 1.0, Met);
    assert_eq!(kpi(&card, "2026-04", "R1", "sla_engagement").rows, 1, "T5 and T9 are not yet due");
    assert_no_data(&card, "2026-03", "R3", "sla_engagement");
    assert_no_data(&card, "2026-04", "R3", "sla_engagement");
}

#[test]
fn service_delivery_sla_triage_engagement_completion() {
    let program = standard_rules();
    for (x, id) in [
        ("first_response", "sla_triage"),
        ("resolution_plan", "sla_engagement"),
        ("resolved", "sla_completion"),
    ] {
        let data = milestone_data(x);
        let card = Run::new(&program, "service_delivery", AS_OF_APR10)
            .months("2026-03-01", "2026-05-01")
            .eval(&data);
        assert_eq!(row_keys(&card).len(), 2, "one company-wide row per month");
        assert_kpi(&card, "2026-03", "", id, 0.5, Missed);
        assert_eq!(kpi(&card, "2026-03", "", id).rows, 6, "{id}");
        assert_kpi(&card, "2026-04", "", id, 1.0, Met);
        // The other two milestones have no due dates in this fixture: no_data, never NaN.
        for other in ["sla_triage", "sla_engagement", "sla_completion"].into_iter().filter(|o| *o != id) {
            assert_no_data(&card, "2026-03", "", other);
        }
    }
}

#[test]
fn client_health_sla_completion_per_client() {
    let program = standard_rules();
    let data = milestone_data("resolved");
    let card =
        Run::new(&program, "client_health", AS_OF_APR10).months("2026-03-01", "2026-05-01").eval(&data);
    assert_kpi(&card, "2026-03", "A", "sla_completion", 0.5, Missed);
    assert_kpi(&card, "2026-03", "B", "sla_completion", 1.0, Met);
    assert_kpi(&card, "2026-03", "C", "sla_completion", 0.0, Missed);
    assert_attainment(&card, "2026-03", "C", "sla_completion", 0.0);
    assert_kpi(&card, "2026-04", "A", "sla_completion", 1.0, Met);
    assert_no_data(&card, "2026-04", "B", "sla_completion");
    assert_no_data(&card, "2026-04", "C", "sla_completion");
}
