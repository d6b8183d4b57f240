//! The KPI catalogue (../shared/spec/kpi-catalogue.md), KPI by KPI: a tiny fixture dataset per
//! KPI, its expected values worked out by hand in a comment, evaluated through the REAL standard
//! rules in `rules/`.
//!
//! Unless a test says otherwise the dataset time zone is America/Chicago: CST = UTC-6 until
//! 2026-03-08 02:00 (spring forward, the day has 23 hours) and from 2026-11-01 02:00 CDT (fall
//! back, 01:00-02:00 happens twice); CDT = UTC-5 in between. Naive timestamps in the fixtures are
//! local; RFC 3339 ones carry their offset. Workdays (Mon-Fri) of 2026: January 22, February 20,
//! March 22, April 22, November 21.
#[path = "../common/mod.rs"]
mod common;

mod business;
mod clients;
mod company;
mod intake;
mod sla;
mod surveys;
mod tickets;
mod time_entries;

const AS_OF_APR10: &str = "2026-04-10T12:00:00-05:00";
