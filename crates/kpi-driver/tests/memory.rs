//! The driver alone, with nothing on disk: rules, a client config and tables in memory.
use kpi_driver::{AsOf, ConfigInput, DataInput, Failure, ParamInput, ParamOverride, Request};
use kpi_eval::{ParamSource, Status};
use std::path::PathBuf;

const RULES: &str = r#"
param close_target = 50%

/// Tickets closed as a share of tickets created.
kpi closed "Closed" {
  from   tickets by created_at
  value  share(status == "Closed")
  target >= close_target
  weight 100
}

scorecard desk "Desk" {
  period month per resource
  use closed
}
"#;

const TICKETS: &str = "\
id,client_id,assigned_resource_id,created_at,status,priority
T1,C1,R1,2026-05-04T09:00:00,Closed,P3
T2,C1,R1,2026-05-05T09:00:00,Open,P3
T3,C1,R2,2026-05-06T09:00:00,Closed,P3
";

fn request() -> Request {
    let rules = PathBuf::from("memory/desk.kpi");
    Request {
        rules: vec![rules.clone()],
        overlay: [(rules, RULES.to_string())].into(),
        config: Some(ConfigInput::Text {
            path: "memory/client.toml".into(),
            text: "timezone = \"America/Chicago\"\n".into(),
        }),
        data: Some(DataInput::Tables {
            name: "memory".into(),
            files: vec![
                ("tickets.csv".into(), TICKETS.into()),
                ("resources.csv".into(), "id,name\nR1,Ana\nR2,Ben\n".into()),
                ("clients.csv".into(), "id,name\nC1,Acme\n".into()),
                (
                    "time_entries.csv".into(),
                    "id,resource_id,ticket_id,started_at,ended_at,hours,billable\n".into(),
                ),
            ],
        }),
        as_of: AsOf::Text("2026-06-01T12:00:00Z".into()),
        ..Request::default()
    }
}

/// At 2026-06-01T00:00Z it is still May 31 in Chicago: May is in progress and left out unless
/// asked for.
#[test]
fn a_period_in_progress_is_left_out_unless_asked_for() {
    let request = Request { as_of: AsOf::Text("2026-06-01T00:00:00Z".into()), ..request() };
    let results = kpi_driver::prepare(&request).expect("prepared").evaluate().expect("evaluated");
    assert!(results[0].rows.is_empty(), "{:?}", results[0].rows);
    let request = Request { include_partial: true, ..request };
    let results = kpi_driver::prepare(&request).expect("prepared").evaluate().expect("evaluated");
    let labels: Vec<_> = results[0].rows.iter().map(|r| r.period.as_ref().unwrap().label.as_str()).collect();
    assert_eq!(labels, ["2026-05", "2026-05"]);
}

#[test]
fn a_scorecard_evaluates_from_rules_and_tables_in_memory() {
    let session = kpi_driver::prepare(&request()).expect("prepared");
    assert!(session.warnings.is_empty(), "{:?}", session.warnings);
    let results = session.evaluate().expect("evaluated");
    let card = &results[0];
    assert_eq!(card.id, "desk");
    let may: Vec<_> =
        card.rows.iter().filter(|r| r.period.as_ref().is_some_and(|p| p.label == "2026-05")).collect();
    assert_eq!(may.len(), 2);
    let r1 = may.iter().find(|r| r.group.as_deref() == Some("R1")).expect("R1");
    assert_eq!(r1.kpis[0].value, Some(0.5));
    assert_eq!(r1.kpis[0].status, Status::Met);
    let r2 = may.iter().find(|r| r.group.as_deref() == Some("R2")).expect("R2");
    assert_eq!(r2.kpis[0].value, Some(1.0));
}

#[test]
fn a_param_override_changes_the_target() {
    let request = Request {
        params: vec![ParamOverride {
            name: "close_target".into(),
            value: ParamInput::Text("60%".into()),
            source: ParamSource::CommandLine,
        }],
        ..request()
    };
    let results = kpi_driver::prepare(&request).expect("prepared").evaluate().expect("evaluated");
    let r1 = results[0].rows.iter().find(|r| r.group.as_deref() == Some("R1")).expect("R1");
    assert_eq!(r1.kpis[0].status, Status::Missed);
}

