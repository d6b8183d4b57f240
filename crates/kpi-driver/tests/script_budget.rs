//! The script budget (issue 13 B1): a legal but slow rhai function, called on every row of a
//! large dataset, stops when its KPI has spent the budget of script time of the run, instead of
//! turning the run into hours of work. The KPI is then `no_data` with an error naming it and the
//! budget; every other KPI is evaluated as usual.
use kpi_driver::{AsOf, ConfigInput, DataInput, Failure, Request};
use kpi_eval::{ScorecardResult, Status};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `slow` runs a loop of 10,000 iterations (about 50,000 rhai operations; a call may take
/// 1,000,000 and 250 ms) for every ticket: some 25 ms a row in a debug build, 2 ms in release.
/// `closed` uses no script.
const RULES: &str = r#"
fn slow(x: number) -> number = rhai """
  let n = 0;
  while n < 10000 { n += 1; }
  x
"""

kpi slow "Slow script" {
  from   tickets by created_at
  value  sum(slow(1))
  target >= 0
  weight 50
}

kpi closed "Closed" {
  from   tickets by created_at
  value  share(status == "Closed")
  target >= 50%
  weight 50
}

scorecard desk "Desk" {
  period month
  use slow
  use closed
}
"#;

/// `n` tickets created in May 2026, every other one closed.
fn tickets(n: usize) -> String {
    let mut csv = String::from("id,created_at,status\n");
    for i in 0..n {
        let status = if i % 2 == 0 { "Closed" } else { "Open" };
        csv.push_str(&format!("T{i},2026-05-{:02}T{:02}:00:00Z,{status}\n", 1 + i % 28, i % 24));
    }
    csv
}

fn request(rows: usize) -> Request {
    let rules = PathBuf::from("memory/desk.kpi");
    Request {
        rules: vec![rules.clone()],
        overlay: [(rules, RULES.to_string())].into(),
        data: Some(DataInput::Tables {
            name: "memory".into(),
            files: vec![
                ("tickets.csv".into(), tickets(rows)),
                ("resources.csv".into(), "id,name\n".into()),
                ("time_entries.csv".into(), "id,resource_id,started_at,ended_at,hours,billable\n".into()),
            ],
        }),
        as_of: AsOf::Text("2026-06-01T12:00:00Z".into()),
        ..Request::default()
    }
}

fn evaluate(request: &Request) -> ScorecardResult {
    let mut results = kpi_driver::prepare(request).expect("prepared").evaluate().expect("evaluated");
    assert_eq!(results.len(), 1);
    results.pop().unwrap()
}

/// The May row's KPI `id`.
fn kpi<'c>(card: &'c ScorecardResult, id: &str) -> &'c kpi_eval::KpiResult {
    let i = card.kpis.iter().position(|k| k.id == id).expect("a KPI of the scorecard");
    let may = card.rows.iter().find(|r| r.period.as_ref().is_some_and(|p| p.label == "2026-05"));
    &may.expect("a May row").kpis[i]
}

const ROWS: usize = 5000;

#[test]
fn a_slow_script_stops_at_its_kpi_budget() {
    let budget = Duration::from_millis(200);
    let started = Instant::now();
    let card = evaluate(&Request { script_budget: Some(budget), ..request(ROWS) });
    let took = started.elapsed();
    // The budget bounds the script time (0.2 s); the rest is loading 5,000 rows. Generous for
    // slow debug builds on busy machines.
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let slow = kpi(&card, "slow");
    assert_eq!((slow.value, slow.status, slow.attainment), (None, Status::NoData, None));
    assert_eq!(card.errors.len(), 1, "{:?}", card.errors);
    let error = &card.errors[0];
    assert!(error.starts_with("KPI `slow` of `desk`: rhai function `slow`"), "{error}");
    assert!(error.contains("took their whole budget of 0.2 s in this run"), "{error}");
    assert!(error.contains("script_budget"), "{error}");
    // The KPI without a script is evaluated as usual, and the score counts only it.
    let closed = kpi(&card, "closed");
    assert_eq!((closed.value, closed.status), (Some(0.5), Status::Met));
    assert_eq!(card.rows[0].score, Some(100.0));
}

/// Without the budget the same script is legal: on a few rows it gives a value. Its cost per row
/// (the time of 50 rows less that of 10, so loading and checking do not count) times the rows of
/// the budgeted run is far more than the budget: minutes in a debug build, seconds in release.
#[test]
fn without_the_budget_the_same_script_runs_on_every_row() {
    let mut timed = Vec::new();
    for rows in [10, 50] {
        let started = Instant::now();
        let card = evaluate(&request(rows));
        timed.push(started.elapsed());
        assert!(card.errors.is_empty(), "{:?}", card.errors);
        let slow = kpi(&card, "slow");
        assert_eq!((slow.value, slow.status), (Some(rows as f64), Status::Met));
    }
    let per_row = timed[1].saturating_sub(timed[0]) / 40;
    let whole = per_row * ROWS as u32;
    eprintln!("{per_row:?} a row: {whole:?} for {ROWS} rows without the budget");
    assert!(whole > Duration::from_secs(1), "{whole:?}: the script is too fast to show the budget");
}

#[test]
fn the_budget_comes_from_the_request_else_the_config_else_60_s() {
    let session = kpi_driver::prepare(&request(1)).expect("prepared");
    assert_eq!(session.options.script_budget, Duration::from_secs(60));
    assert_eq!(session.options.script_budget, kpi_eval::DEFAULT_SCRIPT_BUDGET);

    let config =
        |text: &str| Some(ConfigInput::Text { path: "memory/client.toml".into(), text: text.to_string() });
    for (text, seconds) in [("90s", 90.0), ("2m", 120.0), ("1m30s", 90.0), ("0.5s", 0.5)] {
        let configured = Request { config: config(&format!("script_budget = \"{text}\"\n")), ..request(1) };
        let session = kpi_driver::prepare(&configured).expect("prepared");
        assert_eq!(session.options.script_budget, Duration::from_secs_f64(seconds), "{text}");
    }
    let both = Request {
        config: config("script_budget = \"90s\"\n"),
        script_budget: Some(Duration::from_secs(5)),
        ..request(1)
    };
    let session = kpi_driver::prepare(&both).expect("prepared");
    assert_eq!(session.options.script_budget, Duration::from_secs(5));

    for (text, expected) in [
        (
            "script_budget = \"90 seconds\"\n",
            "memory/client.toml:1:17: script_budget `90 seconds` is not a duration",
        ),
        (
            "script_budget = \"0s\"\n",
            "memory/client.toml:1:17: script_budget `0s` must be more than 0 seconds",
        ),
        ("script_budget = 90\n", "memory/client.toml:1:17"),
    ] {
        let bad = Request { config: config(text), ..request(1) };
        match kpi_driver::prepare(&bad) {
            Err(Failure::Input(message)) => assert!(message.starts_with(expected), "{message}"),
            other => panic!("{text}: expected an input error, got {:?}", other.err()),
        }
    }
    let zero = Request { script_budget: Some(Duration::ZERO), ..request(1) };
    assert!(matches!(kpi_driver::prepare(&zero), Err(Failure::Input(_))));
}
