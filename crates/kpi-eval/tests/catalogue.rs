//! The KPI catalogue (../shared/spec/kpi-catalogue.md), KPI by KPI: a tiny fixture dataset per
//! KPI, its expected values worked out by hand in a comment, evaluated through the REAL standard
//! rules in `rules/`.
//!
//! Unless a test says otherwise the dataset time zone is America/Chicago: CST = UTC-6 until
//! 2026-03-08 02:00 (spring forward, the day has 23 hours) and from 2026-11-01 02:00 CDT (fall
//! back, 01:00-02:00 happens twice); CDT = UTC-5 in between. Naive timestamps in the fixtures are
//! local; RFC 3339 ones carry their offset. Workdays (Mon-Fri) of 2026: January 22, February 20,
//! March 22, April 22, November 21.
mod common;

use common::*;
use kpi_eval::Status::{Met, Missed};

const AS_OF_APR10: &str = "2026-04-10T12:00:00-05:00";

// ------------------------------------------------------------------------------------------------
// tech_balanced: utilization

/// Resources: R1 (hours_per_day empty -> param 8), R2 (4 h/day, `active` empty -> default true),
/// R3 inactive, R4 (0 h/day), R5 active with no data at all.
const UTIL_RESOURCES: &str = "\
id,name,hours_per_day,active
R1,Ana,,true
R2,Ben,4,
R3,Cy,8,false
R4,Dee,0,true
R5,Eve,,yes
";

/// E1  R1 Jan 15, 8 h billable                          -> January
/// E2  R1 Jan 16, 4 h NOT billable                      -> not counted
/// E3  R1 2026-02-01T05:30Z = Jan 31 23:30 CST, 10 h    -> January (UTC would say February)
/// E4  R1 Feb 1 00:30 local, 2 h                        -> February
/// E5  R2 Jan 20, 79.2 h billable                       -> January
/// E6  R3 (inactive) Jan 20, 8 h                        -> no row
/// E7  R4 Jan 20, 3 h                                   -> 3 / 0 available hours: no_data
/// E8  R1 2026-01-01T00:30Z = Dec 31 18:30 CST, 5 h     -> December 2025 (UTC would say January)
const UTIL_ENTRIES: &str = "\
id,resource_id,ticket_id,started_at,ended_at,hours,billable
E1,R1,,2026-01-15 09:00,2026-01-15 17:00,8,true
E2,R1,,2026-01-16 09:00,2026-01-16 13:00,4,false
E3,R1,,2026-02-01T05:30:00Z,2026-02-01T07:30:00Z,10,true
E4,R1,,2026-02-01 00:30,2026-02-01 02:30,2,true
E5,R2,,2026-01-20 09:00,2026-01-20 17:00,79.2,yes
E6,R3,,2026-01-20 09:00,2026-01-20 17:00,8,true
E7,R4,,2026-01-20 09:00,2026-01-20 17:00,3,true
E8,R1,,2026-01-01T00:30:00Z,2026-01-01T01:30:00Z,5,true
";

