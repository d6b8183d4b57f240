//! The consultant's everyday commands, through the built `kpi` binary: `kpi init` makes a folder
//! that checks, formats and tests cleanly at once; `kpi list` shows every KPI's effective target
//! and weight with where it came from; `kpi diff` compares evaluations and says whether the rules
//! or the data moved each change; `kpi completions` prints a script for each shell.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn kpi(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kpi"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("CI", "true")
        .output()
        .expect("kpi runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_ok(out: &Output, what: &str) {
    assert!(out.status.success(), "{what} failed ({:?}):\n{}\n{}", out.status, stdout(out), stderr(out));
}

#[test]
fn init_makes_a_folder_that_checks_formats_and_tests_cleanly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = kpi(tmp.path(), &["init", "acme", "--name", "Acme Dental"]);
    assert_ok(&out, "kpi init");
    let dir = tmp.path().join("acme");
    for file in [
        "client.toml",
        "client.kpi",
        "tests/example.toml",
        "tests/snapshots/example.snap",
        ".github/workflows/kpi.yml",
        ".gitlab-ci.yml",
        ".gitignore",
        "standard/tech_balanced.kpi",
    ] {
        assert!(dir.join(file).is_file(), "kpi init wrote no {file}");
    }
    // What the CI files run, run here: with CI set, a pending snapshot would fail.
    assert_ok(&kpi(&dir, &["check", "--config", "client.toml"]), "kpi check");
    assert_ok(&kpi(&dir, &["fmt", "--check", "client.kpi", "standard"]), "kpi fmt --check");
    let test = kpi(&dir, &["test", "."]);
    assert_ok(&test, "kpi test");
    assert!(stdout(&test).contains("1 passed; 0 failed; 0 new"), "{}", stdout(&test));
    for ci in [".github/workflows/kpi.yml", ".gitlab-ci.yml"] {
        let text = std::fs::read_to_string(dir.join(ci)).expect("ci file");
        for command in ["kpi check --config client.toml", "kpi fmt --check client.kpi standard", "kpi test ."]
        {
            assert!(text.contains(command), "{ci} does not run `{command}`");
        }
    }
    let rules = std::fs::read_to_string(dir.join("client.kpi")).expect("client.kpi");
    assert!(rules.contains("scorecard acme_dental_tech extends tech_balanced \"Acme Dental Tech Scorecard\""));
    let config = std::fs::read_to_string(dir.join("client.toml")).expect("client.toml");
    assert!(config.contains("[scorecards.acme_dental_tech.escalation_rate]"), "{config}");
}