#[test]
fn rule_errors_come_back_as_values() {
    let mut request = request();
    let rules = request.rules[0].clone();
    request.overlay.insert(rules, RULES.replace("share(", "shear("));
    match kpi_driver::prepare(&request) {
        Err(Failure::Rules { diagnostics, .. }) => {
            assert!(
                diagnostics.iter().any(|d| d.is_error() && d.message.contains("shear")),
                "{diagnostics:?}"
            )
        }
        other => panic!("expected rule errors, got {:?}", other.err()),
    }
}

#[test]
fn data_errors_come_back_as_values() {
    let mut request = request();
    let Some(DataInput::Tables { files, .. }) = &mut request.data else { unreachable!() };
    files[0].1.push_str("T4,C1,R1,not a time,Open,P3\n");
    match kpi_driver::prepare(&request) {
        Err(Failure::Data { errors, .. }) => assert!(errors.to_string().contains("not a time"), "{errors}"),
        other => panic!("expected a data error, got {:?}", other.err()),
    }
}

/// The standard utilization KPI two thirds through March: 15 working days to date of 8 billable
/// hours each is 100 %, not 15 of March's 22 days (68 %).
#[test]
fn utilization_counts_working_days_to_date_in_a_month_in_progress() {
    let rules = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules/tech_balanced.kpi");
    let mut entries = String::from("id,resource_id,ticket_id,started_at,ended_at,hours,billable\n");
    for day in (2..=20).filter(|d| ![7, 8, 14, 15].contains(d)) {
        entries.push_str(&format!("E{day},R1,,2026-03-{day:02}T09:00:00,2026-03-{day:02}T17:00:00,8,true\n"));
    }
    let request = Request {
        rules: vec![rules],
        config: Some(ConfigInput::Text {
            path: "client.toml".into(),
            text: "timezone = \"America/Chicago\"\n".into(),
        }),
        data: Some(DataInput::Tables {
            name: "memory".into(),
            files: vec![
                ("tickets.csv".into(), "id,client_id,assigned_resource_id,created_at,status\n".into()),
                ("resources.csv".into(), "id,name,hours_per_day\nR1,Ana,8\n".into()),
                ("clients.csv".into(), "id,name\n".into()),
                ("time_entries.csv".into(), entries),
            ],
        }),
        as_of: AsOf::Text("2026-03-20T18:00:00".into()),
        from: Some("2026-03-01".parse().unwrap()),
        to: Some("2026-04-01".parse().unwrap()),
        scorecards: vec!["tech_balanced".into()],
        ..Request::default()
    };
    let results = kpi_driver::prepare(&request).expect("prepared").evaluate().expect("evaluated");
    let card = &results[0];
    let index = card.kpis.iter().position(|k| k.id == "utilization").expect("utilization");
    let row = card.rows.iter().find(|r| r.group.as_deref() == Some("R1")).expect("R1");
    assert_eq!(row.kpis[index].value, Some(1.0));
}

/// The client config of [`request`] with `text` instead, over rules with an `hours_per_day` param.
fn with_config(text: &str) -> Request {
    let mut request = request();
    let rules = request.rules[0].clone();
    request.overlay.insert(rules, format!("param hours_per_day = 8\n{RULES}"));
    request.config = Some(ConfigInput::Text { path: "memory/client.toml".into(), text: text.into() });
    request
}

fn input_error(request: &Request) -> String {
    match kpi_driver::prepare(request) {
        Err(Failure::Input(message)) => message,
        Err(other) => panic!("expected an input error, got {other}"),
        Ok(_) => panic!("expected an input error, got a session"),
    }
}