/// January (22 workdays):
///   R1 = (8 + 10) / (22 x 8) = 18 / 176 = 0.102272..  missed
///   R2 = 79.2 / (22 x 4) = 79.2 / 88 = 0.9          met
///   R4 = 3 / (22 x 0): zero denominator             no_data
///   R5 = 0 / 176 = 0                                 missed (a value, attainment 0)
/// February (20 workdays): R1 = 2 / 160 = 0.0125; R2 = 0 / 80 = 0.
/// R3 is inactive: no row.
#[test]
fn utilization_month_edges_in_chicago_inactive_and_zero_denominator() {
    let program = standard_rules();
    let data = dataset(CHICAGO, &[("resources.csv", UTIL_RESOURCES), ("time_entries.csv", UTIL_ENTRIES)]);
    let card = Run::new(&program, "tech_balanced", "2026-03-01T00:00:00-06:00")
        .months("2026-01-01", "2026-03-01")
        .eval(&data);
    assert_eq!(
        row_keys(&card),
        [("2026-01", "R1"), ("2026-01", "R2"), ("2026-01", "R4"), ("2026-01", "R5")]
            .iter()
            .chain(&[("2026-02", "R1"), ("2026-02", "R2"), ("2026-02", "R4"), ("2026-02", "R5")])
            .map(|(p, g)| (p.to_string(), g.to_string()))
            .collect::<Vec<_>>(),
        "one row per (month, active resource), in id order; R3 is inactive"
    );
    assert_kpi(&card, "2026-01", "R1", "utilization", 18.0 / 176.0, Missed);
    assert_kpi(&card, "2026-01", "R2", "utilization", 0.9, Met);
    assert_attainment(&card, "2026-01", "R2", "utilization", 1.0);
    assert_no_data(&card, "2026-01", "R4", "utilization");
    assert_kpi(&card, "2026-01", "R5", "utilization", 0.0, Missed);
    assert_attainment(&card, "2026-01", "R5", "utilization", 0.0);
    assert_kpi(&card, "2026-02", "R1", "utilization", 2.0 / 160.0, Missed);
    assert_kpi(&card, "2026-02", "R2", "utilization", 0.0, Missed);
    // R5 has no data at all: its row is there; every ratio and mean is no_data, but
    // utilization (0 billable hours of 176 available) is 0 and backlog (a count) is 0, so the
    // score is not null: 100 x (20 x 0 + 5 x 1) / (20 + 5) = 20.
    for id in ["real_time_entry", "sla_engagement", "mttr", "escalation_rate", "reopen_rate", "fcr", "cx"] {
        assert_no_data(&card, "2026-01", "R5", id);
    }
    assert_kpi(&card, "2026-01", "R5", "backlog", 0.0, Met);
    approx(row(&card, "2026-01", "R5").score.unwrap(), 20.0);
}

/// Holidays 2026-01-01 (Thu), 2026-01-19 (Mon) and 2026-01-03 (a Saturday: no effect) leave 20
/// workdays in January, so utilization rises:
///   R1 = 18 / (20 x 8) = 0.1125;  R2 = 79.2 / (20 x 4) = 0.99.
/// With the param `hours_per_day` = 10, R1 (no hours of its own) = 18 / (20 x 10) = 0.09, while
/// R2 keeps its own 4 h/day.
#[test]
fn utilization_holidays_and_hours_per_day_param() {
    let program = standard_rules();
    let data = dataset(CHICAGO, &[("resources.csv", UTIL_RESOURCES), ("time_entries.csv", UTIL_ENTRIES)]);
    let holidays = ["2026-01-01", "2026-01-19", "2026-01-03"];
    let run =
        Run::new(&program, "tech_balanced", "2026-03-01T00:00:00-06:00").months("2026-01-01", "2026-02-01");
    let card = run.holidays(&holidays).eval(&data);
    assert_kpi(&card, "2026-01", "R1", "utilization", 0.1125, Missed);
    assert_kpi(&card, "2026-01", "R2", "utilization", 0.99, Met);

    let run =
        Run::new(&program, "tech_balanced", "2026-03-01T00:00:00-06:00").months("2026-01-01", "2026-02-01");
    let card = run.holidays(&holidays).params(&[("hours_per_day", "10")]).eval(&data);
    assert_kpi(&card, "2026-01", "R1", "utilization", 0.09, Missed);
    assert_kpi(&card, "2026-01", "R2", "utilization", 0.99, Met);
}

/// Without --from/--to the months are those the data touches, in local time: E8 (Dec 31 18:30
/// CST) opens December 2025 and E3 (Jan 31 23:30 CST) stays in January; E4 is February.
#[test]
fn months_touched_by_the_data_are_local_months() {
    let program = standard_rules();
    let data = dataset(CHICAGO, &[("resources.csv", UTIL_RESOURCES), ("time_entries.csv", UTIL_ENTRIES)]);
    let card = Run::new(&program, "tech_balanced", "2026-03-01T00:00:00-06:00").eval(&data);
    let mut months: Vec<String> = row_keys(&card).into_iter().map(|(p, _)| p).collect();
    months.dedup();
    assert_eq!(months, ["2025-12", "2026-01", "2026-02"]);
    assert_kpi(&card, "2025-12", "R1", "utilization", 5.0 / (23.0 * 8.0), Missed); // December 2025: 23 workdays
    assert_kpi(&card, "2026-01", "R1", "utilization", 18.0 / 176.0, Missed);
    // The month boundary is local midnight: 2026-01-01T06:00Z.
    let jan = row(&card, "2026-01", "R1").period.clone().unwrap();
    assert_eq!(jan.start, ts("2026-01-01T06:00:00Z", "UTC"));
    assert_eq!(jan.end, ts("2026-02-01T06:00:00Z", "UTC"));
}

