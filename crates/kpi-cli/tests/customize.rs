//! Per-client customization without recompiling: rule and config files written at test time drive
//! the built `kpi` binary; each kind of override is asserted with its provenance line.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

/// A client folder in a temp dir whose rule files import the standard library.
struct Client {
    dir: tempfile::TempDir,
}

impl Client {
    fn new() -> Client {
        Client { dir: tempfile::tempdir().expect("temp dir") }
    }

    fn write(&self, name: &str, text: &str) -> &Client {
        let text = text.replace("$RULES", &repo().join("rules").display().to_string());
        std::fs::write(self.dir.path().join(name), text).expect("write");
        self
    }

    fn kpi(&self, args: &[&str]) -> Output {
        let demo = repo().join("examples/demo");
        let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        if matches!(args.first(), Some(&"evaluate") | Some(&"explain")) {
            all.extend([
                "--data".into(),
                demo.display().to_string(),
                "--as-of".into(),
                "2026-10-01T00:00:00Z".into(),
            ]);
        }
        Command::new(env!("CARGO_BIN_EXE_kpi"))
            .args(&all)
            .current_dir(self.dir.path())
            .output()
            .expect("kpi runs")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.extend(["--format", "json", "--from", "2026-09-01", "--to", "2026-10-01"]);
        let out = self.kpi(&all);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(report["version"], 2);
        // One scorecard: its object; several: their array.
        match report["scorecards"].as_array().map(Vec::len) {
            Some(1) => report["scorecards"][0].clone(),
            _ => report["scorecards"].clone(),
        }
    }
}

fn kpi<'a>(card: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    card["rows"][0]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .unwrap_or(&serde_json::Value::Null)
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const EXTENDED: &str = r#"
import "$RULES/tech_balanced.kpi"

scorecard client_tech extends tech_balanced "Client Tech" {
  use utilization {
    target >= 70%
    weight 25
  }
  remove cx
  kpi quick_response "Quick Response" {
    from   tickets by created_at
    where  first_response_at is not null
    value  share(first_response_at - created_at <= 1h)
    target >= 90%
    weight 5
  }
}
"#;

#[test]
fn extends_overrides_removes_and_adds_kpis() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED);
    let card = c.json(&["evaluate", "client.kpi"]);
    assert_eq!(card["scorecard"], "client_tech");
    let ids: Vec<&str> =
        card["rows"][0]["kpis"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&"cx"), "{ids:?}");
    assert_eq!(ids.last(), Some(&"quick_response"));
    assert_eq!(kpi(&card, "utilization")["target"]["value"], 0.7);
    assert_eq!(kpi(&card, "utilization")["weight"], 25);
    // Untouched KPIs keep the standard definition.
    assert_eq!(kpi(&card, "mttr")["target"]["value"], 24);
    let out = c.kpi(&[
        "explain",
        "client.kpi",
        "--scorecard",
        "client_tech",
        "--period",
        "2026-09",
        "--group",
        "R001",
    ]);
    let text = stdout(&out);
    assert!(text.contains("target       >= 70 %  from client.kpi:6:5"), "{text}");
    assert!(text.contains("weight       25  from client.kpi:7:5"), "{text}");
}

#[test]
fn removing_or_overriding_a_kpi_that_does_not_exist_is_an_error() {
    let c = Client::new();
    c.write("client.kpi", &EXTENDED.replace("remove cx", "remove cxx"));
    let out = c.kpi(&["check", "client.kpi"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("`tech_balanced` has no KPI `cxx` to remove"), "{err}");
    assert!(err.contains("did you mean `cx`?"), "{err}");
    assert!(err.contains("client.kpi:9:10"), "{err}");
}

#[test]
fn config_overrides_targets_weights_params_and_switches_kpis_off() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED).write(
        "client.toml",
        r#"timezone = "America/Chicago"
holidays = ["2026-09-07"]
rules = ["client.kpi"]

[params]
mttr_target = "20h"
realtime_grace = "15m"

[scorecards.client_tech.backlog]
target = "<= 3"

[scorecards.client_tech.fcr]
weight = 12

[scorecards.client_tech.reopen_rate]
enabled = false
"#,
    );
    let card = c.json(&["evaluate", "--config", "client.toml"]);
    assert_eq!(kpi(&card, "backlog")["target"]["value"], 3);
    assert_eq!(kpi(&card, "fcr")["weight"], 12);
    assert_eq!(kpi(&card, "mttr")["target"]["value"], 20);
    assert_eq!(kpi(&card, "reopen_rate"), &serde_json::Value::Null);
    // --param wins over the config's [params].
    let card = c.json(&["evaluate", "--config", "client.toml", "--param", "mttr_target=30h"]);
    assert_eq!(kpi(&card, "mttr")["target"]["value"], 30);

    let explain = |extra: &[&str]| {
        let mut args = vec![
            "explain",
            "--config",
            "client.toml",
            "--scorecard",
            "client_tech",
            "--period",
            "2026-09",
            "--group",
            "R001",
        ];
        args.extend(extra);
        stdout(&c.kpi(&args))
    };
    let text = explain(&[]);
    assert!(
        text.contains("target       <= 3  from client.toml:9:1 scorecards.client_tech.backlog"),
        "{text}"
    );
    assert!(text.contains("weight       12  from client.toml:12:1 scorecards.client_tech.fcr"), "{text}");
    assert!(text.contains("set by client.toml:6:15 params.mttr_target"), "{text}");
    let text = explain(&["--param", "mttr_target=30h"]);
    assert!(text.contains("set by --param on the command line"), "{text}");
}

