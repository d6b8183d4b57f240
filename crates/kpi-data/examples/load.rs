//! Loads a dataset directory and prints its tables' rows and the load time.
//!
//! `cargo run --release -p kpi-data --example load -- DIR [--columns standard|all]`
//!
//! `standard` loads the columns the standard scorecards of `rules/` read.
use kpi_data::{LoadOptions, Projection};
use std::time::Instant;

/// The columns `rules/*.kpi` read, per table; keys are added by the loader.
const STANDARD: &[(&str, &[&str])] = &[
    ("resources", &["id", "name", "team", "hours_per_day", "active"]),
    ("clients", &["id", "name", "endpoints"]),
    (
        "tickets",
        &[
            "client_id",
            "assigned_resource_id",
            "created_at",
            "completed_at",
            "status",
            "queue",
            "ticket_type",
            "estimated_hours",
            "first_response_due",
            "first_response_at",
            "resolution_plan_due",
            "resolution_plan_at",
            "resolved_due",
            "resolved_at",
            "due_at",
            "last_activity_at",
            "reopen_count",
            "escalation_count",
        ],
    ),
    (
        "time_entries",
        &["resource_id", "ticket_id", "started_at", "ended_at", "hours", "billable", "created_at"],
    ),
    ("surveys", &["ticket_id", "resource_id", "client_id", "responded_at", "score", "max_score"]),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = None;
    let mut standard = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--columns" => match it.next().map(|s| s.as_str()) {
                Some("standard") => standard = true,
                Some("all") => standard = false,
                other => panic!("--columns standard|all, not {other:?}"),
            },
            d => dir = Some(d.to_string()),
        }
    }
    let dir = dir.expect("usage: load DIR [--columns standard|all]");
    let mut options = LoadOptions::default();
    if standard {
        let p: Projection = STANDARD
            .iter()
            .map(|(t, cols)| (t.to_string(), cols.iter().map(|c| c.to_string()).collect()))
            .collect();
        options.columns = Some(p);
    }
    let start = Instant::now();
    let d = match kpi_data::load(std::path::Path::new(&dir), &options) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let took = start.elapsed();
    for t in &d.tables {
        println!("{:<14} {:>9} rows {:>3} columns", t.name, t.len, t.columns.len());
    }
    println!("{} warnings; loaded in {:.3} s", d.warnings.len(), took.as_secs_f64());
}
