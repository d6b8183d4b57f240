//! `kpi test` as a consultant uses it: examples/rules-repo copied to a temporary directory (with
//! the standard rules it imports), then a changed weight, the diff, `--accept`, and CI.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else if !path.to_string_lossy().ends_with(".snap.new") {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A copy of the example beside a copy of `rules/`, as the example's import expects.
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&repo().join("rules"), &dir.path().join("rules"));
    let example = dir.path().join("examples/rules-repo");
    copy_dir(&repo().join("examples/rules-repo"), &example);
    (dir, example)
}

fn kpi_test(dir: &Path, args: &[&str], ci: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kpi"));
    command.arg("test").args(args).current_dir(dir).env("NO_COLOR", "1");
    if ci {
        command.env("CI", "true");
    } else {
        command.env_remove("CI");
    }
    command.output().expect("kpi runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_example_passes_as_committed() {
    let (_tmp, example) = workspace();
    let out = kpi_test(&example, &[], true);
    assert!(out.status.success(), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_changed_weight_fails_with_a_diff_until_accepted() {
    let (_tmp, example) = workspace();
    let rules = example.join("example.kpi");
    let text = std::fs::read_to_string(&rules).expect("read");
    std::fs::write(&rules, text.replace("weight 20", "weight 15")).expect("write");
    let snapshot = example.join("tests/snapshots/march.snap");
    let before = std::fs::read_to_string(&snapshot).expect("snapshot");

    let failed = kpi_test(&example, &[], false);
    assert_eq!(failed.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&failed), @r"
    FAILED   ./tests/march.toml
      the results differ from ./tests/snapshots/march.snap (4 changes; new snapshot in ./tests/snapshots/march.snap.new):
      example_tech 2026-03 R001 fcr
          was: 1 met (target >= 0.7, weight 20)
          now: 1 met (target >= 0.7, weight 15)
      example_tech 2026-03 R001 score
          was: 80.355114
          now: 79.321172
      example_tech 2026-03 R002 fcr
          was: 0 missed (target >= 0.7, weight 20)
          now: 0 missed (target >= 0.7, weight 15)
      example_tech 2026-03 R002 score
          was: 17.049242
          now: 17.946571

    test result: FAILED. 0 passed; 1 failed; 0 new; 0 accepted
    if the changes are intended, run `kpi test --accept` and commit the snapshots
    ");
    assert!(example.join("tests/snapshots/march.snap.new").is_file(), "the new snapshot waits for review");
    assert_eq!(std::fs::read_to_string(&snapshot).expect("snapshot"), before, "not accepted yet");

    let accepted = kpi_test(&example, &["--accept"], false);
    assert!(accepted.status.success(), "{}", stdout(&accepted));
    assert!(!example.join("tests/snapshots/march.snap.new").exists(), "accepting removes the pending file");
    let after = std::fs::read_to_string(&snapshot).expect("snapshot");
    let changed: Vec<String> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("- {a}\n+ {b}"))
        .collect();
    insta::assert_snapshot!(changed.join("\n"), @r"
    - example_tech 2026-03 R001 fcr: 1 met (target >= 0.7, weight 20)
    + example_tech 2026-03 R001 fcr: 1 met (target >= 0.7, weight 15)
    - example_tech 2026-03 R001 score: 80.355114
    + example_tech 2026-03 R001 score: 79.321172
    - example_tech 2026-03 R002 fcr: 0 missed (target >= 0.7, weight 20)
    + example_tech 2026-03 R002 fcr: 0 missed (target >= 0.7, weight 15)
    - example_tech 2026-03 R002 score: 17.049242
    + example_tech 2026-03 R002 score: 17.946571
    ");
    assert!(kpi_test(&example, &[], true).status.success(), "passes once accepted");
}

#[test]
fn a_new_case_is_pending_and_fails_only_in_ci() {
    let (_tmp, example) = workspace();
    let case = std::fs::read_to_string(example.join("tests/march.toml")).expect("case");
    std::fs::write(example.join("tests/march_copy.toml"), case).expect("write");

    let local = kpi_test(&example, &[], false);
    assert!(local.status.success(), "{}", stdout(&local));
    assert!(stdout(&local).contains("new      ./tests/march_copy.toml"), "{}", stdout(&local));
    assert!(example.join("tests/snapshots/march_copy.snap.new").is_file());

    let ci = kpi_test(&example, &[], true);
    assert_eq!(ci.status.code(), Some(1), "{}", stdout(&ci));
    assert!(stdout(&ci).contains("pending snapshots fail when CI is set"), "{}", stdout(&ci));

    assert!(kpi_test(&example, &["--accept"], false).status.success());
    assert!(kpi_test(&example, &[], true).status.success());
}

#[test]
fn a_failed_expectation_names_the_value() {
    let (_tmp, example) = workspace();
    let path = example.join("tests/march.toml");
    let case = std::fs::read_to_string(&path).expect("case");
    std::fs::write(&path, case.replace("value = 0.0341", "value = 0.5")).expect("write");
    let out = kpi_test(&example, &["tests/march.toml"], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains(
            "expect #2: example_tech 2026-03 R002 utilization: expected 0.5 ± 0.0001, got 0.034091"
        ),
        "{}",
        stdout(&out)
    );
}

#[test]
fn no_cases_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = kpi_test(dir.path(), &[], false);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no test cases"));
}

#[test]
fn accept_is_refused_when_ci_is_set() {
    let (_tmp, example) = workspace();
    let out = kpi_test(&example, &["--accept"], true);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--accept is refused when CI is set"));
}

#[test]
fn a_snapshot_that_cannot_be_read_fails_instead_of_counting_as_new() {
    for (what, make) in [
        ("a directory", (|p: &Path| std::fs::create_dir(p).expect("mkdir")) as fn(&Path)),
        ("not UTF-8", |p: &Path| std::fs::write(p, b"\xff\xfe not text").expect("write")),
    ] {
        let (_tmp, example) = workspace();
        let snapshot = example.join("tests/snapshots/march.snap");
        std::fs::remove_file(&snapshot).expect("remove");
        make(&snapshot);
        let out = kpi_test(&example, &[], false);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stdout(&out));
        assert!(stdout(&out).contains("cannot read the snapshot"), "{what}: {}", stdout(&out));
    }
}