#[test]
fn explain_lists_the_rows_behind_a_kpi() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED);
    let out = c.kpi(&[
        "explain",
        "client.kpi",
        "--scorecard",
        "client_tech",
        "--period",
        "2026-09",
        "--group",
        "R001",
        "--rows",
        "--limit",
        "3",
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("rows behind it ("), "{text}");
    assert!(text.contains("raise --limit"), "{text}");
    assert!(text.contains("computed as"), "{text}");
}

#[test]
fn bad_config_keys_and_values_name_the_line_and_column() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED);
    c.write("typo.toml", "timezon = \"UTC\"\n");
    let err = stderr(&c.kpi(&["evaluate", "client.kpi", "--config", "typo.toml"]));
    assert!(err.contains("typo.toml:1:1"), "{err}");
    assert!(err.contains("did you mean `timezone`?"), "{err}");
    c.write("zone.toml", "timezone = \"America/Chicgo\"\n");
    let out = c.kpi(&["evaluate", "client.kpi", "--config", "zone.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("zone.toml:1:12: unknown time zone `America/Chicgo`"), "{}", stderr(&out));
    c.write("kpi.toml", "[scorecards.client_tech.utilisation]\nweight = 5\n");
    let err = stderr(&c.kpi(&["evaluate", "client.kpi", "--config", "kpi.toml"]));
    assert!(err.contains("kpi.toml:1:1"), "{err}");
    assert!(err.contains("did you mean `utilization`?"), "{err}");
    c.write("target.toml", "[scorecards.client_tech.mttr]\ntarget = \"80%\"\n");
    let err = stderr(&c.kpi(&["evaluate", "client.kpi", "--config", "target.toml"]));
    assert!(err.contains("does not fit this KPI (its value is in hours)"), "{err}");
    c.write("param.toml", "[params]\nrealtime_grace = \"soon\"\n");
    let err = stderr(&c.kpi(&["evaluate", "client.kpi", "--config", "param.toml"]));
    assert!(err.contains("param.toml:2:18"), "{err}");
    assert!(err.contains("expected a duration"), "{err}");
}

const SCRIPTED: &str = r#"
import "$RULES/tech_balanced.kpi"

fn outside_hours(hour: number, weekday: number) -> bool = rhai """
  hour < 8.0 || hour >= 18.0 || weekday > 5.0
"""

fn risk(x: number) -> number = rhai file "risk.rhai"

scorecard scripted extends tech_balanced "Scripted" {
  kpi after_hours "After hours" {
    from   tickets by created_at
    value  share(outside_hours(hour(created_at), weekday(created_at)))
    target <= 30%
    weight 0
  }
  kpi risky "Risk over aggregates" {
    from   tickets by created_at
    value  risk(count())
    target <= 1000
    weight 0
  }
}
"#;

#[test]
fn rhai_functions_work_per_row_and_over_aggregates() {
    let c = Client::new();
    c.write("client.kpi", SCRIPTED).write("risk.rhai", "fn risk(x) { x * 2.0 }\n");
    let card = c.json(&["evaluate", "client.kpi"]);
    let share = kpi(&card, "after_hours")["value"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));
    // The scripted aggregate is twice the number of tickets created.
    let risky = kpi(&card, "risky");
    assert_eq!(risky["value"].as_f64().unwrap(), 2.0 * risky["sample_size"].as_f64().unwrap());
}

