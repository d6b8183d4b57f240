//! `--format json` against its JSON Schema, `docs/output.schema.json`: for several scorecards,
//! for one, with a period in progress, and with skipped rows.
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/output.schema.json")).expect("the schema");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::options().should_validate_formats(true).build(&schema).expect("a valid schema")
}

fn evaluate(extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["evaluate", "rules", "--data", "examples/demo", "--format", "json", "--no-cache"];
    args.extend(extra);
    let out =
        Command::new(env!("CARGO_BIN_EXE_kpi")).args(&args).current_dir(root()).output().expect("kpi runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn assert_valid(validator: &jsonschema::Validator, json: &serde_json::Value, what: &str) {
    let errors: Vec<String> =
        validator.iter_errors(json).take(5).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn every_output_follows_the_schema() {
    let validator = validator();
    let runs: [(&str, &[&str]); 4] = [
        ("every scorecard", &["--as-of", "2026-10-01T00:00:00Z"]),
        ("one scorecard", &["--as-of", "2026-10-01T00:00:00Z", "--scorecard", "tech_balanced"]),
        ("a snapshot", &["--as-of", "2026-10-01T00:00:00Z", "--scorecard", "intake"]),
        ("a period in progress", &["--as-of", "2026-09-15T12:00:00Z", "--include-partial"]),
    ];
    for (what, args) in runs {
        let json = evaluate(args);
        assert_valid(&validator, &json, what);
        let cards = json["scorecards"].as_array().expect("scorecards");
        assert!(
            !cards.is_empty() && cards.iter().all(|c| !c["rows"].as_array().unwrap().is_empty()),
            "{what}"
        );
    }
}

#[test]
fn the_schema_rejects_what_v2_is_not() {
    let validator = validator();
    let json = evaluate(&["--as-of", "2026-10-01T00:00:00Z", "--scorecard", "service_delivery"]);
    // v1 printed a bare scorecard for one.
    assert!(!validator.is_valid(&json["scorecards"][0]));
    let mut wrong = json.clone();
    wrong["scorecards"][0]["rows"][0]["kpis"][0]["status"] = "no_data".into();
    assert!(!validator.is_valid(&wrong), "a no_data KPI must not have a value");
    let mut wrong = json;
    wrong["scorecards"][0]["rows"][0]["score"] = 101.0.into();
    assert!(!validator.is_valid(&wrong), "a score above 100");
}