// ------------------------------------------------------------------------------------------------
// tech_balanced: real_time_entry (DST both ways, the grace boundary, the param override)

/// R1, November 2026 (fall back on Nov 1: 01:00-02:00 happens twice):
///   N1 started 01:05 CDT (06:05Z), ended 01:20 CDT (06:20Z), created 01:10 CST (07:10Z):
///      50 minutes after the end -> late (by the wall clock it would look 10 minutes EARLY)
///   N6 in the second 01:xx hour: ended 01:45 CST, created 01:50 CST: 5 minutes -> on time
///   N2 20 minutes, N3 exactly 30 minutes (<= grace: on time), N5 10 minutes
///   N4 created_at empty -> not counted
///   N7 started 2026-12-01T05:30Z = Nov 30 23:30 CST -> November; created 20 minutes after end
///   => 5 on time of 6 = 0.8333.. (missed); attainment 0.8333 / 0.9 = 0.9259..
/// R2, March 2026 (spring forward on Mar 8: 02:00 CST -> 03:00 CDT):
///   M1 ended 01:50 CST (07:50Z), created 03:15 CDT (08:15Z): 25 minutes -> on time
///      (by the wall clock 85 minutes: late)
///   M2 60 minutes -> late
///   => 1 / 2 = 0.5
/// R1 in March and R2 in November: no entries -> no_data.
/// With `realtime_grace` = 15m: R1 = N5, N6 = 2 / 6; R2 = 0 / 2 = 0 (a value, not no_data).
const RT_ENTRIES: &str = "\
id,resource_id,ticket_id,started_at,ended_at,hours,billable,created_at
N1,R1,,2026-11-01T01:05:00-05:00,2026-11-01T01:20:00-05:00,0.25,true,2026-11-01T01:10:00-06:00
N2,R1,,2026-11-10 09:00,2026-11-10 10:00,1,true,2026-11-10 10:20
N3,R1,,2026-11-11 09:00,2026-11-11 10:00,1,true,2026-11-11 10:30
N4,R1,,2026-11-12 09:00,2026-11-12 10:00,1,true,
N5,R1,,2026-11-13 09:00,2026-11-13 10:00,1,true,2026-11-13 10:10
N6,R1,,2026-11-01T01:30:00-06:00,2026-11-01T01:45:00-06:00,0.25,true,2026-11-01T01:50:00-06:00
N7,R1,,2026-12-01T05:30:00Z,2026-12-01T05:50:00Z,0.3,true,2026-12-01T06:10:00Z
M1,R2,,2026-03-08T01:00:00-06:00,2026-03-08T01:50:00-06:00,0.8,true,2026-03-08T03:15:00-05:00
M2,R2,,2026-03-09 09:00,2026-03-09 10:00,1,true,2026-03-09 11:00
";

#[test]
fn real_time_entry_across_dst_and_grace_param() {
    let program = standard_rules();
    let resources = "id,name\nR1,Ana\nR2,Ben\n";
    let data = dataset(CHICAGO, &[("resources.csv", resources), ("time_entries.csv", RT_ENTRIES)]);
    let as_of = "2026-12-15T00:00:00-06:00";
    let card = Run::new(&program, "tech_balanced", as_of).months("2026-03-01", "2026-12-01").eval(&data);
    assert_kpi(&card, "2026-11", "R1", "real_time_entry", 5.0 / 6.0, Missed);
    assert_attainment(&card, "2026-11", "R1", "real_time_entry", (5.0 / 6.0) / 0.9);
    assert_eq!(kpi(&card, "2026-11", "R1", "real_time_entry").rows, 6);
    assert_kpi(&card, "2026-03", "R2", "real_time_entry", 0.5, Missed);
    assert_no_data(&card, "2026-03", "R1", "real_time_entry");
    assert_no_data(&card, "2026-11", "R2", "real_time_entry");
    // November's month is 30 days + 1 hour long, March's 31 days - 1 hour.
    let nov = row(&card, "2026-11", "R1").period.clone().unwrap();
    assert_eq!(nov.end - nov.start, (30 * 24 + 1) * 3_600_000_000);

    let card = Run::new(&program, "tech_balanced", as_of)
        .months("2026-03-01", "2026-12-01")
        .params(&[("realtime_grace", "15m")])
        .eval(&data);
    assert_kpi(&card, "2026-11", "R1", "real_time_entry", 2.0 / 6.0, Missed);
    assert_kpi(&card, "2026-03", "R2", "real_time_entry", 0.0, Missed);
    assert_attainment(&card, "2026-03", "R2", "real_time_entry", 0.0);
}