#[test]
fn runaway_scripts_stop_quickly_and_the_rest_of_the_run_is_unharmed() {
    for (body, expected) in
        [("let n = 0; loop { n += 1; } n", "stopped"), ("let s = \"x\"; loop { s += s; } 1.0", "stopped")]
    {
        let c = Client::new();
        c.write("client.kpi", &SCRIPTED.replace("hour < 8.0 || hour >= 18.0 || weekday > 5.0", body))
            .write("risk.rhai", "fn risk(x) { x * 2.0 }\n");
        let started = Instant::now();
        let out = c.kpi(&[
            "evaluate",
            "client.kpi",
            "--format",
            "json",
            "--from",
            "2026-09-01",
            "--to",
            "2026-10-01",
        ]);
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains("KPI `after_hours` of `scripted`: rhai function `outside_hours`"), "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(err.contains("client.kpi:"), "{err}");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the scorecard is still printed");
        let card = &report["scorecards"][0];
        assert_eq!(kpi(card, "after_hours")["status"], "no_data");
        assert!(kpi(card, "mttr")["status"] != "no_data");
        assert!(kpi(card, "risky")["value"].is_number());
    }
    // Deep recursion, in a .rhai file.
    let c = Client::new();
    c.write("client.kpi", SCRIPTED).write("risk.rhai", "fn risk(x) { risk(x + 1.0) }\n");
    let out =
        c.kpi(&["evaluate", "client.kpi", "--format", "json", "--from", "2026-09-01", "--to", "2026-10-01"]);
    let err = stderr(&out);
    assert!(err.contains("nested calls"), "{err}");
    assert!(err.contains("risk.rhai"), "{err}");
}

