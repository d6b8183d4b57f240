//! Helpers for the catalogue fixtures: tiny in-memory datasets, the real standard rules in
//! `rules/`, and lookups into the evaluated scorecards.
#![allow(dead_code)]

use kpi_data::{Dataset, LoadOptions, Tz};
use kpi_eval::{EvalOptions, KpiResult, ParamSource, Params, RowResult, ScorecardResult, Status};
use kpi_hir::Program;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Chicago: UTC-6 in winter (CST), UTC-5 in summer (CDT); DST 2026-03-08 and 2026-11-01.
pub const CHICAGO: &str = "America/Chicago";

/// The standard rules shipped in `rules/`, checked; panics on any error.
pub fn standard_rules() -> Program {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    let rules = kpi_check::load(&[dir]);
    let checked = kpi_check::check(&rules);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(&rules.sources, false))
        .collect();
    assert!(errors.is_empty(), "the standard rules have errors:\n{}", errors.join("\n"));
    checked.program
}

/// A rule file written at test time, checked; panics on any error.
pub fn rules_from_text(name: &str, text: &str) -> Program {
    let rules = kpi_check::load_text(name, text);
    let checked = kpi_check::check(&rules);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.render(&rules.sources, false))
        .collect();
    assert!(errors.is_empty(), "test rules have errors:\n{}", errors.join("\n"));
    checked.program
}

/// Load CSV tables from memory in time zone `tz`. The required tables that a fixture leaves out
/// are given as header-only files, so each fixture writes only what it is about.
pub fn dataset(tz: &str, files: &[(&str, &str)]) -> Dataset {
    let defaults = [
        ("resources.csv", "id,name\n"),
        ("tickets.csv", "id,created_at\n"),
        ("time_entries.csv", "id,resource_id,started_at,ended_at,hours,billable\n"),
    ];
    let mut all: Vec<(&str, &str)> = files.to_vec();
    for (name, text) in defaults {
        if !all.iter().any(|(n, _)| *n == name) {
            all.push((name, text));
        }
    }
    let timezone: Tz = tz.parse().expect("an IANA time zone");
    let options = LoadOptions { timezone, ..LoadOptions::default() };
    match kpi_data::load_from_memory(&all, &options) {
        Ok(d) => d,
        Err(e) => panic!("fixture does not load: {e:?}"),
    }
}

/// A timestamp (RFC 3339, or naive in `tz`) as microseconds UTC.
pub fn ts(text: &str, tz: &str) -> i64 {
    kpi_data::parse_timestamp(text, tz.parse().unwrap()).unwrap_or_else(|| panic!("bad timestamp {text}"))
}

/// One evaluation: a scorecard, as_of, the months in [from, to), holidays and param overrides.
pub struct Run<'a> {
    pub program: &'a Program,
    pub scorecard: &'a str,
    pub as_of: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub holidays: &'a [&'a str],
    pub params: &'a [(&'a str, &'a str)],
}

impl<'a> Run<'a> {
    pub fn new(program: &'a Program, scorecard: &'a str, as_of: &'a str) -> Run<'a> {
        Run { program, scorecard, as_of, from: None, to: None, holidays: &[], params: &[] }
    }

    pub fn months(mut self, from: &'a str, to: &'a str) -> Self {
        self.from = Some(from);
        self.to = Some(to);
        self
    }

    pub fn holidays(mut self, holidays: &'a [&'a str]) -> Self {
        self.holidays = holidays;
        self
    }

    pub fn params(mut self, params: &'a [(&'a str, &'a str)]) -> Self {
        self.params = params;
        self
    }

    pub fn options(&self, data: &Dataset) -> EvalOptions {
        let tz = data.timezone.name();
        let mut params = Params::defaults(self.program);
        for (name, value) in self.params {
            let def = kpi_check::params::find_param(self.program, name).expect("a param of the rules");
            let value = kpi_check::params::param_value_from_text(def, value).expect("a valid param override");
            params.set_value(def, value, ParamSource::CommandLine).expect("a value of the param's type");
        }
        let holidays: BTreeSet<chrono::NaiveDate> =
            self.holidays.iter().map(|d| d.parse().unwrap()).collect();
        EvalOptions {
            as_of: ts(self.as_of, tz),
            from: self.from.map(|d| d.parse().unwrap()),
            to: self.to.map(|d| d.parse().unwrap()),
            // The fixtures look at the month in progress too.
            include_partial: true,
            holidays,
            params,
            scorecards: vec![self.scorecard.to_string()],
            script_budget: kpi_eval::DEFAULT_SCRIPT_BUDGET,
            plausible: kpi_data::Plausible::ANY,
        }
    }