#[test]
fn init_copies_the_standard_library_as_this_repository_has_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    assert_ok(&kpi(tmp.path(), &["init", "c"]), "kpi init");
    let mut standard: Vec<String> = std::fs::read_dir(repo().join("rules"))
        .expect("rules/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".kpi"))
        .collect();
    standard.sort();
    let mut copied: Vec<String> = std::fs::read_dir(tmp.path().join("c/standard"))
        .expect("standard/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    copied.sort();
    assert_eq!(copied, standard, "kpi init's list of standard rule files is out of date");
    for name in &standard {
        let ours = std::fs::read(repo().join("rules").join(name)).expect("rule file");
        let theirs = std::fs::read(tmp.path().join("c/standard").join(name)).expect("copy");
        assert!(ours == theirs, "standard/{name} differs from rules/{name}");
    }
}

#[test]
fn init_refuses_a_folder_that_is_not_empty_unless_forced() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("notes.txt"), "mine").expect("write");
    let out = kpi(tmp.path(), &["init", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(!tmp.path().join("client.toml").exists(), "a refused init wrote files");

    assert_ok(&kpi(tmp.path(), &["init", ".", "--force"]), "kpi init --force");
    assert_eq!(std::fs::read_to_string(tmp.path().join("notes.txt")).expect("kept"), "mine");
    assert_ok(&kpi(tmp.path(), &["test"]), "kpi test after --force");
}

#[test]
fn list_shows_effective_targets_and_weights_with_their_sources() {
    let out = kpi(&repo(), &["list", "--config", "examples/clients/acme/acme.toml"]);
    assert_ok(&out, "kpi list");
    insta::assert_snapshot!("list_acme", stdout(&out));
}

#[test]
fn list_as_json_names_the_param_set_on_the_command_line() {
    let out =
        kpi(&repo(), &["list", "rules/tech_balanced.kpi", "--param", "mttr_target=12h", "--format", "json"]);
    assert_ok(&out, "kpi list --format json");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let cards = json["scorecards"].as_array().expect("scorecards");
    assert_eq!(cards.len(), 1, "only the root file's scorecard");
    assert_eq!(cards[0]["scorecard"], "tech_balanced");
    let mttr = cards[0]["kpis"].as_array().expect("kpis").iter().find(|k| k["id"] == "mttr").expect("mttr");
    assert_eq!(mttr["target"], serde_json::json!({"op": "<=", "value": 12.0}));
    assert_eq!(mttr["unit"], "hours");
    assert_eq!(mttr["target_source"]["from"], "param");
    assert_eq!(mttr["target_source"]["param"], "mttr_target");
    let text = mttr["target_source"]["text"].as_str().expect("text");
    assert!(text.contains("--param on the command line"), "{text}");
    assert_eq!(mttr["weight_source"]["from"], "rule");
    assert_eq!(mttr["weight_source"]["text"], "rules/tech_balanced.kpi:33:5");
}

#[test]
fn list_reports_rule_errors_like_check() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("bad.kpi"), "scorecard x \"X\" {\n  use nope\n}\n").expect("write");
    let out = kpi(tmp.path(), &["list", "bad.kpi"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("bad.kpi:2"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = kpi(&repo(), &["completions", shell]);
        assert_ok(&out, shell);
        let script = stdout(&out);
        assert!(script.contains("evaluate"), "{shell}: no `evaluate` in\n{script}");
        assert!(script.contains("watch"), "{shell}: no `--watch` of `kpi evaluate`");
    }
    let out = kpi(&repo(), &["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A scorecard of two pass/fail KPIs: a target change moves only Ada's score (her tickets take
/// 1.5 h on average: within 24 h, not within 1 h); a data change moves only Ben's (his ticket T3
/// goes from three time entries to one, so it counts as first-contact resolution).
const RULES: &str = r#"scorecard fixture "Fixture" {
  period month
  per resource

  kpi mttr "Mean Time to Resolve" {
    from    tickets by resolved_at
    value   avg(resolved_at - created_at)
    target  <= 24h
    weight  50
    scoring pass_fail
  }

  kpi fcr "First Contact Resolution" {
    from    tickets by completed_at
    value   share(count(time_entries) < 2)
    target  >= 70%
    weight  50
    scoring pass_fail
  }
}
"#;

const RESOURCES: &str = "id,name,team,hours_per_day,active\nR001,Ada,Desk,8,true\nR002,Ben,Desk,8,true\n";
const TICKETS: &str =
    "id,client_id,assigned_resource_id,created_at,completed_at,resolved_at,escalation_count\n\
T1,C001,R001,2026-03-02T09:00:00Z,2026-03-02T11:00:00Z,2026-03-02T11:00:00Z,0\n\
T2,C001,R001,2026-03-10T14:00:00Z,2026-03-10T15:00:00Z,2026-03-10T15:00:00Z,0\n\
T3,C001,R002,2026-03-05T08:00:00Z,2026-03-12T16:00:00Z,2026-03-12T16:00:00Z,1\n";
const ENTRIES_OLD: &str = "id,resource_id,ticket_id,started_at,ended_at,hours,billable\n\
E1,R001,T1,2026-03-02T09:30:00Z,2026-03-02T11:00:00Z,1.5,true\n\
E2,R001,T2,2026-03-10T14:00:00Z,2026-03-10T15:00:00Z,1,true\n\
E3,R002,T3,2026-03-05T10:00:00Z,2026-03-05T12:00:00Z,2,true\n\
E4,R002,T3,2026-03-09T13:00:00Z,2026-03-09T16:00:00Z,3,true\n\
E5,R002,T3,2026-03-12T15:00:00Z,2026-03-12T16:00:00Z,1,false\n";

fn diff_fixture() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let write = |path: &str, text: &str| {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("old/fixture.kpi", RULES);
    write("new/fixture.kpi", &RULES.replace("target  <= 24h", "target  <= 1h"));
    for data in ["data_old", "data_new"] {
        write(&format!("{data}/resources.csv"), RESOURCES);
        write(&format!("{data}/tickets.csv"), TICKETS);
    }
    write("data_old/time_entries.csv", ENTRIES_OLD);
    let entries_new: String = ENTRIES_OLD
        .lines()
        .filter(|l| !l.starts_with("E4") && !l.starts_with("E5"))
        .map(|l| format!("{l}\n"))
        .collect();
    write("data_new/time_entries.csv", &entries_new);
    tmp
}

const RANGE: [&str; 6] = ["--as-of", "2026-04-01T00:00:00Z", "--from", "2026-03-01", "--to", "2026-04-01"];

#[test]
fn diff_puts_each_change_down_to_the_rules_or_the_data() {
    let tmp = diff_fixture();
    let mut args = vec!["diff", "--rules", "old", "new", "--data", "data_old", "data_new"];
    args.extend(RANGE);
    let out = kpi(tmp.path(), &args);
    assert_ok(&out, "kpi diff");
    insta::assert_snapshot!("diff_rules_and_data", stdout(&out));

    args.extend(["--format", "json"]);
    let out = kpi(tmp.path(), &args);
    assert_ok(&out, "kpi diff --format json");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let cause = |group: &str, kpi: serde_json::Value| {
        json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .find(|c| c["group"] == group && c["kpi"] == kpi)
            .map(|c| c["cause"].clone())
    };
    assert_eq!(cause("R001", serde_json::Value::Null), Some("rules".into()), "Ada's score");
    assert_eq!(cause("R002", serde_json::Value::Null), Some("data".into()), "Ben's score");
    assert_eq!(cause("R001", "mttr".into()), Some("rules".into()));
    assert_eq!(cause("R002", "fcr".into()), Some("data".into()));
    assert_eq!(cause("R001", "fcr".into()), None, "Ada's FCR did not move");
}

#[test]
fn diff_of_two_rule_versions_or_two_exports_alone() {
    let tmp = diff_fixture();
    let mut rules_only = vec!["diff", "--rules", "old", "new", "--data", "data_old", "--format", "json"];
    rules_only.extend(RANGE);
    let out = kpi(tmp.path(), &rules_only);
    assert_ok(&out, "kpi diff --rules OLD NEW");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let changes = json["changes"].as_array().expect("changes");
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c["cause"] == "rules" && c["group"] == "R001"), "{json:#}");

    let mut data_only = vec!["diff", "--rules", "old", "--data", "data_old", "data_new", "--format", "json"];
    data_only.extend(RANGE);
    let out = kpi(tmp.path(), &data_only);
    assert_ok(&out, "kpi diff --data OLD NEW");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let changes = json["changes"].as_array().expect("changes");
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c["cause"] == "data" && c["group"] == "R002"), "{json:#}");
}