/// A legal but slow script (some 25 ms a row in a debug build, seconds over September's tickets)
/// stops at its KPI's script budget, from `--script-budget` or the config's `script_budget`.
#[test]
fn a_slow_script_stops_at_the_script_budget_of_the_flag_or_the_config() {
    let slow = SCRIPTED.replace(
        "hour < 8.0 || hour >= 18.0 || weekday > 5.0",
        "let n = 0; while n < 10000 { n += 1; } hour < 8.0",
    );
    let c = Client::new();
    c.write("client.kpi", &slow).write("risk.rhai", "fn risk(x) { x * 2.0 }\n");
    c.write("budget.toml", "script_budget = \"0.2s\"\n");
    for budget in [["--script-budget", "0.2"], ["--config", "budget.toml"]] {
        let started = Instant::now();
        let mut args = vec!["evaluate", "client.kpi", "--format", "json", "--from", "2026-09-01"];
        args.extend(["--to", "2026-10-01"]);
        args.extend(budget);
        let out = c.kpi(&args);
        assert!(started.elapsed() < Duration::from_secs(20), "took {:?}", started.elapsed());
        assert_eq!(out.status.code(), Some(1), "{budget:?}");
        let err = stderr(&out);
        assert!(err.contains("KPI `after_hours` of `scripted`: rhai function `outside_hours`"), "{err}");
        assert!(err.contains("took their whole budget of 0.2 s in this run"), "{err}");
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).expect("the scorecard is still printed");
        let card = &report["scorecards"][0];
        assert_eq!(kpi(card, "after_hours")["status"], "no_data");
        // Each KPI has its own budget.
        assert!(kpi(card, "risky")["value"].is_number());
        assert!(kpi(card, "mttr")["status"] != "no_data");
    }
    let out = c.kpi(&["evaluate", "client.kpi", "--script-budget", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`soon` is not a number of seconds"), "{}", stderr(&out));
    c.write("bad.toml", "script_budget = \"fast\"\n");
    let err = stderr(&c.kpi(&["evaluate", "client.kpi", "--config", "bad.toml"]));
    assert!(err.contains("bad.toml:1:17: script_budget `fast` is not a duration"), "{err}");
}

#[test]
fn script_syntax_errors_point_into_the_rule_file() {
    let c = Client::new();
    c.write("client.kpi", &SCRIPTED.replace("weekday > 5.0", "weekday > "))
        .write("risk.rhai", "fn risk(x) { x * }\n");
    let out = c.kpi(&["check", "client.kpi"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("E0401"), "{err}");
    // The inline body is line 5; the missing operand is reported at its last character (rhai
    // itself sees the end of the body on line 7, after the closing `"""`).
    assert!(err.contains("client.kpi:5:41"), "{err}");
    assert!(err.contains("risk.rhai:1:"), "{err}");
}

/// A plain number where a percentage is meant, in a config target, a config param and `--param`:
/// each is an error that says `80%`, not a scorecard where every technician misses.
#[test]
fn plain_numbers_for_percentages_are_errors_everywhere() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED);
    c.write("target.toml", "[scorecards.client_tech.utilization]\ntarget = \">= 80\"\n");
    let out = c.kpi(&["evaluate", "client.kpi", "--config", "target.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean `>= 80%`?"), "{}", stderr(&out));
    c.write("number.toml", "[scorecards.client_tech.utilization]\ntarget = 80\n");
    let out = c.kpi(&["evaluate", "client.kpi", "--config", "number.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean `80%`?"), "{}", stderr(&out));
    // A fraction is a fraction.
    c.write("fraction.toml", "[scorecards.client_tech.utilization]\ntarget = \">= 0.8\"\n");
    assert_eq!(
        kpi(&c.json(&["evaluate", "client.kpi", "--config", "fraction.toml"]), "utilization")["target"]
            ["value"],
        0.8
    );

    c.write(
        "goal.kpi",
        &format!("{EXTENDED}\nparam goal = 90%\n").replace("target >= 70%", "target >= goal"),
    );
    c.write("param.toml", "[params]\ngoal = 80\n");
    let out = c.kpi(&["evaluate", "goal.kpi", "--config", "param.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("param.toml:2:8"), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean `80%`?"), "{}", stderr(&out));
    let out = c.kpi(&["evaluate", "goal.kpi", "--param", "goal=80"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--param goal=80: "), "{}", stderr(&out));
    assert!(stderr(&out).contains("did you mean `80%`?"), "{}", stderr(&out));
    // A duration for a count.
    let out = c.kpi(&["evaluate", "client.kpi", "--param", "backlog_max=3h"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("expected a count such as 5"), "{}", stderr(&out));
}

/// The W0001 block of `kpi check`'s output: the warning, its source lines and its help.
fn weights_warning(err: &str) -> String {
    let start = err.find("[W0001]").unwrap_or_else(|| panic!("no W0001 in:\n{err}"));
    let block = &err[start..];
    block[..block.find("╯").map_or(block.len(), |i| i + "╯".len())].to_string()
}

/// A client config's weight or switched-off KPI warns W0001 exactly as the same edit in the
/// `.kpi` file does, in `kpi check --config` and in `kpi evaluate`.
#[test]
fn config_overrides_are_checked_like_rule_edits() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED);
    c.write("client.toml", "rules = [\"client.kpi\"]\n\n[scorecards.client_tech.fcr]\nweight = 15\n");
    c.write("edited.kpi", &EXTENDED.replace("  remove cx\n", "  remove cx\n  use fcr { weight 15 }\n"));
    let by_config = c.kpi(&["check", "--config", "client.toml"]);
    assert_eq!(by_config.status.code(), Some(0), "{}", stderr(&by_config));
    let by_edit = c.kpi(&["check", "edited.kpi"]);
    let warning = weights_warning(&stderr(&by_edit));
    assert!(warning.contains("the weights of `client_tech` sum to 105"), "{warning}");
    assert_eq!(weights_warning(&stderr(&by_config)).replace("client.kpi", "edited.kpi"), warning);
    assert!(stderr(&by_config).contains("and client.toml: 0 errors, 1 warning"), "{}", stderr(&by_config));
    // The same warning when the config is applied to evaluate.
    let out = c.kpi(&["evaluate", "--config", "client.toml", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("the weights of `client_tech` sum to 105"), "{}", stderr(&out));

    c.write("off.toml", "rules = [\"client.kpi\"]\n\n[scorecards.client_tech.fcr]\nenabled = false\n");
    c.write("removed.kpi", &EXTENDED.replace("  remove cx\n", "  remove cx\n  remove fcr\n"));
    let by_config = weights_warning(&stderr(&c.kpi(&["check", "--config", "off.toml"])));
    let by_edit = weights_warning(&stderr(&c.kpi(&["check", "removed.kpi"])));
    assert!(by_edit.contains("sum to 90"), "{by_edit}");
    assert_eq!(by_config.replace("client.kpi", "removed.kpi"), by_edit);
}

/// `kpi check --config` checks the whole config without data, and lists every error in it.
#[test]
fn check_validates_a_client_config_without_data() {
    let c = Client::new();
    c.write("client.kpi", EXTENDED);
    c.write(
        "bad.toml",
        "timezone = \"Mars/Olympus\"\nholidays = [\"2026-13-01\"]\nrules = [\"client.kpi\"]\n\n[params]\nmttr_target = \"soon\"\n\n[scorecards.client_tech.utilisation]\nweight = 5\n\n[scorecards.client_tech.utilization]\ntarget = \">= 70\"\n",
    );
    let out = c.kpi(&["check", "--config", "bad.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    for expected in [
        "bad.toml:1:12: unknown time zone `Mars/Olympus`",
        "bad.toml:2:13: `2026-13-01` is not a date",
        "bad.toml:6:15: `soon` is not a valid value for param `mttr_target`",
        "did you mean `utilization`?",
        "did you mean `>= 70%`?",
        "bad.toml: 5 errors",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    c.write("good.toml", "rules = [\"client.kpi\"]\ntimezone = \"America/Chicago\"\n");
    let out = c.kpi(&["check", "--config", "good.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("and good.toml: 0 errors, 0 warnings"), "{}", stderr(&out));
    // --param is checked too.
    let out = c.kpi(&["check", "client.kpi", "--param", "backlog_max=3h"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--param backlog_max=3h: "), "{}", stderr(&out));
    // A config given where rules are expected.
    let out = c.kpi(&["check", "good.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "`good.toml` is a client config, not a rule file: check it with `kpi check --config good.toml`"
        ),
        "{}",
        stderr(&out)
    );
}
