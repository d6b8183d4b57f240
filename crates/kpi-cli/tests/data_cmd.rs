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

/// One ticket created in year 1: before, `evaluate` made one row per month since then (a
/// 1.5 GB JSON file in 12 s on the demo data), with no warning.
#[test]
fn a_timestamp_in_year_one_is_a_warning_and_leaves_the_range_alone() {
    let year_one = |t: String| {
        let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
        let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
        fields[3] = "0001-01-01T00:00:00Z".into();
        lines[1] = fields.join(",");
        lines.join("\n") + "\n"
    };
    let dir = demo_with("tickets.csv", year_one);
    let clean = demo_with("tickets.csv", |t| t);
    let started = std::time::Instant::now();
    let (ok, out, err) = evaluate(dir.path(), &[]);
    assert!(ok, "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(
        err.contains("tickets.csv:2: warning: created_at 0001-01-01T00:00:00Z is outside the plausible span 1990-01-01 .. 2028-10-01 (the row is kept; the default period range ignores it)"),
        "{err}"
    );
    let (_, clean_out, _) = evaluate(clean.path(), &[]);
    let periods = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
        let mut labels: Vec<String> = v["scorecards"]
            .as_array()
            .expect("scorecards")
            .iter()
            .flat_map(|c| c["rows"].as_array().cloned().unwrap_or_default())
            .filter_map(|r| r["period"]["label"].as_str().map(str::to_string))
            .collect();
        labels.sort();
        labels.dedup();
        labels
    };
    assert_eq!(periods(&out), periods(&clean_out));
    assert_eq!(periods(&out), ["2026-06", "2026-07", "2026-08", "2026-09"]);

    // Taken as plausible: a clear error, no output.
    let (ok, out, err) = evaluate(dir.path(), &["--plausible-from", "0001-01-01"]);
    assert!(!ok);
    assert!(out.is_empty(), "{} bytes of output", out.len());
    assert!(err.contains("the data's activity spans 0001-01-01 .. 2026-09-30 (24309 months), more than the 240 months a default range may cover: name the periods to evaluate (--from and --to)"), "{err}");
    // With a range, as asked.
    let (ok, _, err) = evaluate(
        dir.path(),
        &["--plausible-from", "0001-01-01", "--from", "2026-08-01", "--to", "2026-10-01"],
    );
    assert!(ok, "{err}");

    // `kpi data check` warns with the line, and counts it.
    let (ok, out, err) = data_check(dir.path(), &["--plausible-to", "2030-01-01"]);
    assert!(ok, "{err}");
    assert!(err.starts_with("tickets.csv:2: warning: created_at 0001-01-01T00:00:00Z is outside the plausible span 1990-01-01 .. 2030-01-01"), "{err}");
    assert!(out.contains("created_at 0001-01-01 .. 2026-09-30"), "{out}");
}
