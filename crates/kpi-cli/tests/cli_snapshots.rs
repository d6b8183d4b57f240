//! The `kpi` binary's output, snapshotted with insta-cmd: exit status, stdout and stderr together.
//! Review changes with `cargo insta review`.
use insta_cmd::assert_cmd_snapshot;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// `kpi` run from the repository root, so that paths in its output are relative and stable.
fn kpi() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kpi"));
    command.current_dir(repo()).env("NO_COLOR", "1").env_remove("CI");
    command
}

#[test]
fn check_reports_a_duplicate_id() {
    assert_cmd_snapshot!(kpi().args(["check", "tests/fixtures/err/E0301_duplicate_id.kpi"]));
}

#[test]
fn check_reports_an_unknown_name() {
    assert_cmd_snapshot!(kpi().args(["check", "tests/fixtures/err/E0103_unknown_name.kpi"]));
}

#[test]
fn check_passes_the_standard_rules() {
    assert_cmd_snapshot!(kpi().args(["check", "rules"]));
}

#[test]
fn evaluate_the_demo_data_as_csv() {
    assert_cmd_snapshot!(kpi().args([
        "evaluate",
        "rules/tech_balanced.kpi",
        "--data",
        "examples/demo",
        "--as-of",
        "2026-10-01T00:00:00Z",
        "--from",
        "2026-09-01",
        "--to",
        "2026-10-01",
        "--format",
        "csv",
    ]));
}

#[test]
fn test_the_example_rules_repository() {
    assert_cmd_snapshot!(kpi().args(["test", "examples/rules-repo"]));
}

#[test]
fn fmt_check_passes_the_standard_rules() {
    assert_cmd_snapshot!(kpi().args(["fmt", "--check", "rules", "examples/rules-repo"]));
}