// ------------------------------------------------------------------------------------------------
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
const SLA_CLIENTS: &str = "id,name,endpoints\nA,Acme,10\nB,Bolt,5\nC,Core,1\n";

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

// ------------------------------------------------------------------------------------------------
// mttr (tech_balanced, service_delivery)

/// M1 R1 created Mar 7 12:00 CST, resolved Mar 8 12:00 CDT: 23 hours (spring forward)
/// M2 R1 created Mar 10 09:00, resolved Mar 11 10:00: 25 hours
///   -> R1 March = (23 + 25) / 2 = 24 h: met (<= 24 h). Wall-clock hours would give 24.5: missed.
/// M3 R2 created Mar 31 11:30, resolved 2026-04-01T04:30Z = Mar 31 23:30 CDT: 12 h -> March
/// M4 R2 created Mar 31 00:30, resolved Apr 1 00:30: 24 h -> April
/// M5 R2 never resolved: not counted.
/// M6 R1 created Oct 31 12:00 CDT, resolved Nov 1 12:00 CST: 25 hours (fall back)
/// M7 R1 created Nov 2 09:00, resolved Nov 3 08:00: 23 hours -> R1 November = 24 h.
///   R2 March = 12 h, April = 24 h; R1 April: no tickets resolved -> no_data.
/// service_delivery: March = (23 + 25 + 12) / 3 = 20 h; April = 24 h; November = 24 h.
/// With `mttr_target` = 12h: R1 March 24 h is missed, attainment 12 / 24 = 0.5; R2 March 12 h met.
const MTTR_TICKETS: &str = "\
id,assigned_resource_id,created_at,resolved_at
M1,R1,2026-03-07 12:00,2026-03-08 12:00
M2,R1,2026-03-10 09:00,2026-03-11 10:00
M3,R2,2026-03-31 11:30,2026-04-01T04:30:00Z
M4,R2,2026-03-31 00:30,2026-04-01 00:30
M5,R2,2026-03-20 00:00,
M6,R1,2026-10-31 12:00,2026-11-01 12:00
M7,R1,2026-11-02 09:00,2026-11-03 08:00
";

#[test]
fn mttr_in_elapsed_hours_across_dst() {
    let program = standard_rules();
    let data =
        dataset(CHICAGO, &[("resources.csv", "id,name\nR1,Ana\nR2,Ben\n"), ("tickets.csv", MTTR_TICKETS)]);
    let as_of = "2026-12-01T00:00:00-06:00";
    let card = Run::new(&program, "tech_balanced", as_of).months("2026-03-01", "2026-12-01").eval(&data);
    assert_kpi(&card, "2026-03", "R1", "mttr", 24.0, Met);
    assert_kpi(&card, "2026-03", "R2", "mttr", 12.0, Met);
    assert_kpi(&card, "2026-04", "R2", "mttr", 24.0, Met);
    assert_no_data(&card, "2026-04", "R1", "mttr");
    assert_kpi(&card, "2026-11", "R1", "mttr", 24.0, Met);

    let card = Run::new(&program, "service_delivery", as_of).months("2026-03-01", "2026-12-01").eval(&data);
    assert_kpi(&card, "2026-03", "", "mttr", 20.0, Met);
    assert_kpi(&card, "2026-04", "", "mttr", 24.0, Met);
    assert_kpi(&card, "2026-11", "", "mttr", 24.0, Met);
    assert_no_data(&card, "2026-05", "", "mttr");

    let card = Run::new(&program, "tech_balanced", as_of)
        .months("2026-03-01", "2026-04-01")
        .params(&[("mttr_target", "12h")])
        .eval(&data);
    assert_kpi(&card, "2026-03", "R1", "mttr", 24.0, Missed);
    assert_attainment(&card, "2026-03", "R1", "mttr", 0.5);
    assert_kpi(&card, "2026-03", "R2", "mttr", 12.0, Met);
}

// ------------------------------------------------------------------------------------------------
// escalation_rate, reopen_rate, fcr (tickets completed in the month)

