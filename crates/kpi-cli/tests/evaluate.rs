//! The standard scorecards on the bundled demo data, in every format, through the built binary.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn kpi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpi")).args(args).current_dir(repo()).output().expect("kpi runs")
}

fn evaluate(format: &str) -> String {
    let out = kpi(&[
        "evaluate",
        "rules",
        "--data",
        "examples/demo",
        "--as-of",
        "2026-10-01T00:00:00Z",
        "--from",
        "2026-08-01",
        "--to",
        "2026-10-01",
        "--format",
        format,
    ]);
    assert!(out.status.success(), "kpi evaluate failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn demo_table() {
    insta::assert_snapshot!(evaluate("table"));
}

#[test]
fn demo_json() {
    insta::assert_snapshot!(evaluate("json"));
}

#[test]
fn demo_csv() {
    insta::assert_snapshot!(evaluate("csv"));
}

#[test]
fn demo_markdown() {
    insta::assert_snapshot!(evaluate("markdown"));
}

#[test]
fn output_is_byte_identical_across_runs() {
    assert_eq!(evaluate("json"), evaluate("json"));
}

#[test]
fn json_has_the_documented_shape() {
    let json: serde_json::Value = serde_json::from_str(&evaluate("json")).expect("valid JSON");
    assert_eq!(json["version"], 2);
    assert_eq!(json["as_of"], "2026-10-01T00:00:00Z");
    let cards = json["scorecards"].as_array().expect("the scorecards in an array");
    let ids: Vec<&str> = cards.iter().map(|c| c["scorecard"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "client_health",
            "client_profitability",
            "contracts_devices",
            "intake",
            "projects",
            "sales",
            "service_delivery",
            "tech_balanced",
            "tech_time"
        ]
    );
    let tech = &cards[7];
    assert_eq!(tech["grain"], "month");
    assert_eq!(tech["group_by"], serde_json::json!(["resource"]));
    assert_eq!(tech["as_of"], "2026-10-01T00:00:00Z");
    assert_eq!(tech["skipped_rows"], serde_json::json!({}));
    let row = &tech["rows"][0];
    assert_eq!(
        row["period"],
        serde_json::json!({"label": "2026-08", "start": "2026-08-01", "end": "2026-09-01"})
    );
    assert!(row["group"]["resource"].is_string());
    let kpi = &row["kpis"][0];
    assert_eq!(kpi["id"], "utilization");
    assert_eq!(kpi["unit"], "ratio");
    assert_eq!(kpi["target"], serde_json::json!({"op": ">=", "value": 0.8}));
    assert_eq!(kpi["weight"], 20);
    // The first period of a group has nothing to change from; the next one has.
    assert!(kpi["change"].is_null() && row["score_change"].is_null());
    let resource = &row["group"]["resource"];
    let next = tech["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| &r["group"]["resource"] == resource && r["period"]["label"] == "2026-09")
        .unwrap();
    let change = next["kpis"][0]["value"].as_f64().unwrap() - kpi["value"].as_f64().unwrap();
    assert_eq!(next["kpis"][0]["change"].as_f64().unwrap(), change);
    let score_change = next["score"].as_f64().unwrap() - row["score"].as_f64().unwrap();
    assert_eq!(next["score_change"].as_f64().unwrap(), score_change);
    let intake = &cards[3];
    assert_eq!(intake["grain"], "snapshot");
    assert_eq!(intake["rows"][0]["period"], serde_json::Value::Null);
    assert_eq!(intake["rows"][0]["group"], serde_json::json!({}));
}

#[test]
fn one_scorecard_has_the_same_shape_as_several() {
    let out = kpi(&[
        "evaluate",
        "rules",
        "--data",
        "examples/demo",
        "--as-of",
        "2026-10-01T00:00:00Z",
        "--scorecard",
        "intake",
        "--format",
        "json",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(json["scorecards"].as_array().unwrap().len(), 1);
    assert_eq!(json["scorecards"][0]["scorecard"], "intake");
}

#[test]
fn errors_exit_non_zero_with_nothing_on_stdout() {
    let out = kpi(&["evaluate", "rules", "--data", "no/such/dir", "--as-of", "2026-10-01T00:00:00Z"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let out =
        kpi(&["evaluate", "rules", "--data", "examples/demo", "--scorecard", "nope", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tech_balanced"));
    let out = kpi(&["evaluate", "rules", "--data", "examples/demo", "--param", "realtime_grace=ten"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("expected a duration"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kpi(&["evaluate", "--bogus"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn params_and_output_file() {
    let dir = std::env::temp_dir().join(format!("kpi-eval-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("out.json");
    let out = kpi(&[
        "evaluate",
        "rules",
        "--data",
        "examples/demo",
        "--as-of",
        "2026-10-01T00:00:00Z",
        "--scorecard",
        "tech_balanced",
        "--param",
        "mttr_target=12h",
        "--format",
        "json",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mttr = &json["scorecards"][0]["rows"][0]["kpis"][3];
    assert_eq!(mttr["id"], "mttr");
    assert_eq!(mttr["target"]["value"], 12);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Service Delivery over the demo data at `as_of` in the zone `timezone`, with `extra` flags.
fn service_delivery(as_of: &str, timezone: &str, extra: &[&str], format: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("client.toml");
    std::fs::write(&config, format!("timezone = \"{timezone}\"\n")).expect("write config");
    let config = config.to_string_lossy().into_owned();
    let mut args = vec!["evaluate", "rules/service_delivery.kpi", "--data", "examples/demo", "--no-cache"];
    args.extend(["--config", &config, "--as-of", as_of, "--from", "2026-08-01", "--format", format]);
    args.extend(extra);
    let out = kpi(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The periods of a JSON output: (label, partial).
fn periods(json: &str) -> Vec<(String, bool)> {
    let card: serde_json::Value = serde_json::from_str(json).expect("JSON");
    let mut labels: Vec<(String, bool)> = card["scorecards"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| (r["period"]["label"].as_str().expect("label").to_string(), r["period"]["partial"] == true))
        .collect();
    labels.dedup();
    labels
}

/// 2026-10-01T00:00Z is 01:00 in London: October has run for an hour. It is left out, not
/// reported as a month.
#[test]
fn a_period_in_progress_is_not_reported_as_a_month() {
    let json = service_delivery("2026-10-01T00:00:00Z", "Europe/London", &[], "json");
    assert_eq!(periods(&json), [("2026-08".into(), false), ("2026-09".into(), false)]);
}

#[test]
fn a_period_in_progress_kept_with_include_partial_is_marked_in_every_format() {
    let at = "2026-09-15T12:00:00Z";
    let json = service_delivery(at, "UTC", &["--include-partial"], "json");
    assert_eq!(periods(&json), [("2026-08".into(), false), ("2026-09".into(), true)]);
    let csv = service_delivery(at, "UTC", &["--include-partial"], "csv");
    // The `partial` column is the twelfth.
    let partial = |l: &str| l.split(',').nth(11).map(str::to_string);
    assert!(
        csv.lines().filter(|l| l.contains(",2026-09,")).all(|l| partial(l).as_deref() == Some("true")),
        "{csv}"
    );
    assert!(
        csv.lines().filter(|l| l.contains(",2026-08,")).all(|l| partial(l).as_deref() == Some("false")),
        "{csv}"
    );
    for format in ["table", "markdown"] {
        let text = service_delivery(at, "UTC", &["--include-partial"], format);
        assert!(
            text.contains("2026-09 (partial)") && text.contains("(partial) = the period had not ended"),
            "{text}"
        );
    }
    let without = service_delivery(at, "UTC", &[], "json");
    assert_eq!(periods(&without), [("2026-08".into(), false)]);
}

/// `--output`'s extension picks the format; an unknown one is a usage error; `--format` wins.
#[test]
fn the_output_extension_picks_the_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, extra: &[&str]| {
        let path = dir.path().join(name);
        let mut args =
            vec!["evaluate", "rules", "--data", "examples/demo", "--as-of", "2026-10-01T00:00:00Z"];
        args.extend(["--scorecard", "service_delivery", "--output", path.to_str().unwrap()]);
        args.extend(extra);
        let out = kpi(&args);
        (out, std::fs::read(&path).ok())
    };
    let starts: [(&str, &[u8]); 7] = [
        ("r.json", b"{\n  \"version\": 2"),
        ("r.CSV", b"scorecard,period,kpi,"),
        ("r.md", b"## Service Delivery"),
        ("r.markdown", b"## Service Delivery"),
        ("r.txt", b"Service Delivery (service_delivery)"),
        ("r.html", b"<!DOCTYPE html>"),
        ("r.xlsx", b"PK\x03\x04"),
    ];
    for (name, start) in starts {
        let (out, written) = run(name, &[]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let written = written.expect("written");
        assert!(written.starts_with(start), "{name}: {:?}", String::from_utf8_lossy(&written[..40]));
    }
    for name in ["r.pdf", "r"] {
        let (out, written) = run(name, &[]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(written.is_none(), "{name}: nothing written");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(".html, .xlsx, .json, .csv, .md or .txt, or pass --format"), "{err}");
    }
    let (out, written) = run("scores.out", &["--format", "json"]);
    assert!(out.status.success());
    assert!(written.unwrap().starts_with(b"{\n  \"version\": 2"), "--format wins");
}

/// A tickets-and-time export (no v1.1 tables): evaluating every scorecard leaves out those that
/// read a missing table, a warning each; naming one of them is an error that names the table.
#[test]
fn scorecards_that_read_a_missing_table_are_left_out_unless_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    for table in ["tickets", "time_entries", "resources", "clients", "surveys"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../examples/demo/{table}.csv"));
        std::fs::copy(from, dir.path().join(format!("{table}.csv"))).expect("copy");
    }
    let data = dir.path().to_str().unwrap();
    let base = ["evaluate", "rules", "--data", data, "--as-of", "2026-10-01T00:00:00Z", "--no-cache"];
    let out = kpi(&[&base[..], &["--format", "json"]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> =
        json["scorecards"].as_array().unwrap().iter().map(|c| c["scorecard"].as_str().unwrap()).collect();
    assert_eq!(ids, ["client_health", "intake", "service_delivery", "tech_balanced", "tech_time"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: scorecard `sales` left out: its KPI `pipeline_coverage` reads the table `opportunities`"), "{err}");
    assert_eq!(err.matches("left out:").count(), 4, "{err}");
    let out = kpi(&[&base[..], &["--scorecard", "sales", "--format", "json"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("reads the table `opportunities`, but the dataset has no opportunities file"));
}
