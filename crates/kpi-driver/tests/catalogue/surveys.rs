//! Surveys: cx (tech_balanced) and csat (client_health); one tech_balanced row score by hand.
use crate::common::*;
use crate::sla::SLA_CLIENTS;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

// cx (tech_balanced) and csat (client_health): surveys on 5- and 10-point scales

/// S1 R1/A Mar 3, 4 of 5 (max_score empty -> default 5) = 0.8
/// S2 R1/A Mar 10, 7 of 10                                 = 0.7
/// S3 R1/B 2026-04-01T04:30Z = Mar 31 23:30 CDT, 6 of 10   = 0.6 -> MARCH
/// S4 R1/- Apr 2, 3 of 10                                  = 0.3
/// S5 R2/B Apr 3, 10 of 10                                 = 1.0
/// cx: R1 March = (0.8 + 0.7 + 0.6) / 3 = 0.7 (missed, attainment 0.7 / 0.9); R1 April = 0.3;
///     R2 March no_data, R2 April = 1.0 (met).
/// csat: A March = (0.8 + 0.7) / 2 = 0.75; B March = 0.6, April = 1.0; C (no surveys) no_data;
///     S4 has no client: in no client's row.
const SURVEYS: &str = "\
id,resource_id,client_id,responded_at,score,max_score
S1,R1,A,2026-03-03 10:00,4,
S2,R1,A,2026-03-10 10:00,7,10
S3,R1,B,2026-04-01T04:30:00Z,6,10
S4,R1,,2026-04-02 10:00,3,10
S5,R2,B,2026-04-03 10:00,10,10
";

#[test]
fn cx_and_csat_mix_survey_scales() {
    let program = standard_rules();
    let data = dataset(
        CHICAGO,
        &[
            ("resources.csv", "id,name\nR1,Ana\nR2,Ben\n"),
            ("clients.csv", SLA_CLIENTS),
            ("surveys.csv", SURVEYS),
        ],
    );
    let card =
        Run::new(&program, "tech_balanced", AS_OF_APR10).months("2026-03-01", "2026-05-01").eval(&data);
    assert_kpi(&card, "2026-03", "R1", "cx", 0.7, Missed);
    assert_attainment(&card, "2026-03", "R1", "cx", 0.7 / 0.9);
    assert_kpi(&card, "2026-04", "R1", "cx", 0.3, Missed);
    assert_no_data(&card, "2026-03", "R2", "cx");
    assert_kpi(&card, "2026-04", "R2", "cx", 1.0, Met);

    let card =
        Run::new(&program, "client_health", AS_OF_APR10).months("2026-03-01", "2026-05-01").eval(&data);
    assert_kpi(&card, "2026-03", "A", "csat", 0.75, Missed);
    assert_kpi(&card, "2026-03", "B", "csat", 0.6, Missed);
    assert_kpi(&card, "2026-04", "B", "csat", 1.0, Met);
    assert_no_data(&card, "2026-03", "C", "csat");
    assert_no_data(&card, "2026-04", "A", "csat");
}

// ------------------------------------------------------------------------------------------------
// The weighted score of one tech_balanced row, by hand

