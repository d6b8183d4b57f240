//! `kpi sql`: what it refuses and why (the SQL itself is checked on real engines by
//! tests/sql_engines.rs).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn kpi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpi")).current_dir(root()).args(args).output().expect("kpi runs")
}

const RANGE: [&str; 6] = ["--from", "2026-06-01", "--to", "2026-10-01", "--as-of", "2026-10-01T00:00:00Z"];

#[test]
fn a_rhai_function_is_an_error_naming_the_kpi_or_a_warning_when_asked() {
    let config = ["sql", "--config", "examples/clients/acme/acme.toml", "--dialect", "duckdb"];
    let out = kpi(&[&config[..], &RANGE[..]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot compile to SQL") && stderr.contains("rhai function"), "{stderr}");
    assert!(stderr.contains("KPI `"), "{stderr}");

    let out = kpi(&[&config[..], &RANGE[..], &["--skip-uncompilable"]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("warning: KPI `") && stderr.contains("left out"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("WITH q_periods AS"));
}

#[test]
fn periodic_scorecards_need_a_range() {
    let out = kpi(&["sql", "rules", "--dialect", "postgres", "--scorecard", "tech_balanced"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--from and --to"), "{stderr}");
    // A snapshot needs none.
    let out = kpi(&[
        "sql",
        "rules",
        "--dialect",
        "spark",
        "--scorecard",
        "intake",
        "--as-of",
        "2026-10-01T00:00:00Z",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn schema_and_prefix_name_the_tables() {
    let out = kpi(&[
        &["sql", "rules", "--dialect", "postgres", "--schema", "psa", "--table-prefix", "x_"][..],
        &["--scorecard", "tech_balanced", "--scorecard", "client_health"][..],
        &RANGE[..],
    ]
    .concat());
    let sql = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(sql.contains("FROM psa.x_tickets AS t") && !sql.contains("FROM tickets"), "{sql}");
}

#[test]
fn evaluate_on_postgres_needs_a_database() {
    let out = kpi(&[&["evaluate", "rules", "--engine", "postgres"][..], &RANGE[..]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db"));
}