#[test]
fn config_numbers_that_are_not_finite_or_out_of_range_are_errors_at_their_place() {
    for (value, why) in [
        ("nan", "`nan` is not a number a param can take (write a finite number)"),
        ("inf", "`inf` is not a number a param can take (write a finite number)"),
        ("-inf", "`-inf` is not a number a param can take (write a finite number)"),
        ("-8", "hours_per_day must be more than 0 and at most 24, not -8"),
        ("0", "hours_per_day must be more than 0 and at most 24, not 0"),
        ("25.0", "hours_per_day must be more than 0 and at most 24, not 25"),
    ] {
        let text = format!("timezone = \"UTC\"\n[params]\nhours_per_day = {value}\n");
        assert_eq!(input_error(&with_config(&text)), format!("memory/client.toml:3:17: {why}"), "{value}");
    }
    // A list param's items too.
    let text = "[params]\nreactive = [1.0, nan]\n";
    let message = input_error(&with_config(text));
    assert!(message.starts_with("memory/client.toml:2:12: "), "{message}");
    assert!(message.contains("`nan` is not a number"), "{message}");
    // The same checks for --param.
    let mut request = with_config("");
    request.params = vec![ParamOverride {
        name: "hours_per_day".into(),
        value: ParamInput::Text("-8".into()),
        source: ParamSource::CommandLine,
    }];
    assert_eq!(
        input_error(&request),
        "--param hours_per_day=-8: hours_per_day must be more than 0 and at most 24, not -8"
    );
    // Sound values pass.
    assert!(kpi_driver::prepare(&with_config("[params]\nhours_per_day = 7.5\n")).is_ok());
}

#[test]
fn config_weights_and_targets_that_are_not_finite_or_negative_are_errors_at_their_place() {
    for (value, why) in [
        ("nan", "weight `nan` is not a number a weight can take (write a number of 0 or more)"),
        ("inf", "weight `inf` is not a number a weight can take (write a number of 0 or more)"),
        ("-1", "weight `-1` is not a number a weight can take (write a number of 0 or more)"),
        ("-0.5", "weight `-0.5` is not a number a weight can take (write a number of 0 or more)"),
    ] {
        let text = format!("[scorecards.desk.closed]\nweight = {value}\n");
        assert_eq!(input_error(&with_config(&text)), format!("memory/client.toml:2:10: {why}"), "{value}");
    }
    let text = "[scorecards.desk.closed]\ntarget = nan\n";
    assert_eq!(
        input_error(&with_config(text)),
        "memory/client.toml:2:10: target `nan` is not a number a target can take (write a finite number)"
    );
    assert!(kpi_driver::prepare(&with_config("[scorecards.desk.closed]\nweight = 0\n")).is_ok());
}

#[test]
fn implausible_timestamps_are_warned_of_and_leave_the_default_range_alone() {
    let mut request = request();
    let Some(DataInput::Tables { files, .. }) = &mut request.data else { unreachable!() };
    files[0].1.push_str("T4,C1,R1,0001-01-01T00:00:00,Open,P3\n");
    let session = kpi_driver::prepare(&request).expect("prepared");
    let w: Vec<String> = session.implausible.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        ["tickets.csv:5: warning: created_at 0001-01-01T05:50:36Z is outside the plausible span 1990-01-01 .. 2028-06-01 (the row is kept; the default period range ignores it)"]
    );
    let results = session.evaluate().expect("evaluated");
    let labels: Vec<_> = results[0].rows.iter().map(|r| r.period.as_ref().unwrap().label.as_str()).collect();
    assert_eq!(labels, ["2026-05", "2026-05"]);
    // A config that takes year 1 as plausible: the default range would be 24,305 months.
    let mut wide = request.clone();
    wide.config = Some(ConfigInput::Text {
        path: "memory/client.toml".into(),
        text: "timezone = \"America/Chicago\"\nplausible_from = \"0001-01-01\"\n".into(),
    });
    let session = kpi_driver::prepare(&wide).expect("prepared");
    assert!(session.implausible.is_empty());
    let e = session.evaluate().unwrap_err().to_string();
    assert!(e.starts_with("scorecard `desk`: the data's activity spans 0001-01-01 .. 2026-05-06"), "{e}");
    assert!(e.ends_with("name the periods to evaluate (--from and --to)"), "{e}");
    // The request's span wins over the config's; an explicit range is evaluated.
    let explicit = Request {
        from: Some("2026-05-01".parse().unwrap()),
        to: Some("2026-06-01".parse().unwrap()),
        ..wide.clone()
    };
    assert!(kpi_driver::prepare(&explicit).expect("prepared").evaluate().is_ok());
    let narrow = Request { plausible_from: Some("2000-01-01".parse().unwrap()), ..wide };
    assert_eq!(kpi_driver::prepare(&narrow).expect("prepared").implausible.len(), 1);
    // A span key that is not a date is an error at its place.
    let text = "plausible_to = \"next year\"\n";
    assert_eq!(
        input_error(&with_config(text)),
        "memory/client.toml:1:16: plausible_to `next year` is not a date; write \"YYYY-MM-DD\""
    );
}