#[test]
fn diff_of_two_json_outputs_v1_and_v2() {
    let tmp = diff_fixture();
    for (version, rules) in [("old", "old"), ("new", "new")] {
        let mut args = vec!["evaluate", rules, "--data", "data_old", "--format", "json", "--output"];
        let file = format!("{version}.json");
        args.push(&file);
        args.extend(RANGE);
        assert_ok(&kpi(tmp.path(), &args), "kpi evaluate");
    }
    let out = kpi(tmp.path(), &["diff", "old.json", "new.json"]);
    assert_ok(&out, "kpi diff OLD.json NEW.json");
    let table = stdout(&out);
    assert!(table.contains("fixture    2026-03  R001   mttr"), "{table}");
    assert!(!table.contains("R002"), "{table}");
    assert!(!table.contains("CAUSE"), "two files say nothing of causes:\n{table}");

    // The same results in every JSON shape: v2, a bare scorecard object (v1), an array (v1).
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join(name)).expect("read")).expect("JSON")
    };
    let card = |v: serde_json::Value| match v {
        serde_json::Value::Array(mut items) => items.remove(0),
        serde_json::Value::Object(o) if o.contains_key("scorecards") => o["scorecards"][0].clone(),
        other => other,
    };
    let (old, new) = (card(read("old.json")), card(read("new.json")));
    let v2 = |c: &serde_json::Value| serde_json::json!({"version": 2, "as_of": "2026-04-01T00:00:00Z", "scorecards": [c]});
    let shapes = [
        ("v2", v2(&old), v2(&new)),
        ("object", old.clone(), new.clone()),
        ("array", serde_json::json!([old]), serde_json::json!([new])),
    ];
    for (shape, a, b) in shapes {
        std::fs::write(tmp.path().join("a.json"), a.to_string()).expect("write");
        std::fs::write(tmp.path().join("b.json"), b.to_string()).expect("write");
        let out = kpi(tmp.path(), &["diff", "a.json", "b.json"]);
        assert_ok(&out, shape);
        assert_eq!(stdout(&out), table, "{shape}");
    }
    let same = kpi(tmp.path(), &["diff", "old.json", "old.json"]);
    assert_ok(&same, "kpi diff of one file with itself");
    assert_eq!(stdout(&same), "no changes\n");
}

#[test]
fn diff_needs_two_versions() {
    let tmp = diff_fixture();
    let out = kpi(tmp.path(), &["diff", "--rules", "old", "--data", "data_old"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("two versions"), "{}", stderr(&out));
    let out = kpi(tmp.path(), &["diff", "one.json"]);
    assert_eq!(out.status.code(), Some(2));
}
