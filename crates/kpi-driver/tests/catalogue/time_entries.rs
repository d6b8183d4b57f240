//! tech_balanced over time entries: utilization and real_time_entry.
use crate::common::*;
use kpi_eval::Status::{Met, Missed};

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