/// Tickets of R1:
///   C1 completed Mar 2, escalated once, 1 time entry
///   C2 completed Mar 3, reopened twice, 2 time entries (one by R2, one dated after completion)
///   C3 completed Mar 4, counts empty (default 0), no time entries
///   C4 completed 2026-04-01T04:30Z = Mar 31 23:30 CDT -> MARCH; 2 time entries
///   C5 completed Apr 1 00:30 -> April; escalated 3 times, no time entries
///   C6 open (escalated and reopened, but never completed): in no month
/// March (C1-C4): escalation = 1 / 4 = 0.25 (missed; attainment 0.10 / 0.25 = 0.4)
///                reopen     = 1 / 4 = 0.25 (missed; attainment 0.05 / 0.25 = 0.2)
///                fcr        = C1, C3 = 2 / 4 = 0.5 (missed; attainment 0.5 / 0.7)
/// April (C5):    escalation = 1 (attainment 0.1), reopen = 0 (met, 1), fcr = 1 (met).
/// R2 completed no tickets: all three no_data.
const COMPLETED_TICKETS: &str = "\
id,assigned_resource_id,created_at,completed_at,escalation_count,reopen_count
C1,R1,2026-03-01 08:00,2026-03-02 08:00,1,0
C2,R1,2026-03-01 08:00,2026-03-03 08:00,0,2
C3,R1,2026-03-01 08:00,2026-03-04 08:00,,
C4,R1,2026-03-01 08:00,2026-04-01T04:30:00Z,0,0
C5,R1,2026-03-01 08:00,2026-04-01 00:30,3,0
C6,R1,2026-03-01 08:00,,1,1
";

const COMPLETED_ENTRIES: &str = "\
id,resource_id,ticket_id,started_at,ended_at,hours,billable
X1,R1,C1,2026-03-01 09:00,2026-03-01 10:00,1,true
X2,R2,C2,2026-03-01 09:00,2026-03-01 10:00,1,true
X3,R1,C2,2026-04-02 09:00,2026-04-02 10:00,1,true
X4,R1,C4,2026-03-01 09:00,2026-03-01 10:00,1,true
X5,R1,C4,2026-03-02 09:00,2026-03-02 10:00,1,true
";

#[test]
fn escalation_reopen_and_fcr_over_completed_tickets() {
    let program = standard_rules();
    let data = dataset(
        CHICAGO,
        &[
            ("resources.csv", "id,name\nR1,Ana\nR2,Ben\n"),
            ("tickets.csv", COMPLETED_TICKETS),
            ("time_entries.csv", COMPLETED_ENTRIES),
        ],
    );
    let card =
        Run::new(&program, "tech_balanced", AS_OF_APR10).months("2026-03-01", "2026-05-01").eval(&data);
    assert_kpi(&card, "2026-03", "R1", "escalation_rate", 0.25, Missed);
    assert_attainment(&card, "2026-03", "R1", "escalation_rate", 0.4);
    assert_kpi(&card, "2026-03", "R1", "reopen_rate", 0.25, Missed);
    assert_attainment(&card, "2026-03", "R1", "reopen_rate", 0.2);
    assert_kpi(&card, "2026-03", "R1", "fcr", 0.5, Missed);
    assert_attainment(&card, "2026-03", "R1", "fcr", 0.5 / 0.7);
    assert_kpi(&card, "2026-04", "R1", "escalation_rate", 1.0, Missed);
    assert_attainment(&card, "2026-04", "R1", "escalation_rate", 0.1);
    assert_kpi(&card, "2026-04", "R1", "reopen_rate", 0.0, Met);
    assert_attainment(&card, "2026-04", "R1", "reopen_rate", 1.0);
    assert_kpi(&card, "2026-04", "R1", "fcr", 1.0, Met);
    for month in ["2026-03", "2026-04"] {
        for id in ["escalation_rate", "reopen_rate", "fcr"] {
            assert_no_data(&card, month, "R2", id);
        }
    }
}

// ------------------------------------------------------------------------------------------------
// backlog: c = min(end of month, as_of)

