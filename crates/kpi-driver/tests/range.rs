//! The default period range: from plausible timestamps only, and never hundreds of periods
//! without an explicit range.
mod common;

use common::*;
use kpi_data::Plausible;

const RULES: &str = r#"
kpi created "Created" {
  from   tickets by created_at
  value  count()
  target >= 1
  weight 100
}

scorecard desk "Desk" {
  period month
  use created
}

scorecard weekly "Weekly" {
  period week
  use created
}
"#;

fn tickets(created: &[&str]) -> String {
    let mut t = String::from("id,created_at\n");
    for (i, c) in created.iter().enumerate() {
        t.push_str(&format!("T{i},{c}\n"));
    }
    t
}

fn labels(card: &kpi_eval::ScorecardResult) -> Vec<String> {
    card.rows.iter().map(|r| r.period.as_ref().unwrap().label.clone()).collect()
}

fn run(
    data: &kpi_data::Dataset,
    scorecard: &str,
    plausible: Plausible,
    range: Option<(&str, &str)>,
) -> Result<Vec<String>, String> {
    let program = rules_from_text("range.kpi", RULES);
    let run = Run::new(&program, scorecard, "2026-10-01T00:00:00Z");
    let run = match range {
        Some((from, to)) => run.months(from, to),
        None => run,
    };
    let mut options = run.options(data);
    options.include_partial = false;
    options.plausible = plausible;
    kpi_eval::evaluate(&program, data, &options).map(|r| labels(&r[0])).map_err(|e| e.to_string())
}

fn run_from(data: &kpi_data::Dataset, scorecard: &str, from: &str) -> Result<Vec<String>, String> {
    let program = rules_from_text("range.kpi", RULES);
    let mut options = Run::new(&program, scorecard, "2026-10-01T00:00:00Z").options(data);
    options.include_partial = false;
    options.plausible = around();
    options.from = Some(from.parse().unwrap());
    kpi_eval::evaluate(&program, data, &options).map(|r| labels(&r[0])).map_err(|e| e.to_string())
}

fn around() -> Plausible {
    Plausible::around(ts("2026-10-01T00:00:00Z", "UTC"), None, None, kpi_data::Tz::UTC)
}

#[test]
fn implausible_timestamps_do_not_stretch_the_default_range() {
    let data = dataset(
        "UTC",
        &[(
            "tickets.csv",
            &tickets(&[
                "2026-08-03T09:00:00Z",
                "0001-01-01T00:00:00Z",
                "2026-09-03T09:00:00Z",
                "9999-12-31T00:00:00Z",
            ]),
        )],
    );
    assert_eq!(run(&data, "desk", around(), None).unwrap(), ["2026-08", "2026-09"]);
    // Taken as plausible, year 1 would mean 24,309 months: an error, not a 4 GB report.
    let e = run(&data, "desk", Plausible::ANY, None).unwrap_err();
    assert_eq!(
        e,
        "scorecard `desk`: the data's activity spans 0001-01-01 .. 2026-09-03 (24309 months), more than the 240 months a default range may cover: name the periods to evaluate (--from and --to)"
    );
    // An explicit range is evaluated as asked.
    assert_eq!(
        run(&data, "desk", Plausible::ANY, Some(("2026-07-01", "2026-09-01"))).unwrap(),
        ["2026-07", "2026-08"]
    );
}

#[test]
fn a_long_plausible_span_needs_an_explicit_range() {
    let data =
        dataset("UTC", &[("tickets.csv", &tickets(&["1995-01-02T09:00:00Z", "2026-09-03T09:00:00Z"]))]);
    let e = run(&data, "desk", around(), None).unwrap_err();
    assert!(e.contains("1995-01-02 .. 2026-09-03 (381 months), more than the 240 months"), "{e}");
    // Weeks: the same span (the limit is one of time, whatever the grain).
    let e = run(&data, "weekly", around(), None).unwrap_err();
    assert!(e.contains("(381 months), more than the 240 months"), "{e}");
    // A --from far back without --to is no explicit range either.
    let e = run_from(&data, "desk", "1000-01-01").unwrap_err();
    assert!(e.contains("1000-01-01 .. 2026-09-03 (12321 months)"), "{e}");
    let months = run(&data, "desk", around(), Some(("1995-01-01", "2026-10-01"))).unwrap();
    assert_eq!(months.len(), 381);
    // Twenty years are fine.
    let data =
        dataset("UTC", &[("tickets.csv", &tickets(&["2006-10-02T09:00:00Z", "2026-09-03T09:00:00Z"]))]);
    assert_eq!(run(&data, "desk", around(), None).unwrap().len(), 240);
}
