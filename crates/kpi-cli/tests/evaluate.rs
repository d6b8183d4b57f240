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
    let cards = json.as_array().expect("several scorecards give an array");
    let ids: Vec<&str> = cards.iter().map(|c| c["scorecard"].as_str().unwrap()).collect();
    assert_eq!(ids, ["client_health", "intake", "service_delivery", "tech_balanced"]);
    let tech = &cards[3];
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
    let intake = &cards[1];
    assert_eq!(intake["grain"], "snapshot");
    assert_eq!(intake["rows"][0]["period"], serde_json::Value::Null);
    assert_eq!(intake["rows"][0]["group"], serde_json::json!({}));
}

#[test]
fn one_scorecard_is_an_object() {
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
    assert_eq!(json["scorecard"], "intake");
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
    let mttr = &json["rows"][0]["kpis"][3];
    assert_eq!(mttr["id"], "mttr");
    assert_eq!(mttr["target"]["value"], 12);
    std::fs::remove_dir_all(&dir).unwrap();
}