/// as_of = Apr 10 12:00 CDT. March: c = Apr 1 00:00 CDT. April: c = as_of.
///   B1 created Mar 2, open, resolved_due Mar 20                 -> March yes, April yes
///   B2 completed Apr 1 00:00 exactly (= March's c), due Mar 20  -> March yes (completed >= c), April no
///   B3 completed Mar 31 23:59, due Mar 20                       -> no
///   B4 open, no resolved_due                                    -> never
///   B5 open, due Apr 5                                          -> March no (not yet due at c), April yes
///   B6 created Apr 5, open, due Apr 6                           -> April yes
///   B7 created Apr 9, due Apr 15 (after as_of)                  -> no
///   B8 created Apr 1 00:00 exactly, due Mar 31                  -> March no (created < c false), April yes
/// R1: March = 2 (B1, B2), April = 4 (B1, B5, B6, B8): met (<= 5).
/// R2 has no tickets: backlog 0, met (a count is never no_data).
/// With `backlog_max` = 3: April 4 is missed, attainment 3 / 4 = 0.75.
const BACKLOG_TICKETS: &str = "\
id,assigned_resource_id,created_at,completed_at,resolved_due
B1,R1,2026-03-02 09:00,,2026-03-20 09:00
B2,R1,2026-03-02 09:00,2026-04-01 00:00,2026-03-20 09:00
B3,R1,2026-03-02 09:00,2026-03-31 23:59,2026-03-20 09:00
B4,R1,2026-03-02 09:00,,
B5,R1,2026-03-02 09:00,,2026-04-05 09:00
B6,R1,2026-04-05 09:00,,2026-04-06 09:00
B7,R1,2026-04-09 09:00,,2026-04-15 09:00
B8,R1,2026-04-01 00:00,,2026-03-31 09:00
";

#[test]
fn backlog_at_month_end_or_as_of() {
    let program = standard_rules();
    let data =
        dataset(CHICAGO, &[("resources.csv", "id,name\nR1,Ana\nR2,Ben\n"), ("tickets.csv", BACKLOG_TICKETS)]);
    let card =
        Run::new(&program, "tech_balanced", AS_OF_APR10).months("2026-03-01", "2026-05-01").eval(&data);
    assert_kpi(&card, "2026-03", "R1", "backlog", 2.0, Met);
    assert_kpi(&card, "2026-04", "R1", "backlog", 4.0, Met);
    assert_kpi(&card, "2026-03", "R2", "backlog", 0.0, Met);
    assert_kpi(&card, "2026-04", "R2", "backlog", 0.0, Met);

    let card = Run::new(&program, "tech_balanced", AS_OF_APR10)
        .months("2026-03-01", "2026-05-01")
        .params(&[("backlog_max", "3")])
        .eval(&data);
    assert_kpi(&card, "2026-03", "R1", "backlog", 2.0, Met);
    assert_kpi(&card, "2026-04", "R1", "backlog", 4.0, Missed);
    assert_attainment(&card, "2026-04", "R1", "backlog", 0.75);
}

// ------------------------------------------------------------------------------------------------
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

// ------------------------------------------------------------------------------------------------
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

fn company_data() -> kpi_data::Dataset {
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

// ------------------------------------------------------------------------------------------------
// intake: a snapshot at as_of

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

/// The same rules, data and as_of give the same results and byte-identical JSON.
#[test]
fn evaluation_and_json_are_deterministic() {
    let program = standard_rules();
    let data = company_data();
    let run = Run::new(&program, "tech_balanced", AS_OF_APR10).months("2026-02-01", "2026-05-01");
    let mut options = run.options(&data);
    options.scorecards.clear(); // every scorecard of the rules
    let first = kpi_eval::evaluate(&program, &data, &options).unwrap();
    let second = kpi_eval::evaluate(&program, &data, &options).unwrap();
    let ids: Vec<&str> = first.iter().map(|c| c.id.as_str()).collect();
    for id in ["tech_balanced", "service_delivery", "client_health", "intake"] {
        assert!(ids.contains(&id), "{id} evaluated");
    }
    first.iter().for_each(assert_no_nan);
    assert_eq!(format!("{first:?}"), format!("{second:?}"));
    let context = kpi_report::Context::default();
    let a = kpi_report::json(&first, &context);
    let b = kpi_report::json(&second, &context);
    assert_eq!(a.as_bytes(), b.as_bytes());
    assert!(!a.contains("NaN"), "no NaN in JSON");
    // Client D (no data at all): null value, status no_data, null score.
    let json: serde_json::Value = serde_json::from_str(&a).unwrap();
    let health = json.as_array().unwrap().iter().find(|c| c["scorecard"] == "client_health").unwrap();
    let d = health["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["group"]["client"] == "D" && r["period"]["label"] == "2026-03")
        .unwrap();
    assert!(d["score"].is_null());
    for k in d["kpis"].as_array().unwrap() {
        assert!(k["value"].is_null() && k["attainment"].is_null());
        assert_eq!(k["status"], "no_data");
    }
}
