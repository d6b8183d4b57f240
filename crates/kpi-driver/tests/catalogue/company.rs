//! The small company both `clients.rs` and `intake.rs` evaluate: four clients, three resources,
//! March 2026. Also included by `crates/kpi-cli/tests/catalogue_json.rs`, which renders it as JSON
//! (kpi-driver may not depend on kpi-report).
use crate::common::*;

pub(crate) const CO_RESOURCES: &str =
    "id,name,hours_per_day,active\nR1,Ana,,true\nR2,Ben,4,true\nR3,Cy,8,false\n";
/// D's endpoints are empty: default 0.
pub(crate) const CO_CLIENTS: &str = "id,name,endpoints\nA,Acme,10\nB,Bolt,0\nC,Core,4\nD,Dorm,\n";
/// Ticket types: TA incident (A), TB alert (B), TC problem (C), TC2 project (C), TN incident (no
/// client), TX change_request (A), TY empty (A). Resolution milestone: TA due Mar 5 10:00 and
/// reached exactly then (met); TC due Mar 6 10:00, never reached (overdue at as_of: missed).
pub(crate) const CO_TICKETS: &str = "\
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
pub(crate) const CO_ENTRIES: &str = "\
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
pub(crate) const CO_SURVEYS: &str = "\
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