    pub fn eval(&self, data: &Dataset) -> ScorecardResult {
        let mut results =
            kpi_eval::evaluate(self.program, data, &self.options(data)).expect("evaluation succeeds");
        assert_eq!(results.len(), 1);
        let card = results.pop().unwrap();
        assert_no_nan(&card);
        card
    }
}

/// Never NaN or infinite: undefined values are `None` with status `no_data`.
pub fn assert_no_nan(card: &ScorecardResult) {
    for row in &card.rows {
        if let Some(s) = row.score {
            assert!(s.is_finite() && (0.0..=100.0).contains(&s), "score {s} in {}", card.id);
        }
        for (k, info) in row.kpis.iter().zip(&card.kpis) {
            match k.value {
                Some(v) => {
                    assert!(v.is_finite(), "{}: value {v}", info.id);
                    assert_ne!(k.status, Status::NoData, "{}: a value with status no_data", info.id);
                    let a = k.attainment.expect("attainment with a value");
                    assert!((0.0..=1.0).contains(&a), "{}: attainment {a}", info.id);
                }
                None => {
                    assert_eq!(k.status, Status::NoData, "{}: no value but status {:?}", info.id, k.status);
                    assert_eq!(k.attainment, None, "{}: attainment without a value", info.id);
                }
            }
        }
    }
}

/// The row of (period label, group key); `period` "" for a snapshot, `group` "" company-wide.
pub fn row<'c>(card: &'c ScorecardResult, period: &str, group: &str) -> &'c RowResult {
    card.rows
        .iter()
        .find(|r| {
            r.period.as_ref().map_or("", |p| p.label.as_str()) == period
                && r.group.as_deref().unwrap_or("") == group
        })
        .unwrap_or_else(|| panic!("{}: no row ({period}, {group}); rows: {:?}", card.id, row_keys(card)))
}

pub fn row_keys(card: &ScorecardResult) -> Vec<(String, String)> {
    card.rows
        .iter()
        .map(|r| {
            (
                r.period.as_ref().map_or(String::new(), |p| p.label.clone()),
                r.group.clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// One KPI of one row.
pub fn kpi<'c>(card: &'c ScorecardResult, period: &str, group: &str, id: &str) -> &'c KpiResult {
    let i = card.kpis.iter().position(|k| k.id == id).unwrap_or_else(|| panic!("{}: no KPI {id}", card.id));
    &row(card, period, group).kpis[i]
}

/// The value of a KPI, checked against `expected` (within 1e-9) with its status.
#[track_caller]
pub fn assert_kpi(
    card: &ScorecardResult,
    period: &str,
    group: &str,
    id: &str,
    expected: f64,
    status: Status,
) {
    let k = kpi(card, period, group, id);
    let v = k.value.unwrap_or_else(|| panic!("{id} ({period}, {group}): no_data, expected {expected}"));
    assert!((v - expected).abs() < 1e-9, "{id} ({period}, {group}): value {v}, expected {expected}");
    assert_eq!(k.status, status, "{id} ({period}, {group}): status");
}

#[track_caller]
pub fn assert_no_data(card: &ScorecardResult, period: &str, group: &str, id: &str) {
    let k = kpi(card, period, group, id);
    assert_eq!(k.value, None, "{id} ({period}, {group}): expected no_data");
    assert_eq!(k.status, Status::NoData);
    assert_eq!(k.attainment, None);
}

#[track_caller]
pub fn assert_attainment(card: &ScorecardResult, period: &str, group: &str, id: &str, expected: f64) {
    let a = kpi(card, period, group, id).attainment.expect("an attainment");
    assert!((a - expected).abs() < 1e-9, "{id} ({period}, {group}): attainment {a}, expected {expected}");
}

#[track_caller]
pub fn approx(actual: f64, expected: f64) {
    assert!((actual - expected).abs() < 1e-9, "{actual} != {expected}");
}
