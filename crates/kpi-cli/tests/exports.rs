//! Real PSA exports read with a shipped profile alone, through the built binary: an incident
//! event log collapsed per incident, its `.xlsx` twin, and each product's own export.
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root")
}

fn kpi(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kpi"))
        .args(args)
        .current_dir(repo())
        .env("KPI_CACHE_DIR", std::env::temp_dir().join("kpi-cli-exports-cache"))
        .output()
        .expect("kpi runs")
}

fn evaluate(data: &str) -> (String, std::time::Duration) {
    let started = std::time::Instant::now();
    let out = kpi(&[
        "evaluate",
        "examples/exports/rules",
        "--data",
        data,
        "--profile",
        "servicenow-events",
        "--as-of",
        "2026-04-01T00:00:00Z",
        "--from",
        "2026-01-01",
        "--format",
        "json",
        "--no-cache",
    ]);
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8(out.stdout).expect("UTF-8"), elapsed)
}

#[test]
fn an_incident_event_log_evaluates_with_its_profile_alone_to_the_hand_checked_values() {
    let (json, _) = evaluate("examples/exports/servicenow-events");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/exports/servicenow-events/expected.json"))
            .expect("expected"),
    )
    .expect("JSON");
    assert!(
        expected["events"].as_u64().expect("events") >= 200 && expected["tickets"].as_u64().expect("n") >= 40
    );
    let rows = v["scorecards"][0]["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "January to March");
    for row in rows {
        let month = row["period"]["label"].as_str().expect("label");
        let want = &expected["months"][month];
        let kpi = |id: &str| {
            row["kpis"].as_array().expect("kpis").iter().find(|k| k["id"] == id).expect("kpi").clone()
        };
        let n = |k: &str| want[k].as_f64().expect("a count");
        assert_eq!(kpi("opened")["value"].as_f64(), Some(n("opened")), "{month} opened");
        assert_eq!(kpi("sla_completion")["sample_size"].as_f64(), Some(n("resolved")), "{month}");
        assert_eq!(kpi("sla_completion")["value"].as_f64(), Some(n("met") / n("resolved")), "{month} SLA");
        assert_eq!(
            kpi("reopened")["value"].as_f64(),
            Some(n("reopened") / n("resolved")),
            "{month} reopened"
        );
    }
    // January by hand: 22 opened; 21 resolved, 16 within SLA, 6 reopened.
    let jan = &rows[0]["kpis"];
    assert_eq!((jan[0]["value"].as_f64(), jan[1]["value"].as_f64()), (Some(22.0), Some(16.0 / 21.0)));
}

#[test]
fn an_xlsx_export_evaluates_byte_for_byte_like_its_csv_twin() {
    let (csv, csv_time) = evaluate("examples/exports/servicenow-events");
    let (xlsx, xlsx_time) = evaluate("examples/exports/servicenow-events-xlsx");
    assert_eq!(csv, xlsx);
    eprintln!("evaluate: CSV {:.3} s, xlsx {:.3} s", csv_time.as_secs_f64(), xlsx_time.as_secs_f64());
}

