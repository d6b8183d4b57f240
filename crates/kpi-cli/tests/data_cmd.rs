//! `kpi data check` and the data stage of `kpi evaluate` on hostile exports, through the built
//! binary: what the messages suggest, and what they count.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// A copy of the demo dataset in a temp dir, with `edit` applied to one of its files.
fn demo_with(file: &str, edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(repo().join("examples/demo")).expect("demo") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        if name.ends_with(".csv") {
            let mut text = std::fs::read_to_string(&path).expect("read");
            if name == file {
                text = edit(text);
            }
            std::fs::write(dir.path().join(&name), text).expect("write");
        }
    }
    dir
}

fn kpi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpi"))
        .args(args)
        .current_dir(repo())
        .env("KPI_CACHE_DIR", std::env::temp_dir().join("kpi-cli-data-cmd-cache"))
        .output()
        .expect("kpi runs")
}

fn data_check(dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec!["data", "check", "--data", dir.to_str().expect("UTF-8 path"), "--no-cache"];
    args.extend(extra);
    let out = kpi(&args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn evaluate(dir: &Path, extra: &[&str]) -> (bool, String, String) {
    let mut args = vec![
        "evaluate",
        "rules",
        "--data",
        dir.to_str().expect("UTF-8 path"),
        "--as-of",
        "2026-10-01T00:00:00Z",
        "--format",
        "json",
        "--no-cache",
    ];
    args.extend(extra);
    let out = kpi(&args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One bad `hours` cell on the second line of time_entries.csv.
fn one_bad_row(text: String) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    fields[5] = "1.5h".into();
    lines[1] = fields.join(",");
    lines.join("\n") + "\n"
}

#[test]
fn skip_bad_rows_is_suggested_only_where_it_helps() {
    let header = std::fs::read_to_string(repo().join("examples/demo/time_entries.csv")).unwrap();
    assert!(header.lines().next().unwrap().split(',').nth(5) == Some("hours"), "{}", &header[..200]);
    // A bad row: skipping it would help, and the flag was not given.
    let rows = demo_with("time_entries.csv", one_bad_row);
    let (ok, _, err) = data_check(rows.path(), &[]);
    assert!(!ok);
    assert!(err.contains(": 1 error; nothing loaded (use --skip-bad-rows to leave bad rows out)"), "{err}");
    let (ok, _, err) = evaluate(rows.path(), &[]);
    assert!(!ok);
    assert!(
        err.contains(": 1 data error; nothing evaluated (fix the export, or pass --skip-bad-rows to leave bad rows out)"),
        "{err}"
    );
    // A file-level error: skipping rows cannot help.
    let file = demo_with("tickets.csv", |t| t.replacen("created_at", "created", 1));
    for (ok, _, err) in [data_check(file.path(), &[]), evaluate(file.path(), &[])] {
        assert!(!ok);
        assert!(err.contains("missing required column `created_at`"), "{err}");
        assert!(!err.contains("--skip-bad-rows"), "{err}");
    }
    // Both, with the flag given: the file-level error remains and the flag is not suggested again.
    let both = demo_with("tickets.csv", |t| t.replacen("created_at", "created", 1));
    std::fs::write(
        both.path().join("time_entries.csv"),
        one_bad_row(std::fs::read_to_string(repo().join("examples/demo/time_entries.csv")).unwrap()),
    )
    .unwrap();
    for (ok, _, err) in
        [data_check(both.path(), &["--skip-bad-rows"]), evaluate(both.path(), &["--skip-bad-rows"])]
    {
        assert!(!ok);
        assert!(!err.contains("--skip-bad-rows"), "{err}");
    }
}

#[test]
fn data_check_counts_one_warning_in_the_singular() {
    // One time entry with negative hours.
    let dir = demo_with("time_entries.csv", |t| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
        fields[5] = "-1".into();
        lines[1] = fields.join(",");
        lines.join("\n") + "\n"
    });
    let (ok, out, err) = data_check(dir.path(), &[]);
    assert!(ok, "{err}");
    assert!(out.contains("\n1 warning\n") || out.ends_with("\n1 warning\n"), "{out}");
}
