//! Tickets: mttr, escalation_rate, reopen_rate, fcr and backlog.
use crate::common::*;
use crate::AS_OF_APR10;
use kpi_eval::Status::{Met, Missed};

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