fn data_check(dir: &str, profile: &str) -> (bool, String, String) {
    let out = kpi(&["data", "check", "--data", dir, "--profile", profile, "--no-cache"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rows_of(summary: &str, table: &str) -> String {
    summary.lines().find(|l| l.starts_with(table)).expect("a table row").to_string()
}

#[test]
fn each_shipped_profile_reads_its_products_export() {
    for (dir, profile, tickets) in [
        ("autotask-api", "autotask", 2),
        ("connectwise", "connectwise", 2),
        ("halopsa", "halopsa", 2),
        ("servicenow", "servicenow", 2),
        ("servicenow-events", "servicenow-events", 48),
    ] {
        let (ok, out, err) = data_check(&format!("examples/exports/{dir}"), profile);
        assert!(ok, "{dir}: {err}");
        assert!(rows_of(&out, "tickets").contains(&format!(" {tickets} ")), "{dir}: {out}");
    }
    // ConnectWise: a time entry charged to a project has no ticket.
    let (_, out, _) = data_check("examples/exports/connectwise", "connectwise");
    assert!(rows_of(&out, "time_entries").contains("ticket_id 1"), "{out}");
    // HaloPSA's 1899-12-30 is no date: one ticket is open.
    let (_, out, _) = data_check("examples/exports/halopsa", "halopsa");
    assert!(rows_of(&out, "tickets").contains("completed_at 1"), "{out}");
}

#[test]
fn an_autotask_ui_export_is_refused_until_its_date_order_is_stated() {
    let (ok, _, err) = data_check("examples/exports/autotask-ui", "autotask-ui");
    assert!(!ok);
    assert!(
        err.contains("invalid timestamp `28/02/2023 04:03 PM`") && err.contains("date_order = \"day-first\""),
        "{err}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("client.toml");
    let text = std::fs::read_to_string(repo().join("profiles/autotask-ui.toml")).expect("profile");
    std::fs::write(&profile, text.replace("# date_order = \"day-first\"", "date_order = \"day-first\""))
        .expect("write");
    let (ok, out, err) = data_check("examples/exports/autotask-ui", profile.to_str().expect("UTF-8"));
    assert!(ok, "{err}");
    assert!(rows_of(&out, "tickets").contains("created_at 2023-02-28 .. 2023-03-01"), "{out}");
    assert!(rows_of(&out, "resources").contains(" 2 "), "names as ids, derived: {out}");
}

#[test]
fn an_event_log_without_a_collapse_rule_fails_even_with_skip_bad_rows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("no-collapse.toml");
    let text = std::fs::read_to_string(repo().join("profiles/servicenow-events.toml")).expect("profile");
    let text = text.replace("[tickets.collapse]\nkeep = \"last\"\norder = \"sys_mod_count\"\n", "");
    std::fs::write(&profile, text).expect("write");
    let out = kpi(&[
        "data",
        "check",
        "--data",
        "examples/exports/servicenow-events",
        "--profile",
        profile.to_str().expect("UTF-8"),
        "--skip-bad-rows",
        "--no-cache",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("duplicate id `INC0010001`") && err.contains("[tickets.collapse]"), "{err}");
}

#[test]
fn autotask_surveys_without_a_resource_count_for_their_tickets_technician() {
    // SurveyResults have no resource: 8101 and 8103 (4 and 5 of 5) are on Ann's ticket 7001,
    // 8102 (5 of 5) on Bob's 7002. By hand: Ann 0.9 of 2 answers, Bob 1.0 of 1.
    let out = kpi(&[
        "evaluate",
        "rules",
        "--data",
        "examples/exports/autotask-api",
        "--profile",
        "autotask",
        "--scorecard",
        "tech_balanced",
        "--as-of",
        "2026-04-01T00:00:00Z",
        "--from",
        "2026-03-01",
        "--format",
        "json",
        "--no-cache",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let cx: Vec<(String, f64, u64)> = v["scorecards"][0]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            let k = row["kpis"].as_array().expect("kpis").iter().find(|k| k["id"] == "cx").expect("cx");
            (
                row["group_name"].as_str().expect("name").to_string(),
                k["value"].as_f64().expect("a value"),
                k["sample_size"].as_u64().expect("a count"),
            )
        })
        .collect();
    assert_eq!(cx, [("Ann Smith".to_string(), 0.9, 2), ("Bob Jones".to_string(), 1.0, 1)]);
    let (ok, _, err) = data_check("examples/exports/autotask-api", "autotask");
    assert!(ok);
    assert!(
        err.contains("SurveyResults.csv: warning: 3 surveys have no resource_id: each counts for its ticket's assigned_resource_id"),
        "{err}"
    );
}

#[test]
fn data_check_with_rules_lists_the_kpis_an_autotask_export_leaves_without_data() {
    let check = |extra: &[&str]| {
        let mut args = vec![
            "data",
            "check",
            "--data",
            "examples/exports/autotask-api",
            "--profile",
            "autotask",
            "--no-cache",
        ];
        args.extend(extra);
        let out = kpi(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    // Without rules: the summary and the mapping only, as before.
    assert!(!check(&[]).contains("KPIs without data"));
    let out = check(&["rules/tech_balanced.kpi"]);
    let listed: Vec<&str> = out.lines().skip_while(|l| !l.starts_with("KPIs without data")).collect();
    assert!(listed[0].starts_with("KPIs without data (4)"), "{out}");
    for want in [
        "tech_balanced.reopen_rate reads tickets.reopen_count, which the autotask profile does not map (and Tickets.csv has no `reopen_count` column): every row reads the default 0: the KPI will be 0/no_data",
        "tech_balanced.escalation_rate reads tickets.escalation_count, which the autotask profile does not map",
        "tech_balanced.sla_engagement reads tickets.resolution_plan_due, which the autotask profile maps from `resolutionPlanDueDateTime`, not in Tickets.csv: every row reads null",
        "tech_balanced.sla_engagement reads tickets.resolution_plan_at,",
    ] {
        assert!(listed.iter().any(|l| l.trim_start().starts_with(want)), "{want}\n{out}");
    }
    // Surveys have no resource column, but take their ticket's: `cx` has data.
    assert!(!out.contains("tech_balanced.cx"), "{out}");
    // A whole table missing, and rules with errors.
    let out = check(&["rules/sales.kpi"]);
    assert!(
        out.contains("sales.win_rate reads opportunities, but the export has no opportunities file: no_data")
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("bad.kpi");
    std::fs::write(&bad, "scorecard s \"S\" { kpi k \"K\" { from tickets value count(nope) } }\n")
        .expect("write");
    let out = kpi(&[
        "data",
        "check",
        "--data",
        "examples/exports/autotask-api",
        "--profile",
        "autotask",
        bad.to_str().expect("UTF-8"),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the rules have"), "rule errors are shown");
}

#[test]
fn data_check_with_rules_names_a_column_null_in_every_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
    write("resources.csv", "id,name\nR1,Ann\n");
    write(
        "tickets.csv",
        "id,client_id,assigned_resource_id,created_at,status,priority,ticket_type,first_response_due\n\
         T1,C1,R1,2026-03-02T09:00:00Z,New,P1,incident,\nT2,C1,R1,2026-03-03T09:00:00Z,New,P1,incident,\n",
    );
    write("time_entries.csv", "id,resource_id,ticket_id,started_at,ended_at,hours,billable\n");
    write(
        "rules.kpi",
        "scorecard s \"S\" {\n  period month\n  kpi late \"Late\" {\n    from tickets by created_at\n    where first_response_due is not null\n    value count()\n    target <= 1\n    weight 50\n  }\n  kpi opened \"Opened\" {\n    from tickets by created_at\n    value count()\n    target >= 1\n    weight 50\n  }\n}\n",
    );
    let data = dir.path().to_str().expect("UTF-8");
    let rules = dir.path().join("rules.kpi");
    let out = kpi(&["data", "check", "--data", data, "--no-cache", rules.to_str().expect("UTF-8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("KPIs without data (1):\n  s.late reads tickets.first_response_due, which is null in every row of tickets.csv: every row reads null"),
        "{stdout}"
    );
    assert!(!stdout.contains("s.opened"), "{stdout}");
}

#[test]
fn a_profiles_typed_extra_column_is_read_by_rules_with_its_type() {
    // `made_sla` as a bool (the profile's [tickets.extra]): the share of incidents resolved in
    // the month with the flag set is the hand-checked met / resolved of each month.
    let (json, _) = evaluate("examples/exports/servicenow-events");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("examples/exports/servicenow-events/expected.json"))
            .expect("expected"),
    )
    .expect("JSON");
    for row in v["scorecards"][0]["rows"].as_array().expect("rows") {
        let month = row["period"]["label"].as_str().expect("label");
        let want = &expected["months"][month];
        let made = row["kpis"].as_array().expect("kpis").iter().find(|k| k["id"] == "made_sla").expect("kpi");
        let n = |k: &str| want[k].as_f64().expect("a count");
        assert_eq!(made["value"].as_f64(), Some(n("met") / n("resolved")), "{month}");
    }
    // Type checked: a bool is not compared with a number; the type is one of four.
    let dir = tempfile::tempdir().expect("temp dir");
    let rule = |body: &str| {
        format!("scorecard s \"S\" {{\n  period month\n  kpi k \"K\" {{\n    from tickets by created_at\n    value {body}\n    target >= 1\n    weight 100\n  }}\n}}\n")
    };
    let path = dir.path().join("typed.kpi");
    std::fs::write(&path, rule("share(custom(\"made_sla\", bool) > 3)")).expect("write");
    let out = kpi(&["check", path.to_str().expect("UTF-8")]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success() && err.contains("`>` cannot combine a true/false value and a number"),
        "{err}"
    );
    std::fs::write(&path, rule("share(custom(\"made_sla\", boolean))")).expect("write");
    let out = kpi(&["check", path.to_str().expect("UTF-8")]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && err.contains("bool, number, text or timestamp"), "{err}");
    // Without the profile's declaration the column is text: the evaluation says what to add.
    let profile = dir.path().join("untyped.toml");
    let text = std::fs::read_to_string(repo().join("profiles/servicenow-events.toml")).expect("profile");
    let at = text.find("[tickets.extra]").expect("extra");
    let end = at + text[at..].find("\n\n").expect("end of the section");
    std::fs::write(&profile, format!("{}{}", &text[..at], &text[end..])).expect("write");
    std::fs::write(&path, rule("avg(custom(\"reassignment_count\", number))")).expect("write");
    let out = kpi(&[
        "evaluate",
        path.to_str().expect("UTF-8"),
        "--data",
        "examples/exports/servicenow-events",
        "--profile",
        profile.to_str().expect("UTF-8"),
        "--as-of",
        "2026-04-01T00:00:00Z",
        "--from",
        "2026-01-01",
        "--no-cache",
    ]);
    let all = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(
        all.contains("tickets.reassignment_count is loaded as text; declare it in the profile: [tickets.extra] reassignment_count = { type = \"number\" }"),
        "{all}"
    );
}