/// R1 (5 h/day), March 2026 (22 workdays -> 110 available hours), as_of Apr 10:
///   utilization      U1 60 h + U2 6 h billable (U3 is not) = 66 / 110 = 0.6   a = 0.6/0.8 = 0.75  w 20
///   real_time_entry  U1 recorded 5 minutes after its end (U2, U3 unknown) = 1/1  a = 1     w 10
///   sla_engagement   K1 engaged before due = 1/1                             a = 1     w 15
///   mttr             K1 created Mar 10 08:00, resolved Mar 11 14:00 = 30 h   a = 24/30 = 0.8  w 10
///   escalation_rate  K2 completed, never escalated = 0                       a = 1     w 10
///   reopen_rate      K2 never reopened = 0                                   a = 1     w 10
///   fcr              K2 has no time entries = 1/1                            a = 1     w 10
///   backlog          no ticket has a resolved_due = 0                        a = 1     w  5
///   cx               4/10 and 5/10 = 0.45                                    a = 0.45/0.9 = 0.5  w 10
///   score = 100 x (15 + 10 + 15 + 8 + 10 + 10 + 10 + 5 + 5) / 100 = 88
/// R2 (8 h/day): utilization 44 / 176 = 0.25 (a = 0.3125, w 20) and backlog 0 (a = 1, w 5); every
/// other KPI is no_data and left out of the weights: score = 100 x (6.25 + 5) / 25 = 45.
#[test]
fn weighted_score_of_one_row() {
    let program = standard_rules();
    let resources = "id,name,hours_per_day\nR1,Ana,5\nR2,Ben,8\n";
    let entries = "\
id,resource_id,ticket_id,started_at,ended_at,hours,billable,created_at
U1,R1,,2026-03-02 08:00,2026-03-02 20:00,60,true,2026-03-02 20:05
U2,R1,,2026-03-03 08:00,2026-03-03 14:00,6,true,
U3,R1,,2026-03-04 08:00,2026-03-04 10:00,2,false,
V1,R2,,2026-03-04 08:00,2026-03-04 10:00,44,true,
";
    let tickets = "\
id,assigned_resource_id,created_at,completed_at,resolved_at,resolution_plan_due,resolution_plan_at,escalation_count,reopen_count
K1,R1,2026-03-10 08:00,,2026-03-11 14:00,2026-03-10 12:00,2026-03-10 11:00,0,0
K2,R1,2026-03-12 08:00,2026-03-12 09:00,,,,0,0
";
    let surveys = "id,resource_id,responded_at,score,max_score\nS1,R1,2026-03-05 10:00,4,10\nS2,R1,2026-03-06 10:00,5,10\n";
    let data = dataset(
        CHICAGO,
        &[
            ("resources.csv", resources),
            ("time_entries.csv", entries),
            ("tickets.csv", tickets),
            ("surveys.csv", surveys),
        ],
    );
    let card =
        Run::new(&program, "tech_balanced", AS_OF_APR10).months("2026-03-01", "2026-04-01").eval(&data);
    // The catalogue's ids, weights and targets, in order.
    let defs: Vec<(&str, f64, f64)> = card.kpis.iter().map(|k| (k.id.as_str(), k.weight, k.target)).collect();
    assert_eq!(
        defs,
        [
            ("utilization", 20.0, 0.8),
            ("real_time_entry", 10.0, 0.9),
            ("sla_engagement", 15.0, 0.95),
            ("mttr", 10.0, 24.0),
            ("escalation_rate", 10.0, 0.1),
            ("reopen_rate", 10.0, 0.05),
            ("fcr", 10.0, 0.7),
            ("backlog", 5.0, 5.0),
            ("cx", 10.0, 0.9),
        ]
    );
    let expected = [
        ("utilization", 0.6, 0.75, Missed),
        ("real_time_entry", 1.0, 1.0, Met),
        ("sla_engagement", 1.0, 1.0, Met),
        ("mttr", 30.0, 0.8, Missed),
        ("escalation_rate", 0.0, 1.0, Met),
        ("reopen_rate", 0.0, 1.0, Met),
        ("fcr", 1.0, 1.0, Met),
        ("backlog", 0.0, 1.0, Met),
        ("cx", 0.45, 0.5, Missed),
    ];
    for (id, value, attainment, status) in expected {
        assert_kpi(&card, "2026-03", "R1", id, value, status);
        assert_attainment(&card, "2026-03", "R1", id, attainment);
    }
    approx(row(&card, "2026-03", "R1").score.expect("a score"), 88.0);

    assert_kpi(&card, "2026-03", "R2", "utilization", 0.25, Missed);
    assert_kpi(&card, "2026-03", "R2", "backlog", 0.0, Met);
    for id in ["real_time_entry", "sla_engagement", "mttr", "escalation_rate", "reopen_rate", "fcr", "cx"] {
        assert_no_data(&card, "2026-03", "R2", id);
    }
    approx(row(&card, "2026-03", "R2").score.expect("a score"), 45.0);
}
